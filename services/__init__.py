"""Domain logic and outside clients; no Telegram import."""
