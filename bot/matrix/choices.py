"""Inline keyboards as numbered lists, and a typed or reacted answer as the button it names.

Matrix has no inline buttons, so a bot message's keyboard becomes lines under its text, each button with a
number; the buttons of one row share a line. A checklist row (an item and its toggles, by the convention of
handlers/keyboards.py: the packing list's `pk:41:d` and `pk:41:r`) gets one number and letters instead:
`3d`, `3r` (and `3a` for the item's own button); the bare `3` is its first toggle, departure. Buttons with
nothing to tap (`LABEL_ONLY`: a category's heading, the page counter) are shown as plain text. An answer
is, in this order: a keycap emoji
(1️⃣ … 🔟, as typed or as a reaction), a button's exact label ("50" is the button "50", not button 50), a
number or number-and-letter, or a label without its emoji and case ("mild" for "🌤 Mild").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.callback_data import LABEL_ONLY
from handlers.keyboards import is_checklist_row, toggle_letter

Button = tuple[str, str | None]  # (label, callback data); None: a button with nothing to tap (a URL)

KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
_KEY = re.compile(r"\s*(\d{1,3})\s*([a-z]?)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Choice:
    key: str  # "3" or "3d"
    label: str
    data: str


@dataclass(frozen=True)
class Menu:
    """The numbered lines under a message, and what each key, keycap and label taps."""

    lines: tuple[str, ...]
    choices: tuple[Choice, ...]
    defaults: dict[str, str]  # "3" -> "3d": the bare number of a lettered row
    numbers: int  # how many numbers are in use (keycaps beyond 10 do not exist)

    def __bool__(self) -> bool:
        return bool(self.choices)

    @property
    def is_checklist(self) -> bool:
        """Whether it has a checklist row (numbers with letters: `3d`)."""
        return bool(self.defaults)

    def pick(self, answer: str) -> Choice | None:
        """The button an answer names (see the module's docstring), or None."""
        answer = answer.strip()
        if not answer:
            return None
        if answer in KEYCAPS:
            answer = str(KEYCAPS.index(answer) + 1)
        elif exact := [
            choice for choice in self.choices if choice.label.strip().casefold() == answer.casefold()
        ]:
            return exact[0]
        if match := _KEY.fullmatch(answer):
            key = f"{int(match[1])}{match[2].lower()}"
            key = self.defaults.get(key, key)
            return next((choice for choice in self.choices if choice.key == key), None)
        wanted = _plain(answer)
        return next((choice for choice in self.choices if wanted and _plain(choice.label) == wanted), None)


def _plain(text: str) -> str:
    """A label without its emoji, boxes and punctuation, case-folded: "🌤 Mild" and "mild" are alike."""
    kept = "".join(char for char in text if unicodedata.category(char)[0] in "LNZ")
    return " ".join(kept.casefold().split())


def menu(rows: Sequence[Sequence[Button]], inert: frozenset[str] = frozenset({LABEL_ONLY})) -> Menu:
    """The numbered list for an inline keyboard; buttons whose data is in `inert` only show their label."""
    lines: list[str] = []
    choices: list[Choice] = []
    defaults: dict[str, str] = {}
    number = 0
    for row in rows:
        live = [(label, data) for label, data in row if data is not None and data not in inert]
        if not live:
            lines.append(" · ".join(label for label, _ in row))
            continue
        if is_checklist_row(live):
            number += 1
            keys = _letters([data for _, data in live[1:]])
            for (label, data), letter in zip(live, keys, strict=True):
                choices.append(Choice(f"{number}{letter}", label, data))
            defaults[str(number)] = f"{number}{keys[1]}"
            shown = [f"{label} ({number}{key})" for (label, _), key in zip(live, keys, strict=True)]
            lines.append(f"{number}. " + " · ".join(shown))
            continue
        shown = []
        for label, data in row:
            if data is None or data in inert:
                shown.append(label)
                continue
            number += 1
            choices.append(Choice(str(number), label, data))
            shown.append(f"{number}. {label}")
        lines.append("   ".join(shown))
    return Menu(tuple(lines), tuple(choices), defaults, number)


def _letters(toggles: Sequence[str]) -> list[str]:
    """The keys' letters of a checklist row: a spare one for the item, then each toggle's own."""
    own = [toggle_letter(data) or "" for data in toggles]
    spare = next(letter for letter in "abcefghijklmnopqstuvwxyz" if letter not in own)
    return [spare, *own]
