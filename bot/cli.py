"""The command line: `aimtrack [run|chat|migrate|backup PATH|restore PATH]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path

from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application

from bot import log_redaction
from core.settings import Settings, SettingsError, load_settings

logger = logging.getLogger(__name__)

NO_TOKEN_HELP = """TELEGRAM_BOT_TOKEN is not set.
Get a token from @BotFather in Telegram (/newbot), then put it in the environment or in .env:
    TELEGRAM_BOT_TOKEN=123456:ABC...
For Matrix instead (or as well), set MATRIX_HOMESERVER, MATRIX_USER_ID, MATRIX_ACCESS_TOKEN (or
MATRIX_PASSWORD) and AIMTRACK_ALLOWED_MATRIX_USERS (see the README's Matrix section).
To try the bot without Telegram, run:  aimtrack chat"""


def configure_logging(level: int = logging.INFO, redact: Iterable[str] = ()) -> None:
    """Log to stderr; the values in `redact` (see `secret_values`) never show, whichever logger logs them."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    # At INFO, httpx logs request URLs, and Telegram's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    log_redaction.install(redact)


def secret_values(settings: Settings) -> list[str]:
    """What the log must never show."""
    values = (
        settings.telegram_bot_token,
        settings.anthropic_api_key,
        settings.aimtrack_webhook_secret,
        settings.matrix_access_token,
        settings.matrix_password,
    )
    return [value.get_secret_value() for value in values if value is not None]


def migrate(settings: Settings) -> None:
    from storage.migrations import upgrade

    upgrade(str(settings.database_url))


def run(settings: Settings) -> int:
    """Serve Telegram (a webhook when AIMTRACK_WEBHOOK_URL is set, long polling otherwise), Matrix when it
    is configured, or both in one process."""
    if settings.telegram_bot_token is None and not settings.matrix_enabled:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 2
    migrate(settings)
    if settings.telegram_bot_token is None:
        from bot.matrix import serve_matrix_until_stopped

        asyncio.run(serve_matrix_until_stopped(settings))  # until SIGTERM or SIGINT
        return 0
    from bot.app import build_application

    application = build_application(settings)
    if settings.matrix_enabled:
        _serve_matrix_beside(application, settings)
    if settings.aimtrack_webhook_url:
        secret = settings.aimtrack_webhook_secret
        secret_token = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        log_redaction.install([secret_token])
        from bot.webhook import run_webhook

        run_webhook(application, settings, secret_token)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _serve_matrix_beside(application: Application, settings: Settings) -> None:
    """Matrix as a task of the Telegram application's event loop; each side's jobs write to its own users."""
    from bot.matrix import serve_matrix
    from core.audience import MATRIX_SIDE, TELEGRAM_SIDE

    application.runtime.audience = TELEGRAM_SIDE

    def ended(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("Matrix stopped; Telegram goes on", exc_info=task.exception())

    async def start(app: Application) -> None:
        task = asyncio.get_running_loop().create_task(
            serve_matrix(settings, audience=MATRIX_SIDE), name="matrix"
        )
        task.add_done_callback(ended)
        app.bot_data["matrix"] = task

    async def stop(app: Application) -> None:
        task = app.bot_data.pop("matrix", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    application.post_init = start
    application.post_stop = stop


def chat(settings: Settings) -> int:
    from bot.terminal_chat import run_terminal_chat

    migrate(settings)
    asyncio.run(run_terminal_chat(settings))
    return 0


def backup(settings: Settings, path: Path) -> int:
    from services.backup import BackupError
    from services.backup import backup as write_backup

    try:
        manifest = write_backup(str(settings.database_url), settings.aimtrack_data_dir, path)
    except (BackupError, OSError) as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    print(
        f"Backed up the {manifest['database']['kind']} database (schema {manifest['alembic_revision']}) "
        f"and {len(manifest['files'])} attachment(s) to {path}"
    )
    return 0


def restore(settings: Settings, path: Path, *, force: bool) -> int:
    from services.backup import BackupError
    from services.backup import restore as read_backup

    try:
        manifest = read_backup(str(settings.database_url), settings.aimtrack_data_dir, path, force=force)
    except (BackupError, OSError) as error:
        print(f"Restore failed: {error}", file=sys.stderr)
        return 1
    print(
        f"Restored the backup of {manifest['created_at']}: the {manifest['database']['kind']} database "
        f"(schema {manifest['alembic_revision']}) and {len(manifest['files'])} attachment(s). "
        "Start the bot: it brings the schema up to date first."
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aimtrack",
        description="AimTrack: shooting log and packing list. Without a command: run when a token is "
        "configured, otherwise chat.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", help="serve Telegram (long polling, or a webhook when its URL is set) and/or Matrix"
    )
    commands.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    commands.add_parser("migrate", help="bring the database to the latest schema")
    backup_command = commands.add_parser(
        "backup", help="write the database and the attachments to one archive, while the bot runs"
    )
    backup_command.add_argument("path", type=Path, help="the archive to write (.tar.gz); must not exist")
    restore_command = commands.add_parser(
        "restore", help="restore an archive of `aimtrack backup` (stop the bot first)"
    )
    restore_command.add_argument("path", type=Path, help="the archive to read")
    restore_command.add_argument(
        "--force", action="store_true", help="replace a database with rows and the attachments there are"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    command = args.command or ("run" if settings.telegram_bot_token or settings.matrix_enabled else "chat")
    configure_logging(logging.WARNING if command == "chat" else logging.INFO, secret_values(settings))
    try:
        return _dispatch(command, args, settings)
    except InvalidToken:
        # Its message carries the token itself: only the redacting log may show it.
        logger.critical(
            "Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots → API Token)",
            exc_info=True,
        )
        return 2
    except Exception:
        # Not Python's own traceback on stderr: the log's handlers redact the secrets in it.
        logger.critical("AimTrack stopped on an unexpected error", exc_info=True)
        return 1


def _dispatch(command: str, args: argparse.Namespace, settings: Settings) -> int:
    if command == "migrate":
        migrate(settings)
        return 0
    if command == "backup":
        return backup(settings, args.path)
    if command == "restore":
        return restore(settings, args.path, force=args.force)
    return run(settings) if command == "run" else chat(settings)


if __name__ == "__main__":
    sys.exit(main())
