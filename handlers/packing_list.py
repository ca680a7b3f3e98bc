"""The packing list in chat: one message per journey whose inline keyboard is the checklist.

callback_data, parsed in `parse`: `pk:<journey item id>:d` / `pk:<journey item id>:r` (flip the departure /
return box), `pk:n:<journey item id>` (the item's name: why it is on the list), `pk:pg:<journey id>:<page>`,
`pk:why:<journey id>`, `pk:pdf:<journey id>`, `pk:open:<journey id>` (the list as a new message, from the
card), `pk:regen:<journey id>` (the daily re-check's "Update the list"), and `pk:h` for buttons that only
label (category headers, the page number).

Every tap is checked against the user's journeys; a tap on a line of another user's list or of a list that
is gone (deleted, or made again) is answered with "This list has changed" and writes nothing.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, MessageLimit
from telegram.ext import CallbackQueryHandler

from handlers.callback_data import LABEL_ONLY
from handlers.context import BotContext
from handlers.keyboards import Option, keyboard
from handlers.screens import edit_in_place, edit_markup_in_place
from handlers.texts import render, show
from services.exports.packing_pdf import PackingSheetTexts, packing_pdf
from services.packing.checklist import ChecklistItem, Page, page_of, paginate, progress
from services.packing.conditions import WeatherForecast
from services.packing.generator import regenerate
from services.packing.journeys import (
    Text,
    checklist_of,
    participants_texts,
    pdf_file_name,
    reason_text,
    weather_text,
)
from storage.journeys import checklist_rows, get_journey, journey_item, toggle_packed, update_journey
from storage.models import GearJourney

PREFIX = "pk"
MAX_ANSWER_LENGTH = 200  # a callback answer's text

_BOX = re.compile(r"pk:([0-9]{1,18}):([dr])")
_NAME = re.compile(r"pk:n:([0-9]{1,18})")
_PAGE = re.compile(r"pk:pg:([0-9]{1,18}):([0-9]{1,4})")
_JOURNEY = re.compile(r"pk:(open|why|pdf|regen):([0-9]{1,18})")


@dataclass(frozen=True)
class Tap:
    action: str  # box, name, page, open, why, pdf, regen, label
    target: int = 0  # a journey item's id (box, name) or a journey's id
    argument: str = ""  # the box (d/r) or the page number


def parse(data: str) -> Tap | None:
    if data == LABEL_ONLY:
        return Tap("label")
    if match := _BOX.fullmatch(data):
        return Tap("box", int(match[1]), match[2])
    if match := _NAME.fullmatch(data):
        return Tap("name", int(match[1]))
    if match := _PAGE.fullmatch(data):
        return Tap("page", int(match[1]), match[2])
    if match := _JOURNEY.fullmatch(data):
        return Tap(match[1], int(match[2]))
    return None


def regen_callback(journey_id: int) -> str:
    return f"{PREFIX}:regen:{journey_id}"


# --- the list message -------------------------------------------------------------------------------


def _box(checked: bool) -> str:
    return "☑" if checked else "☐"


def _item_label(context: BotContext, item: ChecklistItem) -> str:
    return context.t("packing.item", name=item.name, quantity=item.quantity)


def list_text(context: BotContext, journey: GearJourney, items: Sequence[ChecklistItem]) -> str:
    """The list's title and its progress: how many lines are ticked for departure and for return."""
    title = {"destination": journey.destination, "start": journey.starts_at, "end": journey.ends_at}
    texts: list[Text] = [("packing.title", title)]
    if items:
        done = progress(items)
        counts = {"departure": done.departure, "returned": done.returned, "total": done.total}
        texts.append(("packing.progress", counts))
    else:
        texts.append(("packing.empty", {}))
    return render(context.language, texts)


def list_markup(context: BotContext, journey_id: int, page: Page) -> InlineKeyboardMarkup | None:
    """A header row per category, a row per item (name × quantity, departure, return), ◀ n/m ▶, Why?."""
    rows: list[list[Option]] = []
    for group in page.groups:
        category = group.category or context.t("packing.uncategorised")
        rows.append([(context.t("packing.header", category=category), LABEL_ONLY)])
        rows += [
            [
                (_item_label(context, item), f"{PREFIX}:n:{item.id}"),
                (
                    context.t("packing.departure", box=_box(item.packed_for_departure)),
                    f"{PREFIX}:{item.id}:d",
                ),
                (context.t("packing.return", box=_box(item.packed_for_return)), f"{PREFIX}:{item.id}:r"),
            ]
            for item in group.items
        ]
    if not rows:
        return None
    if page.count > 1:
        navigation: list[Option] = []
        if page.number > 0:
            navigation.append(("◀", f"{PREFIX}:pg:{journey_id}:{page.number - 1}"))
        navigation.append((f"{page.number + 1}/{page.count}", LABEL_ONLY))
        if page.number + 1 < page.count:
            navigation.append(("▶", f"{PREFIX}:pg:{journey_id}:{page.number + 1}"))
        rows.append(navigation)
    rows.append([(context.t("packing.why"), f"{PREFIX}:why:{journey_id}")])
    return keyboard(rows)


