"""Inline keyboard builders shared by handlers and conversations, and the conventions of their buttons.

Other transports (the Matrix bridge, the terminal chat) show a keyboard from the Bot API message alone; what
they need to know about a button is in the message, by these conventions:

- A button that only shows a label (a heading, a page counter) carries `callback_data.LABEL_ONLY`: shown as
  text, never as a choice.
- A checklist row (`checklist_row`) is an item's button followed by two or more toggles of that item, each
  toggle's callback data ending in `:` and a letter of its own (`pk:41:d`, `pk:41:r`). A transport without
  buttons numbers the row once and names its buttons by that number and their letter (`3d`, `3r`; the item's
  button gets a spare letter). A keyboard with such a row is a checklist: a typed `3d` ticks the newest one
  in the chat, even after newer messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Option = tuple[str, str]  # (label, callback_data)

_TOGGLE = re.compile(r".+:([a-z])")


def keyboard(rows: Iterable[Sequence[Option]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def grid(options: Sequence[Option], columns: int = 2) -> list[list[Option]]:
    """Lay options out in rows of `columns`, for thumbs on a phone."""
    return [list(options[i : i + columns]) for i in range(0, len(options), columns)]


def toggle_letter(data: str | None) -> str | None:
    """The letter a toggle's callback data ends in (`pk:41:d` -> "d"), or None when it is no toggle."""
    match = _TOGGLE.fullmatch(data) if data else None
    return match[1] if match else None


def is_checklist_row(row: Sequence[tuple[str, str | None]]) -> bool:
    """Whether a row is an item's button and two or more toggles with letters of their own."""
    letters = [toggle_letter(data) for _, data in row[1:]]
    return len(letters) >= 2 and None not in letters and len(set(letters)) == len(letters)


def checklist_row(item: Option, toggles: Sequence[Option]) -> list[Option]:
    """A checklist's row for one item: its button, then its toggles (see the module's docstring)."""
    row = [item, *toggles]
    if not is_checklist_row(row):
        raise ValueError(f"toggles need two or more distinct `:<letter>` endings: {[d for _, d in toggles]}")
    return row
