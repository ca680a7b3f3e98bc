"""The packing list in chat: one message per journey whose inline keyboard is the checklist.

Its buttons (payloads below, in `handlers.callback_data`): `pk:<journey item id>:d` / `pk:<journey item
id>:r` (flip the departure / return box), `pk:n:<journey item id>` (the item's name: why it is on the list),
`pk:pg:<journey id>:<page>`, `pk:why:<journey id>`, `pk:pdf:<journey id>`, `pk:open:<journey id>` (the list
as a new message, from the card) and `pk:regen:<journey id>` (the daily re-check's "Update the list").
Category headers and the page number only label: they carry `cb.LABEL_ONLY` (`pk:h` on lists sent before).

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

from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import Option, checklist_row, keyboard
from handlers.screens import edit_in_place, edit_markup_in_place
from handlers.texts import render, show
from services import checklist, journeys
from services.checklist import ChecklistView, Side, why_texts
from services.exports.packing_pdf import PackingSheetTexts, packing_pdf
from services.packing.checklist import ChecklistItem, Page, page_of, paginate, progress
from services.packing.journeys import Journey, Text, participants_texts, pdf_file_name, weather_text

MAX_ANSWER_LENGTH = 200  # a callback answer's text


@dataclass(frozen=True)
class Tick(cb.Payload, template="pk:{item_id}:{side}"):
    item_id: int  # the gear_journey_items row
    side: Side


@dataclass(frozen=True)
class ItemName(cb.Payload, template="pk:n:{item_id}"):
    item_id: int


@dataclass(frozen=True)
class TurnPage(cb.Payload, template="pk:pg:{journey_id}:{page}"):
    journey_id: int
    page: int


@dataclass(frozen=True)
class Why(cb.Payload, template="pk:why:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class Pdf(cb.Payload, template="pk:pdf:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class OpenList(cb.Payload, template="pk:open:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class Regenerate(cb.Payload, template="pk:regen:{journey_id}"):
    journey_id: int


@dataclass(frozen=True)
class OldLabel(cb.Payload, template="pk:h"):
    """A header or page number on a list sent before those carried `cb.LABEL_ONLY`: answered with nothing."""

    label = True


def regen_callback(journey_id: int) -> str:
    return Regenerate(journey_id).encode()


# --- the list message -------------------------------------------------------------------------------


def _box(checked: bool) -> str:
    return "☑" if checked else "☐"


def _item_label(context: BotContext, item: ChecklistItem) -> str:
    return context.t("packing.item", name=item.name, quantity=item.quantity)


def list_text(context: BotContext, journey: Journey, items: Sequence[ChecklistItem]) -> str:
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
        rows.append([(context.t("packing.header", category=category), cb.LABEL_ONLY)])
        rows += [
            checklist_row(
                (_item_label(context, item), ItemName(item.id).encode()),
                [
                    (
                        context.t("packing.departure", box=_box(item.packed_for_departure)),
                        Tick(item.id, Side.DEPARTURE).encode(),
                    ),
                    (
                        context.t("packing.return", box=_box(item.packed_for_return)),
                        Tick(item.id, Side.RETURN).encode(),
                    ),
                ],
            )
            for item in group.items
        ]
    if not rows:
        return None
    if page.count > 1:
        navigation: list[Option] = []
        if page.number > 0:
            navigation.append(("◀", TurnPage(journey_id, page.number - 1).encode()))
        navigation.append((f"{page.number + 1}/{page.count}", cb.LABEL_ONLY))
        if page.number + 1 < page.count:
            navigation.append(("▶", TurnPage(journey_id, page.number + 1).encode()))
        rows.append(navigation)
    rows.append([(context.t("packing.why"), Why(journey_id).encode())])
    return keyboard(rows)


async def _send(message: Message, context: BotContext, view: ChecklistView) -> None:
    markup = list_markup(context, view.journey.id, paginate(view.items)[0])
    await message.reply_text(list_text(context, view.journey, view.items), reply_markup=markup)


async def send_list(message: Message, context: BotContext, journey_id: int) -> None:
    """The journey's packing list as a new message in the chat of `message`, at its first page."""
    if (view := await checklist.checklist(context.uow, context.account.id, journey_id)) is not None:
        await _send(message, context, view)


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
) -> ChecklistView | None:
    """The user's journey and its list, with the tap answered: at once, or with "this list has changed"."""
    view = await checklist.checklist(context.uow, context.account.id, journey_id, reasons=reasons)
    if view is None:
        await _changed(query, context)
    else:
        await query.answer()
    return view


def _tapped_line(query: CallbackQuery) -> str | None:
    """The name button's label in the tapped row, as the user saw it (None if the message can't tell)."""
    markup = getattr(query.message, "reply_markup", None)
    for row in markup.inline_keyboard if markup else ():
        if any(button.callback_data == query.data for button in row):
            return row[0].text
    return None