async def _checklist(
    context: BotContext, journey_id: int, *, reasons: bool = False
) -> tuple[GearJourney, list[ChecklistItem]] | None:
    async with context.db.session() as session:
        journey = await get_journey(session, context.account.id, journey_id)
        if journey is None:
            return None
        rows = await checklist_rows(session, context.account.id, journey_id, reasons=reasons)
    return journey, checklist_of(rows)


async def _send(
    message: Message, context: BotContext, journey: GearJourney, items: list[ChecklistItem]
) -> None:
    markup = list_markup(context, journey.id, paginate(items)[0])
    await message.reply_text(list_text(context, journey, items), reply_markup=markup)


async def send_list(message: Message, context: BotContext, journey_id: int) -> None:
    """The journey's packing list as a new message in the chat of `message`, at its first page."""
    if (loaded := await _checklist(context, journey_id)) is not None:
        await _send(message, context, *loaded)


def _plain(text: str) -> str:
    """The text as Telegram shows it after parsing its HTML (our texts only use simple tags)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def _edit(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None, *, text_changed: bool
) -> None:
    """The smallest edit that shows `text` and `markup`: the keyboard alone while the text is the same."""
    if text_changed:
        await edit_in_place(query, text, markup)
        return
    await edit_markup_in_place(query, markup)


# --- taps -------------------------------------------------------------------------------------------


async def _changed(query: CallbackQuery, context: BotContext) -> None:
    await query.answer(context.t("packing.changed"))


async def _opened(
    query: CallbackQuery, context: BotContext, journey_id: int, *, reasons: bool = False
) -> tuple[GearJourney, list[ChecklistItem]] | None:
    """The user's journey and its list, with the tap answered: at once, or with "this list has changed"."""
    loaded = await _checklist(context, journey_id, reasons=reasons)
    if loaded is None:
        await _changed(query, context)
    else:
        await query.answer()
    return loaded


class _Outdated(Exception):
    """The tapped line is not (or no longer) on a list of this user: roll the flip back."""


def _tapped_line(query: CallbackQuery) -> str | None:
    """The name button's label in the tapped row, as the user saw it (None if the message can't tell)."""
    markup = getattr(query.message, "reply_markup", None)
    for row in markup.inline_keyboard if markup else ():
        if any(button.callback_data == query.data for button in row):
            return row[0].text
    return None


