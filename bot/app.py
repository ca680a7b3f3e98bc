"""The application factory: builds the PTB Application from settings and registers every handler."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable

import httpx
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    ConversationHandler,
    Defaults,
    TypeHandler,
)

from bot.persistence import DatabasePersistence, Memory
from bot.retrying import RetryingRateLimiter
from bot.update_processor import PerChatUpdateProcessor
from conversations import delete_me, export, journey, locker_item, log_session, weapon_form
from conversations import preferences as preferences_conversation
from core import i18n
from core.access import AccessControl, Admits
from core.audience import EVERYONE, Audience
from core.settings import GeocoderBackend, Settings, WeatherProvider
from handlers import (
    attendance,
    coach,
    fallback,
    file_sweep,
    journeys,
    link,
    locker,
    my_data,
    packing_list,
    packing_recheck,
    photos,
    preferences,
    reflections,
    session_pdf,
    sessions,
    start,
    stats,
    weapons,
)
from handlers.access import gate
from handlers.context import RUNTIME, BotContext
from handlers.errors import on_error
from services import accounts
from services.coach.coach import build_coach
from services.geocoding import NominatimGeocoder, OfflineGazetteer
from services.preferences import zone_of
from services.runtime import Runtime
from services.unit_of_work import UnitOfWork
from services.weather import OpenMeteo
from storage.db import Database

logger = logging.getLogger(__name__)

GATE_GROUP = -1


class AimTrackApplication(Application):
    """PTB's Application, plus the runtime, and persistence read before and written after every update.

    PTB writes persistence on a timer; reading and writing around each update (bot/persistence.py) means a
    restart (or a crash) never loses a step the user already saw answered, and that several processes
    behind one webhook URL continue each other's conversations.
    """

    _memory: Memory | None = None
    # Called with each update once it is handled and its state written (the Matrix bridge's sync checkpoint).
    after_update: list[Callable[[object], None]]

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.bot_data[RUNTIME]
        return runtime

    async def initialize(self) -> None:
        """PTB's initialize, then ours (`post_init` would only run under `run_polling`/`run_webhook`)."""
        await super().initialize()
        if isinstance(self.persistence, DatabasePersistence):
            self._memory = Memory(
                user_data=self._user_data,
                chat_data=self._chat_data,
                conversations=self._conversation_handler_conversations,
                handlers=tuple(
                    handler
                    for handler in itertools.chain.from_iterable(self.handlers.values())
                    if isinstance(handler, ConversationHandler) and handler.persistent
                ),
            )
        await _set_up(self)

    async def stop(self) -> None:
        """Cancel the coach's calls first: PTB's stop waits for every running job and task, and a hanging AI
        provider would hold it up (questions are told the bot is stopping, reflections stay pending)."""
        self.runtime.coach.stop()
        await super().stop()

    async def shutdown(self) -> None:
        await super().shutdown()
        if self.runtime.weather is not None:
            await self.runtime.weather.client.aclose()
        await self.runtime.coach.close()
        await self.runtime.db.dispose()

    async def process_update(self, update: object) -> None:
        try:
            if self._memory is None:
                await super().process_update(update)
                return
            async with self.persistence.handling(update, self._memory):
                await super().process_update(update)
        finally:
            for done in self.after_update:
                done(update)


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    extra_users: Iterable[int] = (),
    admits: Admits | None = None,
    database: Database | None = None,
    audience: Audience = EVERYONE,
) -> AimTrackApplication:
    """Build the bot. `token` overrides the configured one (the terminal chat uses the emulator's);
    `audience` narrows whom its jobs write to when another transport serves the others (core/audience.py);
    `extra_users` and the `admits` rule let users in beyond the configured ones (core/access.py)."""
    bot_token = token or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    )
    if not bot_token:
        raise ValueError("a bot token is required")
    db = database or Database(str(settings.database_url))
    application: AimTrackApplication = (
        ApplicationBuilder()
        .application_class(AimTrackApplication)
        .token(bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=zone_of(None)))
        .rate_limiter(RetryingRateLimiter(max_retries=2))  # 429s, and 5xx/network errors
        .persistence(DatabasePersistence(db))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerChatUpdateProcessor())  # chats at the same time, each chat in order
        .build()
    )
    application.after_update = []
    application.bot_data[RUNTIME] = Runtime(
        settings=settings,
        db=db,
        access=AccessControl(settings.aimtrack_allowed_users, extra=extra_users, admits=admits),
        geocoder=(
            NominatimGeocoder() if settings.geocoder is GeocoderBackend.NOMINATIM else OfflineGazetteer()
        ),
        weather=(
            OpenMeteo(httpx.AsyncClient(timeout=10))
            if settings.weather_provider is WeatherProvider.OPEN_METEO
            else None
        ),
        coach=build_coach(settings, db),
        audience=audience,
    )
    register_handlers(application)
    attendance.schedule(application)
    packing_recheck.schedule(application)
    reflections.schedule(application)
    file_sweep.schedule(application)
    return application


def register_handlers(application: Application) -> None:
    application.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
    # Order matters inside one group: conversations first, so that a step's answer is theirs;
    # the fallbacks last, so that they only see what nobody else took.
    application.add_handlers(
        [
            # First: while its question is open, everything the user sends is its answer (see its module).
            delete_me.build(),
            preferences_conversation.build(),
            weapon_form.build(),
            log_session.build(),
            locker_item.build(),
            journey.build(),
            export.build(),
            *start.HANDLERS,
            *my_data.HANDLERS,
            *link.HANDLERS,
            *preferences.HANDLERS,
            *weapons.HANDLERS,
            *attendance.HANDLERS,
            *session_pdf.HANDLERS,
            *sessions.HANDLERS,
            *stats.HANDLERS,
            *locker.HANDLERS,
            *journeys.HANDLERS,
            *packing_list.HANDLERS,
            # After every conversation (their own photo steps win), before the fallbacks.
            *photos.HANDLERS,
            *coach.HANDLERS,
            # Text nobody took is a question to the coach.
            *coach.QUESTION_HANDLERS,
            *fallback.HANDLERS,
        ]
    )
    application.add_error_handler(on_error)


def command_menu(language: str) -> list[BotCommand]:
    return [BotCommand(name, i18n.translate(language, f"commands.{name}")) for name in start.COMMANDS]


async def _set_up(application: AimTrackApplication) -> None:
    """Command menus in every language; for a bot answered by its claimed owner that has none yet, the
    claim code in the log (the database's: the one another process printed, or a new one)."""
    runtime = application.runtime
    await application.bot.set_my_commands(command_menu(i18n.DEFAULT_LANGUAGE), scope=BotCommandScopeDefault())
    for language in i18n.LANGUAGES:
        if language != i18n.DEFAULT_LANGUAGE:
            await application.bot.set_my_commands(command_menu(language), language_code=language)
    if not runtime.access.claimable:
        return
    code = await accounts.issue_claim_code(UnitOfWork(runtime.db))
    if code is not None:
        logger.warning(
            "This bot has no owner yet. Send this to @%s to claim it:  /start %s",
            application.bot.username,
            code,
        )
