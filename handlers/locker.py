"""/locker: the gear locker as buttons: categories, their items, an item's card and its properties.

callback_data, parsed in `parse_callback`: `lk:open` (the locker as a new message, from the main menu),
`lk:home[:<page>]` (the categories, in place), `lk:starter` / `lk:empty` (accept / decline the starter
set), `lk:cat:<id>[:<page>]` and `lk:none[:<page>]` (a category's items, the uncategorised ones),
`lk:item:<id>` (the card), `lk:props:<id>` (its properties as toggles), `lk:prop:<id>:<property>` (flip
one), `lk:del:<id>` / `lk:delok:<id>` (delete an item, after asking), `lk:cdel:<id>` / `lk:cdelok:<id>`
(delete a category, after asking). Typing (adding an item, editing a field, naming a category) is the
conversation in `conversations.locker_item`, started by the `lf:` buttons built here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from handlers.keyboards import Option, grid, keyboard
from handlers.screens import Screen, show_screen
from services.packing import starter
from services.packing.locker import (
    Choice,
    Step,
    card,
    delete_category_question,
    draft_of,
    list_entry,
    paging,
    question,
    stored_properties,
    toggled,
)
from services.validation import InvalidInput
from storage.locker import (
    add_categories_with_items,
    category_counts,
    count_items,
    delete_category,
    delete_item,
    get_category,
    get_item,
    list_items,
    locker_is_empty,
    update_item,
)
from storage.models import GearItem

PREFIX = "lk"
OPEN_CALLBACK = f"{PREFIX}:open"
HOME_CALLBACK = f"{PREFIX}:home"
ADD_ITEM_CALLBACK = "lf:add"
ADD_CATEGORY_CALLBACK = "lf:cadd"


# --- callback data ---------------------------------------------------------------------------------


def category_callback(category_id: int | None, page: int = 0) -> str:
    """A category's items (None: the uncategorised ones)."""
    base = f"{PREFIX}:none" if category_id is None else f"{PREFIX}:cat:{category_id}"
    return f"{base}:{page}" if page else base


def item_callback(item_id: int) -> str:
    return f"{PREFIX}:item:{item_id}"


def edit_item_callback(item_id: int, step: Step) -> str:
    return f"lf:edit:{item_id}:{step}"


def rename_category_callback(category_id: int) -> str:
    return f"lf:cren:{category_id}"


_ID, _PAGE = r"[0-9]{1,18}", r"[0-9]{1,4}"
_SHAPES: dict[str, re.Pattern[str]] = {
    "open": re.compile(""),
    "starter": re.compile(""),
    "empty": re.compile(""),
    "home": re.compile(f"(?:{_PAGE})?"),
    "none": re.compile(f"(?:{_PAGE})?"),
    "cat": re.compile(f"{_ID}(?::{_PAGE})?"),
    "prop": re.compile(f"{_ID}:[a-z-]{{1,20}}"),
    **{action: re.compile(_ID) for action in ("item", "props", "del", "delok", "cdel", "cdelok")},
}


@dataclass(frozen=True)
class Button:
    action: str
    id: int | None = None  # the category or item; the page for `home` and `none`
    page: int = 0
    value: str = ""  # a property


def parse_callback(data: str) -> Button | None:
    """The `lk:` button, or None if it is not one we make."""
    prefix, _, rest = data.partition(":")
    action, _, arguments = rest.partition(":")
    shape = _SHAPES.get(action)
    if prefix != PREFIX or shape is None or not shape.fullmatch(arguments):
        return None
    parts = arguments.split(":") if arguments else []
    if action in ("home", "none"):
        return Button(action, page=int(parts[0]) if parts else 0)
    if action == "prop":
        return Button(action, int(parts[0]), value=parts[1])
    if action == "cat":
        return Button(action, int(parts[0]), page=int(parts[1]) if len(parts) > 1 else 0)
    return Button(action, int(parts[0]) if parts else None)


# --- texts ------------------------------------------------------------------------------------------


def choice_label(context: BotContext, choice: Choice) -> str:
    label = choice.label if choice.label is not None else context.t(choice.label_key)
    if choice.checked is None:
        return label
    return context.t("locker.props.on" if choice.checked else "locker.props.off", label=label)


# --- screens ----------------------------------------------------------------------------------------


def _with_intro(intro: str | None, text: str) -> str:
    return f"{intro}\n\n{text}" if intro else text


def _page_row(context: BotContext, page: int, pages: int, callback: Callable[[int], str]) -> list[Option]:
    row: list[Option] = []
    if page > 0:
        row.append((context.t("locker.overview.previous"), callback(page - 1)))
    if page < pages - 1:
        row.append((context.t("locker.overview.next"), callback(page + 1)))
    return row


def _home_callback(page: int) -> str:
    return f"{HOME_CALLBACK}:{page}" if page else HOME_CALLBACK


