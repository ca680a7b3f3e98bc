"""Inline keyboard builders shared by handlers and conversations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Option = tuple[str, str]  # (label, callback_data)


def keyboard(rows: Iterable[Sequence[Option]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def grid(options: Sequence[Option], columns: int = 2) -> list[list[Option]]:
    """Lay options out in rows of `columns`, for thumbs on a phone."""
    return [list(options[i : i + columns]) for i in range(0, len(options), columns)]
