"""The bot's CallbackContext: the database, settings, the user's row and texts in their language."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot import i18n
from handlers.texts import render
from services.preferences import today_in
from services.texts import Text
from services.validation import InvalidInput
from storage.models import User

if TYPE_CHECKING:
    from bot.app import AimTrackApplication
    from storage.db import Database


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """One per update; the access gate fills `account` before any feature handler runs."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.account: User | None = None
        self.telegram_language: str | None = None

    @property
    def app(self) -> AimTrackApplication:
        return self.application  # type: ignore[return-value]

    @property
    def db(self) -> Database:
        return self.app.runtime.db

    @property
    def language(self) -> str:
        chosen = self.account.language if self.account else None
        return i18n.resolve_language(chosen, self.telegram_language)

    @property
    def today(self) -> dt.date:
        """Today in the user's time zone."""
        return today_in(self.account.time_zone if self.account else None)

    def t(self, key: str, /, **values: object) -> str:
        """The text `key` in this user's language."""
        return i18n.translate(self.language, key, **values)

    def render(self, texts: Iterable[Text], *, markup: bool = True) -> str:
        """Services' plain-data texts in this user's language (see `handlers.texts`)."""
        return render(self.language, texts, markup=markup)

    def explain(self, error: InvalidInput) -> str:
        """The answer to input that could not be used; what the user typed is escaped for HTML."""
        values = {
            key: html.escape(value) if isinstance(value, str) else value
            for key, value in error.values.items()
        }
        return self.t(error.key, **values)