async def overview_screen(context: BotContext, page: int = 0, intro: str | None = None) -> Screen:
    """The categories with their item counts, "Uncategorised (n)", and the ➕ buttons."""
    user_id = context.account.id
    async with context.db.session() as session:
        categories = await category_counts(session, user_id)
        uncategorised = await count_items(session, user_id, None)
    total = uncategorised + sum(category.items for category in categories)
    pages = paging(len(categories), page)
    shown = categories[pages.offset : pages.offset + pages.limit]
    options = [
        (context.t("locker.overview.category_button", name=c.name, count=c.items), category_callback(c.id))
        for c in shown
    ]
    rows = [
        *grid(options),
        [(context.t("locker.overview.uncategorised_button", count=uncategorised), category_callback(None))],
        _page_row(context, pages.page, pages.pages, _home_callback),
        [(context.t("locker.overview.add_item"), ADD_ITEM_CALLBACK),
         (context.t("locker.overview.add_category"), ADD_CATEGORY_CALLBACK)],
    ]  # fmt: skip
    lines = [context.t("locker.overview.title")]
    if total or categories:
        lines.append(context.t("locker.overview.summary", items=total, categories=len(categories)))
    else:
        lines.append(context.t("locker.overview.empty"))
    if pages.pages > 1:
        lines.append(context.t("locker.overview.page", page=pages.page + 1, pages=pages.pages))
    return Screen(_with_intro(intro, "\n".join(lines)), keyboard(row for row in rows if row))


def _starter_offer(context: BotContext) -> Screen:
    items, categories = starter.size()
    rows = [
        [(context.t("locker.starter.accept"), f"{PREFIX}:starter")],
        [(context.t("locker.starter.decline"), f"{PREFIX}:empty")],
    ]
    return Screen(context.t("locker.starter.offer", items=items, categories=categories), keyboard(rows))


async def entry_screen(context: BotContext) -> Screen:
    """The overview, or the starter set's offer when the locker is empty (no items, no categories)."""
    async with context.db.session() as session:
        empty = await locker_is_empty(session, context.account.id)
    return _starter_offer(context) if empty else await overview_screen(context)


async def _accept_starter(context: BotContext) -> Screen:
    """Add the starter set in the user's language now; only into an empty locker, so never twice."""
    categories = starter.materialise(context.t)
    async with context.db.session() as session:
        empty = await locker_is_empty(session, context.account.id)
        added = await add_categories_with_items(session, context.account.id, categories) if empty else 0
    if empty:
        note = context.t("locker.starter.added", items=added, categories=len(categories))
    else:
        note = context.t("locker.starter.already")
    screen = await overview_screen(context, intro=note)
    return Screen(screen.text, screen.markup, note=note)


async def category_screen(
    context: BotContext, category_id: int | None, page: int = 0, intro: str | None = None
) -> Screen | None:
    """A category's items as buttons, a page at a time; None if the user has no such category."""
    user_id = context.account.id
    async with context.db.session() as session:
        category = await get_category(session, user_id, category_id) if category_id is not None else None
        if category_id is not None and category is None:
            return None
        count = await count_items(session, user_id, category_id)
        pages = paging(count, page)
        items = await list_items(session, user_id, category_id, offset=pages.offset, limit=pages.limit)
    rows: list[list[Option]] = [
        [(context.render([list_entry(item)], markup=False), item_callback(item.id))] for item in items
    ]
    rows.append(_page_row(context, pages.page, pages.pages, lambda p: category_callback(category_id, p)))
    rows.append([(context.t("locker.overview.add_item"), ADD_ITEM_CALLBACK)])
    if category is not None:
        rows.append(
            [
                (context.t("locker.category.rename"), rename_category_callback(category.id)),
                (context.t("locker.category.delete"), f"{PREFIX}:cdel:{category.id}"),
            ]
        )
    rows.append([(context.t("common.back"), HOME_CALLBACK)])
    if category is None:
        lines = [context.t("locker.category.uncategorised_title")]
    else:
        lines = [context.t("locker.category.title", name=html.escape(category.name))]
    lines.append(
        context.t("locker.category.count", count=count) if count else context.t("locker.category.empty")
    )
    if pages.pages > 1:
        lines.append(context.t("locker.overview.page", page=pages.page + 1, pages=pages.pages))
    return Screen(_with_intro(intro, "\n".join(lines)), keyboard(row for row in rows if row))


def card_view(context: BotContext, item: GearItem) -> tuple[str, InlineKeyboardMarkup]:
    """The item card and its buttons."""
    rows = [
        [(context.t("locker.card.edit_name"), edit_item_callback(item.id, Step.NAME)),
         (context.t("locker.card.edit_category"), edit_item_callback(item.id, Step.CATEGORY))],
        [(context.t("locker.card.edit_quantity"), edit_item_callback(item.id, Step.QUANTITY)),
         (context.t("locker.card.edit_properties"), f"{PREFIX}:props:{item.id}")],
        [(context.t("locker.card.delete"), f"{PREFIX}:del:{item.id}")],
        [(context.t("common.back"), category_callback(item.category_id))],
    ]  # fmt: skip
    return context.render(card(item)), keyboard(rows)


