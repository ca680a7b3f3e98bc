"""Rendering services' plain-data texts (`services.texts`) as HTML message text in the user's language."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable

from core import i18n
from services.preferences import format_day
from services.texts import Amount, Label, Text


def show(language: str, value: object, *, markup: bool = True) -> object:
    """One placeholder value as the reader sees it; user data escaped for HTML unless `markup` is off."""
    if isinstance(value, Label):
        values = {name: show(language, v, markup=markup) for name, v in value.values.items()}
        return i18n.translate(language, value.key, **values)
    if isinstance(value, Amount):
        shown = f"{value.value:g}"
        return shown.replace(".", ",") if language == "nl" else shown
    if isinstance(value, dt.date):
        return format_day(value, language)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(str(show(language, v, markup=markup)) for v in value)
    if isinstance(value, str) and markup:
        return html.escape(value)
    return value


def render(language: str, texts: Iterable[Text], *, markup: bool = True) -> str:
    """Catalog texts in `language`, one per line; `markup=False` for buttons and PDFs (no escaping)."""
    return "\n".join(
        i18n.translate(
            language, key, **{name: show(language, v, markup=markup) for name, v in values.items()}
        )
        for key, values in texts
    )