async def _toggle(query: CallbackQuery, context: BotContext, tick: Tick) -> None:
    """One transaction flips the box and reads the list back; the answer waits for it, as it says whether
    the tap counted. When the tapped row showed another item than the line now is (a list made again), the
    flip is undone and the user is told the list changed. A flip always changes a count, so the text (with
    the counts) and the keyboard are edited together."""
    shown = _tapped_line(query)
    view = await checklist.toggle_packed(
        context.uow,
        context.account.id,
        tick.item_id,
        tick.side,
        seen=None if shown is None else lambda line: _item_label(context, line) == shown,
    )
    if view is None:
        await _changed(query, context)
        return
    await query.answer()
    journey, items = view.journey, view.items
    page = paginate(items)[page_of(items, tick.item_id)]
    await _edit(
        query, list_text(context, journey, items), list_markup(context, journey.id, page), text_changed=True
    )


async def _page(query: CallbackQuery, context: BotContext, turn: TurnPage) -> None:
    if (view := await _opened(query, context, turn.journey_id)) is None:
        return
    pages = paginate(view.items)
    page = pages[max(0, min(turn.page, len(pages) - 1))]
    text = list_text(context, view.journey, view.items)
    markup = list_markup(context, turn.journey_id, page)
    message = query.message
    text_changed = _plain(text) != getattr(message, "text", None)
    if text_changed or markup != getattr(message, "reply_markup", None):
        await _edit(query, text, markup, text_changed=text_changed)


async def _name(query: CallbackQuery, context: BotContext, name: ItemName) -> None:
    """The item's name button: why it is on the list, as a short answer."""
    reasons = await checklist.item_reasons(context.uow, context.account.id, name.item_id)
    if reasons is None:
        await _changed(query, context)
        return
    answer = render(context.language, [reasons], markup=False)
    await query.answer(answer[:MAX_ANSWER_LENGTH])


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


async def _why(query: CallbackQuery, context: BotContext, why: Why) -> None:
    if (view := await _opened(query, context, why.journey_id, reasons=True)) is None:
        return
    lines = [render(context.language, [text]) for text in why_texts(view.journey, view.items)]
    for chunk in _chunks(lines):
        await query.message.reply_text(chunk)


def sheet_texts(context: BotContext, journey: Journey) -> PackingSheetTexts:
    language = context.language
    values = {"destination": journey.destination, "start": journey.starts_at, "end": journey.ends_at}
    people = show(language, participants_texts(journey.participants), markup=False)
    weather = render(language, [weather_text(journey.forecast)], markup=False)
    return PackingSheetTexts(
        title=render(language, [("packing.pdf.title", values)], markup=False),
        subtitle=f"{people} · {weather}",
        departure=context.t("packing.pdf.departure"),
        returned=context.t("packing.pdf.return"),
        uncategorised=context.t("packing.uncategorised"),
        page=context.t("packing.pdf.page"),
    )


async def _pdf(query: CallbackQuery, context: BotContext, pdf: Pdf) -> None:
    """The printable list: made in a thread while the chat shows "sending a file…"."""
    if (view := await _opened(query, context, pdf.journey_id)) is None:
        return
    journey = view.journey
    chat = query.message.chat
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(packing_pdf, list(view.items), sheet_texts(context, journey))
    await chat.send_document(
        data,
        filename=pdf_file_name(journey.destination, journey.starts_at),
        caption=context.t("packing.pdf.caption", destination=html.escape(journey.destination)),
    )


async def _open(query: CallbackQuery, context: BotContext, opened: OpenList) -> None:
    if (view := await _opened(query, context, opened.journey_id)) is not None:
        await _send(query.message, context, view)


async def _regenerate(query: CallbackQuery, context: BotContext, regen: Regenerate) -> None:
    """The daily re-check's button: the forecast fetched again, stored, and the list made again."""
    done = await journeys.regenerate_with_forecast(
        context.uow, context.runtime.weather, context.account.id, regen.journey_id, context.today
    )
    if done.no_forecast:
        await query.answer(context.t("packing.no_weather"))
        return
    if done.journey is None:
        await _changed(query, context)
        return
    await query.answer()
    await edit_in_place(
        query, context.t("packing.recheck.done", destination=html.escape(done.journey.destination))
    )
    await send_list(query.message, context, done.journey.id)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    match cb.decode(query.data):
        case Tick() as tick:
            await _toggle(query, context, tick)
        case TurnPage() as turn:
            await _page(query, context, turn)
        case ItemName() as name:
            await _name(query, context, name)
        case Why() as why:
            await _why(query, context, why)
        case Pdf() as pdf:
            await _pdf(query, context, pdf)
        case OpenList() as opened:
            await _open(query, context, opened)
        case Regenerate() as regen:
            await _regenerate(query, context, regen)
        case _:  # a label of an older list
            await query.answer()


HANDLERS = [
    CallbackQueryHandler(
        on_button, pattern=cb.matches(Tick, TurnPage, ItemName, Why, Pdf, OpenList, Regenerate, OldLabel)
    )
]