async def _toggle(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    """One UPDATE scoped to the user's journeys, then, in the same transaction, the list's rows that the
    new keyboard needs. The answer waits for the write, as it says whether the tap counted.

    SQLite hands the ids of a deleted list to the next one, so a button of a list made again may name a
    line of the new list: when the tapped row showed another item than the line now is, the flip is
    rolled back and the user is told the list changed. A flip always changes a count, so the text (with
    the counts) and the keyboard are edited together.
    """
    shown = _tapped_line(query)
    user_id = context.account.id
    try:
        async with context.db.session() as session:
            journey_id = await toggle_packed(session, user_id, tap.target, tap.argument)
            journey = await get_journey(session, user_id, journey_id) if journey_id is not None else None
            if journey is None:
                raise _Outdated
            items = checklist_of(await checklist_rows(session, user_id, journey.id))
            line = next(item for item in items if item.id == tap.target)
            if shown is not None and shown != _item_label(context, line):
                raise _Outdated
    except _Outdated:
        await _changed(query, context)
        return
    await query.answer()
    page = paginate(items)[page_of(items, tap.target)]
    await _edit(
        query, list_text(context, journey, items), list_markup(context, journey.id, page), text_changed=True
    )


async def _page(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    if (loaded := await _opened(query, context, tap.target)) is None:
        return
    journey, items = loaded
    pages = paginate(items)
    page = pages[min(int(tap.argument), len(pages) - 1)]
    text = list_text(context, journey, items)
    markup = list_markup(context, tap.target, page)
    message = query.message
    text_changed = _plain(text) != getattr(message, "text", None)
    if text_changed or markup != getattr(message, "reply_markup", None):
        await _edit(query, text, markup, text_changed=text_changed)


async def _name(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    """The item's name button: why it is on the list, as a short answer."""
    async with context.db.session() as session:
        row = await journey_item(session, context.account.id, tap.target)
    if row is None:
        await _changed(query, context)
        return
    forecast = WeatherForecast.from_json(row.weather)
    reasons = [reason_text(reason, forecast) for reason in row.reasons or ()]
    values = {"name": row.name, "quantity": row.quantity, "reasons": reasons}
    key = "packing.name_reasons" if row.reasons else "packing.name_always"
    answer = render(context.language, [(key, values)], markup=False)
    await query.answer(answer[:MAX_ANSWER_LENGTH])


def why_texts(journey: GearJourney, items: Sequence[ChecklistItem]) -> list[Text]:
    forecast = WeatherForecast.from_json(journey.weather)
    texts: list[Text] = [("packing.why_title", {"destination": journey.destination}), weather_text(forecast)]
    explained = [item for item in sorted(items, key=lambda item: item.name.casefold()) if item.reasons]
    texts += [
        ("packing.why_item", {"name": item.name, "reasons": [reason_text(r, forecast) for r in item.reasons]})
        for item in explained
    ]
    texts.append(("packing.why_always", {}) if explained else ("packing.why_none", {}))
    return texts


def _chunks(lines: Sequence[str], limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Lines joined into messages that each fit Telegram's limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:limit]
    return [*chunks, current] if current else chunks


async def _why(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    if (loaded := await _opened(query, context, tap.target, reasons=True)) is None:
        return
    journey, items = loaded
    lines = [render(context.language, [text]) for text in why_texts(journey, items)]
    for chunk in _chunks(lines):
        await query.message.reply_text(chunk)


def sheet_texts(context: BotContext, journey: GearJourney) -> PackingSheetTexts:
    language = context.language
    values = {"destination": journey.destination, "start": journey.starts_at, "end": journey.ends_at}
    people = show(language, participants_texts(journey.participants), markup=False)
    weather = render(language, [weather_text(WeatherForecast.from_json(journey.weather))], markup=False)
    return PackingSheetTexts(
        title=render(language, [("packing.pdf.title", values)], markup=False),
        subtitle=f"{people} · {weather}",
        departure=context.t("packing.pdf.departure"),
        returned=context.t("packing.pdf.return"),
        uncategorised=context.t("packing.uncategorised"),
        page=context.t("packing.pdf.page"),
    )


async def _pdf(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    """The printable list: made in a thread while the chat shows "sending a file…"."""
    if (loaded := await _opened(query, context, tap.target)) is None:
        return
    journey, items = loaded
    chat = query.message.chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(packing_pdf, items, sheet_texts(context, journey))
    await chat.send_document(
        data,
        filename=pdf_file_name(journey.destination, journey.starts_at),
        caption=context.t("packing.pdf.caption", destination=html.escape(journey.destination)),
    )


async def _open(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    if (loaded := await _opened(query, context, tap.target)) is not None:
        await _send(query.message, context, *loaded)


async def _regenerate(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    """The daily re-check's button: fetch the forecast again (nothing is kept behind a button), store it and
    make the list again, in one transaction."""
    async with context.db.session() as session:
        journey = await get_journey(session, context.account.id, tap.target)
    if journey is None:
        await _changed(query, context)
        return
    forecast = None
    if (weather := context.runtime.weather) is not None:
        forecast = await weather.weather_for(
            float(journey.latitude),
            float(journey.longitude),
            journey.starts_at,
            journey.ends_at,
            today=context.today,
        )
    if forecast is None:
        await query.answer(context.t("packing.no_weather"))
        return
    async with context.db.session() as session:
        journey = await update_journey(session, context.account.id, tap.target, weather=forecast.to_json())
        if journey is not None:
            await regenerate(session, journey)
    if journey is None:
        await _changed(query, context)
        return
    await query.answer()
    await edit_in_place(
        query, context.t("packing.recheck.done", destination=html.escape(journey.destination))
    )
    await send_list(query.message, context, journey.id)


async def _label(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    await query.answer()


_ACTIONS = {
    "box": _toggle,
    "page": _page,
    "name": _name,
    "why": _why,
    "pdf": _pdf,
    "open": _open,
    "regen": _regenerate,
    "label": _label,
}


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    tap = parse(query.data)
    if tap is None:
        await query.answer(context.t("common.expired_button"))
        return
    await _ACTIONS[tap.action](query, context, tap)


HANDLERS = [CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:")]
