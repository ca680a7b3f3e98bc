"""The bot's CallbackContext: the runtime, the unit of work, the account and texts in its language."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from core import i18n
from handlers.texts import render
from services.accounts import Account
from services.preferences import today_in
from services.runtime import Runtime
from services.texts import Text
from services.unit_of_work import UnitOfWork
from services.validation import InvalidInput

# The key of the process's `Runtime` in PTB's bot_data (set by the application factory).
RUNTIME = "runtime"


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """One per update; the access gate fills `account` before any feature handler runs."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.account: Account | None = None
        self.telegram_language: str | None = None
        self._uow: UnitOfWork | None = None

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.bot_data[RUNTIME]
        return runtime

    @property
    def uow(self) -> UnitOfWork:
        """This update's (or job run's) unit of work: what its use cases read and write through."""
        if self._uow is None:
            self._uow = UnitOfWork(self.runtime.db)
        return self._uow

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
