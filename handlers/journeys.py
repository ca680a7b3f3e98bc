"""/journeys: the journeys as buttons (upcoming first, then past), a journey's card, Edit and Delete.

callback_data, parsed in `_parse`: `jr:open` (the list as a new message, from the main menu), `jr:list` (the
list in place), `jr:card:<id>`, `jr:edit:<id>` (what to change), `jr:warn:<id>:<dest|dates|people>` (the
warning that packing progress will be reset), `jr:del:<id>` (asks first), `jr:delok:<id>`.
The form (`conversations.journey`) starts from `jf:new` and `jf:edit:<id>:<dest|dates|people>`; the card's
Packing list and PDF buttons are `pk:open:<id>` and `pk:pdf:<id>` (`handlers.packing_list`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from handlers.keyboards import Option, keyboard
from handlers.screens import Screen, show_screen
from handlers.texts import render
from services.packing.checklist import Progress
from services.packing.journeys import EditTarget, card, split_upcoming
from storage.journeys import delete_journey, get_journey, journey_progress, list_journeys
from storage.models import GearJourney

PREFIX = "jr"
OPEN_CALLBACK = f"{PREFIX}:open"
LIST_CALLBACK = f"{PREFIX}:list"
NEW_CALLBACK = "jf:new"
MAX_LISTED = 40  # journeys shown as buttons: every upcoming one first, then the most recent past ones

_ID = re.compile(r"[0-9]{1,18}")
_WARN = re.compile(r"([0-9]{1,18}):(dest|dates|people)")


def card_callback(journey_id: int) -> str:
    return f"{PREFIX}:card:{journey_id}"


def edit_callback(journey_id: int, target: EditTarget) -> str:
    """Starts the form at the step(s) of `target` (after the warning)."""
    return f"jf:edit:{journey_id}:{target}"


# --- texts ------------------------------------------------------------------------------------------


def progress_of(counts: tuple[int, int, int]) -> Progress:
    departure, returned, total = counts
    return Progress(departure=departure, returned=returned, total=total)


# --- screens ----------------------------------------------------------------------------------------


def _list_label(language: str, kind: str, journey: GearJourney) -> str:
    values = {"destination": journey.destination, "start": journey.starts_at}
    return render(language, [(f"journeys.list.{kind}", values)], markup=False)


async def list_screen(context: BotContext) -> Screen:
    async with context.db.session() as session:
        journeys = await list_journeys(session, context.account.id)
    upcoming, past = split_upcoming(journeys, context.today)
    if not journeys:
        return Screen(
            context.t("journeys.list.empty"), keyboard([[(context.t("journeys.list.new"), NEW_CALLBACK)]])
        )
    shown = [("upcoming", journey) for journey in upcoming] + [("past", journey) for journey in past]
    rows: list[list[Option]] = [
        [(_list_label(context.language, kind, journey), card_callback(journey.id))]
        for kind, journey in shown[:MAX_LISTED]
    ]
    rows.append([(context.t("journeys.list.new"), NEW_CALLBACK)])
    return Screen(context.t("journeys.list.title", upcoming=len(upcoming), past=len(past)), keyboard(rows))


def card_view(context: BotContext, journey: GearJourney, progress: Progress) -> Screen:
    t, journey_id = context.t, journey.id
    rows = [
        [
            (t("journeys.card.list"), f"pk:open:{journey_id}"),
            (t("journeys.card.pdf"), f"pk:pdf:{journey_id}"),
        ],
        [
            (t("journeys.card.edit"), f"{PREFIX}:edit:{journey_id}"),
            (t("journeys.card.delete"), f"{PREFIX}:del:{journey_id}"),
        ],
        [(t("journeys.card.back"), LIST_CALLBACK)],
    ]
    return Screen(render(context.language, card(journey, progress)), keyboard(rows))


async def _load(context: BotContext, journey_id: int) -> tuple[GearJourney, Progress] | None:
    async with context.db.session() as session:
        journey = await get_journey(session, context.account.id, journey_id)
        if journey is None:
            return None
        counts = await journey_progress(session, context.account.id, journey_id)
    return journey, progress_of(counts)


async def _card_screen(context: BotContext, argument: str) -> Screen | None:
    loaded = await _load(context, int(argument))
    return card_view(context, *loaded) if loaded else None


async def _edit_menu(context: BotContext, argument: str) -> Screen | None:
    loaded = await _load(context, int(argument))
    if loaded is None:
        return None
    journey, _ = loaded
    rows = [
        [(context.t(f"journeys.edit.{target}"), f"{PREFIX}:warn:{journey.id}:{target}")]
        for target in EditTarget
    ]
    rows.append([(context.t("common.back"), card_callback(journey.id))])
    return Screen(
        context.t("journeys.edit.choose", destination=html.escape(journey.destination)), keyboard(rows)
    )


async def _warning(context: BotContext, argument: str) -> Screen | None:
    """FR-1.3: before the list is made again, say how much packing progress will be lost."""
    journey_id, target = argument.split(":")
    loaded = await _load(context, int(journey_id))
    if loaded is None:
        return None
    _, progress = loaded
    rows = [
        [(context.t("journeys.edit.continue"), edit_callback(int(journey_id), EditTarget(target)))],
        [(context.t("journeys.edit.cancel"), card_callback(int(journey_id)))],
    ]
    text = context.t(
        "journeys.edit.warning",
        departure=progress.departure,
        returned=progress.returned,
        total=progress.total,
    )
    return Screen(text, keyboard(rows))


async def _ask_delete(context: BotContext, argument: str) -> Screen | None:
    loaded = await _load(context, int(argument))
    if loaded is None:
        return None
    journey, _ = loaded
    values: dict[str, Any] = {
        "destination": journey.destination,
        "start": journey.starts_at,
        "end": journey.ends_at,
    }
    rows = [
        [(context.t("journeys.delete.yes"), f"{PREFIX}:delok:{journey.id}")],
        [(context.t("journeys.delete.no"), card_callback(journey.id))],
    ]
    return Screen(render(context.language, [("journeys.delete.confirm", values)]), keyboard(rows))


async def _delete(context: BotContext, argument: str) -> Screen | None:
    async with context.db.session() as session:
        journey = await get_journey(session, context.account.id, int(argument))
        if journey is None or not await delete_journey(session, context.account.id, journey.id):
            return None
    text = context.t("journeys.delete.done", destination=html.escape(journey.destination))
    return Screen(text, keyboard([[(context.t("journeys.card.back"), LIST_CALLBACK)]]))


_SCREENS: dict[str, tuple[re.Pattern[str], Callable[[BotContext, str], Awaitable[Screen | None]]]] = {
    "card": (_ID, _card_screen),
    "edit": (_ID, _edit_menu),
    "warn": (_WARN, _warning),
    "del": (_ID, _ask_delete),
    "delok": (_ID, _delete),
}


def _parse(data: str) -> tuple[str, str] | None:
    """(action, argument) of a `jr:` button, or None if it is not one we make."""
    if data in (OPEN_CALLBACK, LIST_CALLBACK):
        return data.removeprefix(f"{PREFIX}:"), ""
    action, _, argument = data.removeprefix(f"{PREFIX}:").partition(":")
    if action in _SCREENS and _SCREENS[action][0].fullmatch(argument):
        return action, argument
    return None


# --- Telegram ---------------------------------------------------------------------------------------


async def show_list(update: Update, context: BotContext) -> None:
    screen = await list_screen(context)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parsed = _parse(query.data)
    if parsed is None:
        await query.answer(context.t("common.expired_button"))
        return
    action, argument = parsed
    if action == "open":
        await query.answer()
        await show_list(update, context)
        return
    screen = await list_screen(context) if action == "list" else await _SCREENS[action][1](context, argument)
    if screen is None:  # missing, or another user's: the same answer, and nothing changed
        await query.answer(context.t("journeys.not_found"))
        return
    await show_screen(query, screen)


HANDLERS = [
    CommandHandler("journeys", show_list),
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
]
