"""The command line: `aimtrack [run|chat|migrate]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from urllib.parse import urlsplit

from telegram import Update

from bot.settings import Settings, SettingsError, load_settings

NO_TOKEN_HELP = """TELEGRAM_BOT_TOKEN is not set.
Get a token from @BotFather in Telegram (/newbot), then put it in the environment or in .env:
    TELEGRAM_BOT_TOKEN=123456:ABC...
To try the bot without Telegram, run:  aimtrack chat"""


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    # At INFO, httpx logs request URLs, and Telegram's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def migrate(settings: Settings) -> None:
    from storage.migrations import upgrade

    upgrade(str(settings.database_url))


def run(settings: Settings) -> int:
    """Serve Telegram: a webhook when AIMTRACK_WEBHOOK_URL is set, long polling otherwise."""
    if settings.telegram_bot_token is None:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 2
    from bot.app import build_application

    migrate(settings)
    application = build_application(settings)
    if settings.aimtrack_webhook_url:
        secret = settings.aimtrack_webhook_secret
        application.run_webhook(
            listen=settings.listen_host,
            port=settings.listen_port,
            url_path=urlsplit(settings.aimtrack_webhook_url).path.lstrip("/"),
            webhook_url=settings.aimtrack_webhook_url,
            secret_token=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def chat(settings: Settings) -> int:
    from bot.terminal_chat import run_terminal_chat

    migrate(settings)
    asyncio.run(run_terminal_chat(settings))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aimtrack", description="AimTrack: shooting log and packing list.")
    parser.add_argument(
        "command",
        nargs="?",
        choices=["run", "chat", "migrate"],
        help="run: serve Telegram; chat: talk to the bot in this terminal; migrate: upgrade the database. "
        "Without a command: run when a token is configured, otherwise chat.",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    command = args.command or ("run" if settings.telegram_bot_token else "chat")
    configure_logging(logging.WARNING if command == "chat" else logging.INFO)
    if command == "migrate":
        migrate(settings)
        return 0
    return run(settings) if command == "run" else chat(settings)


if __name__ == "__main__":
    sys.exit(main())