async def _card_screen(context: BotContext, item_id: int) -> Screen | None:
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, item_id)
    return None if item is None else Screen(*card_view(context, item))


def _properties_screen(context: BotContext, item: GearItem) -> Screen:
    """The properties as ☐/☑ toggles (the add-item step's question, on a stored item) and Done."""
    asked = question(Step.PROPERTIES, draft_of(item), editing=True)
    rows: list[list[Option]] = [
        [(choice_label(context, choice), f"{PREFIX}:prop:{item.id}:{choice.token}")]
        for choice in asked.choices
    ]
    rows.append([(choice_label(context, control), item_callback(item.id)) for control in asked.controls])
    text = "\n".join(
        [context.t("locker.props.title", name=html.escape(item.name)), context.render(asked.texts[1:])]
    )
    return Screen(text, keyboard(rows))


async def _properties(context: BotContext, item_id: int) -> Screen | None:
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, item_id)
    return None if item is None else _properties_screen(context, item)


async def _toggle_property(context: BotContext, item_id: int, value: str) -> Screen | None:
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, item_id)
        if item is None:
            return None
        properties = toggled(item.properties, value)  # an unknown property raises InvalidInput
        item = await update_item(
            session, context.account.id, item_id, properties=stored_properties(properties)
        )
    return _properties_screen(context, item)


async def _ask_delete_item(context: BotContext, item_id: int) -> Screen | None:
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, item_id)
    if item is None:
        return None
    rows = [
        [(context.t("locker.item.delete_yes"), f"{PREFIX}:delok:{item.id}")],
        [(context.t("common.back"), item_callback(item.id))],
    ]
    return Screen(context.t("locker.item.delete_ask", name=html.escape(item.name)), keyboard(rows))


async def _delete_item(context: BotContext, item_id: int) -> Screen | None:
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, item_id)
        if item is None or not await delete_item(session, context.account.id, item_id):
            return None
    intro = context.t("locker.item.deleted", name=html.escape(item.name))
    screen = await category_screen(context, item.category_id, intro=intro)
    if screen is None:  # its category went in the meantime
        screen = await overview_screen(context, intro=intro)
    return Screen(screen.text, screen.markup, note=context.t("locker.item.deleted_note"))


async def _ask_delete_category(context: BotContext, category_id: int) -> Screen | None:
    async with context.db.session() as session:
        category = await get_category(session, context.account.id, category_id)
        if category is None:
            return None
        count = await count_items(session, context.account.id, category_id)
    rows = [
        [(context.t("locker.category.delete_yes"), f"{PREFIX}:cdelok:{category.id}")],
        [(context.t("common.back"), category_callback(category.id))],
    ]
    return Screen(context.render([delete_category_question(category.name, count)]), keyboard(rows))


async def _delete_category(context: BotContext, category_id: int) -> Screen | None:
    user_id = context.account.id
    async with context.db.session() as session:
        category = await get_category(session, user_id, category_id)
        if category is None:
            return None
        count = await count_items(session, user_id, category_id)
        await delete_category(session, user_id, category_id)
    intro = context.t("locker.category.deleted", name=html.escape(category.name), count=count)
    screen = await overview_screen(context, intro=intro)
    return Screen(screen.text, screen.markup, note=context.t("locker.category.deleted_note"))


async def _screen_for(context: BotContext, button: Button) -> Screen | None:
    """The screen a button leads to (after doing what it says); None if its row is missing or not theirs."""
    routes: dict[str, Callable[[], Awaitable[Screen | None]]] = {
        "home": lambda: overview_screen(context, button.page),
        "empty": lambda: overview_screen(context),
        "starter": lambda: _accept_starter(context),
        "none": lambda: category_screen(context, None, button.page),
        "cat": lambda: category_screen(context, button.id, button.page),
        "item": lambda: _card_screen(context, button.id),
        "props": lambda: _properties(context, button.id),
        "prop": lambda: _toggle_property(context, button.id, button.value),
        "del": lambda: _ask_delete_item(context, button.id),
        "delok": lambda: _delete_item(context, button.id),
        "cdel": lambda: _ask_delete_category(context, button.id),
        "cdelok": lambda: _delete_category(context, button.id),
    }
    return await routes[button.action]()


# --- Telegram ---------------------------------------------------------------------------------------


async def show_locker(update: Update, context: BotContext) -> None:
    screen = await entry_screen(context)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    button = parse_callback(query.data)
    if button is None:
        await query.answer(context.t("common.expired_button"))
        return
    if button.action == "open":
        await query.answer()
        await show_locker(update, context)
        return
    try:
        screen = await _screen_for(context, button)
    except InvalidInput as error:
        await query.answer(context.explain(error))
        return
    if screen is None:  # missing, or another user's: the same answer, and nothing changed
        await query.answer(context.t("locker.not_found"))
        return
    await show_screen(query, screen)


HANDLERS = [
    CommandHandler("locker", show_locker),
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
]
