"""Documents the bot makes (PDF, CSV): plain functions from data to bytes, run off the event loop."""
