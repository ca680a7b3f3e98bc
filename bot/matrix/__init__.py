"""The Matrix transport: `serve_matrix` runs the bot for Matrix users (see bot/matrix/bridge.py);
`serve_matrix_until_stopped` is `aimtrack run` without Telegram: SIGTERM or SIGINT stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import TYPE_CHECKING

from bot.app import build_application
from bot.emulator import BotApiEmulator
from bot.matrix.bridge import MatrixBridge
from bot.matrix.logbooks import Logbooks
from core.audience import EVERYONE, Audience
from services import matrix_accounts
from services.unit_of_work import UnitOfWork
from storage.db import Database

if TYPE_CHECKING:
    from nio import AsyncClient

    from core.settings import Settings

logger = logging.getLogger(__name__)

BRIDGE_TOKEN = "1:matrix-bridge"  # the in-process Bot API's token: never leaves this process


async def login(settings: Settings) -> AsyncClient:
    """A matrix-nio client for the bot's account: its access token, or a password login."""
    from nio import AsyncClient, AsyncClientConfig, LoginResponse

    assert settings.matrix_homeserver and settings.matrix_user_id
    config = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
    client = AsyncClient(settings.matrix_homeserver, settings.matrix_user_id, config=config)
    if settings.matrix_access_token is not None:
        client.access_token = settings.matrix_access_token.get_secret_value()
        client.user_id = settings.matrix_user_id
        return client
    assert settings.matrix_password is not None
    response = await client.login(settings.matrix_password.get_secret_value(), device_name="AimTrack")
    if not isinstance(response, LoginResponse):
        await client.close()
        raise RuntimeError(f"Matrix login as {settings.matrix_user_id} failed: {response.message}")
    return client


async def serve_matrix(settings: Settings, *, audience: Audience = EVERYONE) -> None:
    """Serve the allowed Matrix users until cancelled; beside Telegram, with `audience` MATRIX_SIDE."""
    if not settings.aimtrack_allowed_matrix_users:
        logger.warning("AIMTRACK_ALLOWED_MATRIX_USERS is empty: the bot answers nobody on Matrix")
    # Ids from the clock in milliseconds: a restart starts past every id of the run before, unless that
    # run made more than a thousand messages a second.
    first_id = int(time.time() * 1000) % 10**13
    emulator = BotApiEmulator(token=BRIDGE_TOKEN, bot_username="aimtrack_matrix_bot", first_id=first_id)
    await emulator.start()
    db = Database(str(settings.database_url))
    try:
        uow = UnitOfWork(db)
        ids = await matrix_accounts.logbooks(uow, sorted(settings.aimtrack_allowed_matrix_users))
        logbooks = Logbooks(ids)
        bridge_settings = settings.model_copy(
            update={
                "telegram_base_url": emulator.base_url,
                "telegram_base_file_url": emulator.base_file_url,
                "aimtrack_allowed_users": frozenset(),  # Telegram's list: Matrix users are the logbooks'
            }
        )
        application = build_application(
            bridge_settings, token=BRIDGE_TOKEN, admits=logbooks.admits, database=db, audience=audience
        )
        for matrix_id, user_id in ids.items():  # their chats exist, so jobs can reach them after a restart
            emulator.user(user_id, first_name=matrix_id[1:].split(":", 1)[0], language_code=None)
        client = await login(settings)
        try:
            async with application:
                await application.start()
                await application.updater.start_polling(poll_interval=0, timeout=10)
                bridge = MatrixBridge(
                    client, uow, emulator, application, logbooks, int(settings.aimtrack_max_upload_mb * 2**20)
                )
                logger.info("Serving Matrix as %s", settings.matrix_user_id)
                try:
                    await bridge.run()
                finally:
                    await application.updater.stop()
                    await application.stop()
        finally:
            await client.close()
            logger.info("Stopped serving Matrix")
    finally:
        await emulator.stop()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def serve_matrix_until_stopped(settings: Settings) -> None:
    """Serve Matrix until SIGTERM or SIGINT (systemd's and docker's stop, Ctrl-C), then stop as the Telegram
    mode does: the bridge's sync ends, the Application stops and shuts down (its jobs and coach calls
    cancelled, its state written), the nio client closes, and this returns (the exit status is 0)."""
    loop = asyncio.get_running_loop()
    serving = asyncio.create_task(serve_matrix(settings), name="matrix")
    stopped = asyncio.Event()

    def stop(signum: int) -> None:
        logger.info("Received %s; stopping", signal.Signals(signum).name)
        stopped.set()
        serving.cancel()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    try:
        await serving
    except asyncio.CancelledError:
        if not stopped.is_set():
            raise
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        if not serving.done():
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
