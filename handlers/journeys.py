"""/journeys: the journeys as buttons (upcoming first, then past), a journey's card, Edit and Delete.

Its buttons (payloads below): `jr:open` (the list as a new message, from the main menu), `jr:list` (the
list in place), `jr:card:<id>`, `jr:edit:<id>` (what to change), `jr:warn:<id>:<dest|dates|people>` (the
warning that packing progress will be reset), `jr:del:<id>` (asks first), `jr:delok:<id>`.
The form (`conversations.journey`) starts from `jf:new` and `jf:edit:<id>:<dest|dates|people>` (declared
here, as the card makes them); the card's Packing list and PDF buttons are `handlers.packing_list`'s.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import Option, keyboard
from handlers.packing_list import OpenList, Pdf
from handlers.screens import Screen, show_screen
from handlers.texts import render
from services import journeys
from services.journeys import JourneyCard
from services.packing.journeys import EditTarget, Journey, card, split_upcoming

MAX_LISTED = 40  # journeys shown as buttons: every upcoming one first, then the most recent past ones


@dataclass(frozen=True)
class OpenJourneys(cb.Payload, template="jr:open"):
    pass


@dataclass(frozen=True)
class JourneyList(cb.Payload, template="jr:list"):
    pass


@dataclass(frozen=True)
class ShowCard(cb.Payload, template="jr:card:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class EditMenu(cb.Payload, template="jr:edit:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class EditWarning(cb.Payload, template="jr:warn:{journey_id}:{target}"):
    journey_id: int
    target: EditTarget


@dataclass(frozen=True)
class AskDelete(cb.Payload, template="jr:del:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class Delete(cb.Payload, template="jr:delok:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class NewJourney(cb.Payload, template="jf:new"):
    """Starts the journey form."""


@dataclass(frozen=True)
class EditJourney(cb.Payload, template="jf:edit:{journey_id}:{target}"):
    """Starts the form at the step(s) of `target` (after the warning)."""

    journey_id: int
    target: EditTarget


OPEN_CALLBACK = OpenJourneys().encode()
LIST_CALLBACK = JourneyList().encode()
NEW_CALLBACK = NewJourney().encode()


def card_callback(journey_id: int) -> str:
    return ShowCard(journey_id).encode()


def edit_callback(journey_id: int, target: EditTarget) -> str:
    return EditJourney(journey_id, target).encode()


# --- screens ----------------------------------------------------------------------------------------


def _list_label(language: str, kind: str, journey: Journey) -> str:
    values = {"destination": journey.destination, "start": journey.starts_at}
    return render(language, [(f"journeys.list.{kind}", values)], markup=False)


async def list_screen(context: BotContext) -> Screen:
    all_journeys = await journeys.list_journeys(context.uow, context.account.id)
    upcoming, past = split_upcoming(all_journeys, context.today)
    if not all_journeys:
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


def card_view(context: BotContext, loaded: JourneyCard) -> Screen:
    t, journey_id = context.t, loaded.journey.id
    rows = [
        [
            (t("journeys.card.list"), OpenList(journey_id).encode()),
            (t("journeys.card.pdf"), Pdf(journey_id).encode()),
        ],
        [
            (t("journeys.card.edit"), EditMenu(journey_id).encode()),
            (t("journeys.card.delete"), AskDelete(journey_id).encode()),
        ],
        [(t("journeys.card.back"), LIST_CALLBACK)],
    ]
    return Screen(render(context.language, card(loaded.journey, loaded.progress)), keyboard(rows))


async def _load(context: BotContext, journey_id: int) -> JourneyCard | None:
    return await journeys.journey_card(context.uow, context.account.id, journey_id)


async def _card_screen(context: BotContext, journey_id: int) -> Screen | None:
    loaded = await _load(context, journey_id)
    return card_view(context, loaded) if loaded else None


async def _edit_menu(context: BotContext, journey_id: int) -> Screen | None:
    journey = await journeys.get_journey(context.uow, context.account.id, journey_id)
    if journey is None:
        return None
    rows = [
        [(context.t(f"journeys.edit.{target}"), EditWarning(journey.id, target).encode())]
        for target in EditTarget
    ]
    rows.append([(context.t("common.back"), card_callback(journey.id))])
    return Screen(
        context.t("journeys.edit.choose", destination=html.escape(journey.destination)), keyboard(rows)
    )


async def _warning(context: BotContext, warning: EditWarning) -> Screen | None:
    """Before the list is made again, say how much packing progress will be lost."""
    loaded = await _load(context, warning.journey_id)
    if loaded is None:
        return None
    progress = loaded.progress
    rows = [
        [(context.t("journeys.edit.continue"), edit_callback(warning.journey_id, warning.target))],
        [(context.t("journeys.edit.cancel"), card_callback(warning.journey_id))],
    ]
    text = context.t(
        "journeys.edit.warning",
        departure=progress.departure,
        returned=progress.returned,
        total=progress.total,
    )
    return Screen(text, keyboard(rows))


async def _ask_delete(context: BotContext, journey_id: int) -> Screen | None:
    journey = await journeys.get_journey(context.uow, context.account.id, journey_id)
    if journey is None:
        return None
    values: dict[str, Any] = {
        "destination": journey.destination,
        "start": journey.starts_at,
        "end": journey.ends_at,
    }
    rows = [
        [(context.t("journeys.delete.yes"), Delete(journey.id).encode())],
        [(context.t("journeys.delete.no"), card_callback(journey.id))],
    ]
    return Screen(render(context.language, [("journeys.delete.confirm", values)]), keyboard(rows))


async def _delete(context: BotContext, journey_id: int) -> Screen | None:
    journey = await journeys.delete_journey(context.uow, context.account.id, journey_id)
    if journey is None:
        return None
    text = context.t("journeys.delete.done", destination=html.escape(journey.destination))
    return Screen(text, keyboard([[(context.t("journeys.card.back"), LIST_CALLBACK)]]))


async def _screen_for(context: BotContext, payload: cb.Payload | None) -> Screen | None:
    """The screen a button leads to (after doing what it says); None: the journey is missing or not theirs."""
    match payload:
        case ShowCard(journey_id=journey_id):
            return await _card_screen(context, journey_id)
        case EditMenu(journey_id=journey_id):
            return await _edit_menu(context, journey_id)
        case EditWarning() as warning:
            return await _warning(context, warning)
        case AskDelete(journey_id=journey_id):
            return await _ask_delete(context, journey_id)
        case Delete(journey_id=journey_id):
            return await _delete(context, journey_id)
        case _:
            return await list_screen(context)


# --- Telegram ---------------------------------------------------------------------------------------


async def show_list(update: Update, context: BotContext) -> None:
    screen = await list_screen(context)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    payload = cb.decode(query.data)
    if isinstance(payload, OpenJourneys):
        await query.answer()
        await show_list(update, context)
        return
    screen = await _screen_for(context, payload)
    if screen is None:  # missing, or another user's: the same answer, and nothing changed
        await query.answer(context.t("journeys.not_found"))
        return
    await show_screen(query, screen)


HANDLERS = [
    CommandHandler("journeys", show_list),
    CallbackQueryHandler(
        on_button,
        pattern=cb.matches(OpenJourneys, JourneyList, ShowCard, EditMenu, EditWarning, AskDelete, Delete),
    ),
]
