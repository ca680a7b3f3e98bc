"""/locker: the gear locker as buttons: categories, their items, an item's card and its properties.

Its buttons (payloads below): `lk:open` (the locker as a new message, from the main menu),
`lk:home[:<page>]` (the categories, in place), `lk:starter` / `lk:empty` (accept / decline the starter
set), `lk:cat:<id>[:<page>]` and `lk:none[:<page>]` (a category's items, the uncategorised ones),
`lk:item:<id>` (the card), `lk:props:<id>` (its properties as toggles), `lk:prop:<id>:<property>` (flip
one), `lk:del:<id>` / `lk:delok:<id>` (delete an item, after asking), `lk:cdel:<id>` / `lk:cdelok:<id>`
(delete a category, after asking). Typing (adding an item, editing a field, naming a category) is the
conversation in `conversations.locker_item`, started by the `lf:` buttons declared here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import Option, grid, keyboard
from handlers.screens import Screen, show_screen
from services import locker
from services.locker import CategoryPage, Overview
from services.packing import starter
from services.packing.conditions import GearProperty
from services.packing.locker import (
    Choice,
    LockerItem,
    Step,
    card,
    delete_category_question,
    draft_of,
    list_entry,
    paging,
    question,
)
from services.validation import InvalidInput

# --- callback data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenLocker(cb.Payload, template="lk:open"):
    pass


@dataclass(frozen=True)
class Home(cb.Payload, template="lk:home"):
    pass


@dataclass(frozen=True)
class HomePage(cb.Payload, template="lk:home:{page}"):
    page: int


@dataclass(frozen=True)
class AcceptStarter(cb.Payload, template="lk:starter"):
    pass


@dataclass(frozen=True)
class DeclineStarter(cb.Payload, template="lk:empty"):
    pass


@dataclass(frozen=True)
class CategoryItems(cb.Payload, template="lk:cat:{category_id}"):
    category_id: int


@dataclass(frozen=True)
class CategoryItemsPage(cb.Payload, template="lk:cat:{category_id}:{page}"):
    category_id: int
    page: int


@dataclass(frozen=True)
class Uncategorised(cb.Payload, template="lk:none"):
    pass


@dataclass(frozen=True)
class UncategorisedPage(cb.Payload, template="lk:none:{page}"):
    page: int


@dataclass(frozen=True)
class ItemCard(cb.Payload, template="lk:item:{item_id}"):
    item_id: int


@dataclass(frozen=True)
class Properties(cb.Payload, template="lk:props:{item_id}"):
    item_id: int


@dataclass(frozen=True)
class FlipProperty(cb.Payload, template="lk:prop:{item_id}:{prop}"):
    item_id: int
    prop: GearProperty


@dataclass(frozen=True)
class AskDeleteItem(cb.Payload, template="lk:del:{item_id}"):
    item_id: int


@dataclass(frozen=True)
class DeleteItem(cb.Payload, template="lk:delok:{item_id}"):
    item_id: int


@dataclass(frozen=True)
class AskDeleteCategory(cb.Payload, template="lk:cdel:{category_id}"):
    category_id: int


@dataclass(frozen=True)
class DeleteCategory(cb.Payload, template="lk:cdelok:{category_id}"):
    category_id: int


# The form's starts (`conversations.locker_item`), made by the screens here.


@dataclass(frozen=True)
class AddItem(cb.Payload, template="lf:add"):
    pass


@dataclass(frozen=True)
class EditItem(cb.Payload, template="lf:edit:{item_id}:{field}"):
    item_id: int
    field: Step  # name, cat or qty (another step is a stale button)


@dataclass(frozen=True)
class AddCategory(cb.Payload, template="lf:cadd"):
    pass


@dataclass(frozen=True)
class RenameCategory(cb.Payload, template="lf:cren:{category_id}"):
    category_id: int


BUTTONS = (
    OpenLocker,
    Home,
    HomePage,
    AcceptStarter,
    DeclineStarter,
    CategoryItems,
    CategoryItemsPage,
    Uncategorised,
    UncategorisedPage,
    ItemCard,
    Properties,
    FlipProperty,
    AskDeleteItem,
    DeleteItem,
    AskDeleteCategory,
    DeleteCategory,
)
OPEN_CALLBACK = OpenLocker().encode()
HOME_CALLBACK = Home().encode()
ADD_ITEM_CALLBACK = AddItem().encode()
ADD_CATEGORY_CALLBACK = AddCategory().encode()


def category_callback(category_id: int | None, page: int = 0) -> str:
    """A category's items (None: the uncategorised ones)."""
    if category_id is None:
        return (UncategorisedPage(page) if page else Uncategorised()).encode()
    return (CategoryItemsPage(category_id, page) if page else CategoryItems(category_id)).encode()


def item_callback(item_id: int) -> str:
    return ItemCard(item_id).encode()


def edit_item_callback(item_id: int, step: Step) -> str:
    return EditItem(item_id, step).encode()


def rename_category_callback(category_id: int) -> str:
    return RenameCategory(category_id).encode()


def _home_callback(page: int) -> str:
    return (HomePage(page) if page else Home()).encode()


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


def overview_view(context: BotContext, overview: Overview, page: int = 0, intro: str | None = None) -> Screen:
    """The categories with their item counts, "Uncategorised (n)", and the ➕ buttons."""
    categories = overview.categories
    pages = paging(len(categories), page)
    shown = categories[pages.offset : pages.offset + pages.limit]
    options = [
        (context.t("locker.overview.category_button", name=c.name, count=c.items), category_callback(c.id))
        for c in shown
    ]
    rows = [
        *grid(options),
        [(context.t("locker.overview.uncategorised_button", count=overview.uncategorised),
          category_callback(None))],
        _page_row(context, pages.page, pages.pages, _home_callback),
        [(context.t("locker.overview.add_item"), ADD_ITEM_CALLBACK),
         (context.t("locker.overview.add_category"), ADD_CATEGORY_CALLBACK)],
    ]  # fmt: skip
    lines = [context.t("locker.overview.title")]
    if overview.items or categories:
        lines.append(context.t("locker.overview.summary", items=overview.items, categories=len(categories)))
    else:
        lines.append(context.t("locker.overview.empty"))
    if pages.pages > 1:
        lines.append(context.t("locker.overview.page", page=pages.page + 1, pages=pages.pages))
    return Screen(_with_intro(intro, "\n".join(lines)), keyboard(row for row in rows if row))


async def overview_screen(context: BotContext, page: int = 0) -> Screen:
    return overview_view(context, await locker.overview(context.uow, context.account.id), page)


def _starter_offer(context: BotContext) -> Screen:
    items, categories = starter.size()
    rows = [
        [(context.t("locker.starter.accept"), AcceptStarter().encode())],
        [(context.t("locker.starter.decline"), DeclineStarter().encode())],
    ]
    return Screen(context.t("locker.starter.offer", items=items, categories=categories), keyboard(rows))


async def entry_screen(context: BotContext) -> Screen:
    """The overview, or the starter set's offer when the locker is empty (no items, no categories)."""
    overview = await locker.overview(context.uow, context.account.id)
    return _starter_offer(context) if overview.is_empty else overview_view(context, overview)


async def _accept_starter(context: BotContext) -> Screen:
    """Add the starter set in the user's language now; only into an empty locker, so never twice."""
    categories = starter.materialise(context.t)
    done = await locker.accept_starter(context.uow, context.account.id, categories)
    if done.added is not None:
        note = context.t("locker.starter.added", items=done.added, categories=len(categories))
    else:
        note = context.t("locker.starter.already")
    screen = overview_view(context, done.overview, intro=note)
    return Screen(screen.text, screen.markup, note=note)


def category_view(context: BotContext, listing: CategoryPage, intro: str | None = None) -> Screen:
    """A category's items as buttons, a page at a time."""
    category, pages, count = listing.category, listing.paging, listing.count
    category_id = category.id if category is not None else None
    rows: list[list[Option]] = [
        [(context.render([list_entry(item)], markup=False), item_callback(item.id))] for item in listing.items
    ]
    rows.append(_page_row(context, pages.page, pages.pages, lambda p: category_callback(category_id, p)))
    rows.append([(context.t("locker.overview.add_item"), ADD_ITEM_CALLBACK)])
    if category is not None:
        rows.append(
            [
                (context.t("locker.category.rename"), rename_category_callback(category.id)),
                (context.t("locker.category.delete"), AskDeleteCategory(category.id).encode()),
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


def listing_view(context: BotContext, listing: CategoryPage | Overview, intro: str | None = None) -> Screen:
    if isinstance(listing, Overview):
        return overview_view(context, listing, intro=intro)
    return category_view(context, listing, intro)


async def category_screen(context: BotContext, category_id: int | None, page: int = 0) -> Screen | None:
    """A category's items; None if the user has no such category."""
    listing = await locker.category_page(context.uow, context.account.id, category_id, page)
    return None if listing is None else category_view(context, listing)


def card_view(context: BotContext, item: LockerItem) -> tuple[str, InlineKeyboardMarkup]:
    """The item card and its buttons."""
    rows = [
        [(context.t("locker.card.edit_name"), edit_item_callback(item.id, Step.NAME)),
         (context.t("locker.card.edit_category"), edit_item_callback(item.id, Step.CATEGORY))],
        [(context.t("locker.card.edit_quantity"), edit_item_callback(item.id, Step.QUANTITY)),
         (context.t("locker.card.edit_properties"), Properties(item.id).encode())],
        [(context.t("locker.card.delete"), AskDeleteItem(item.id).encode())],
        [(context.t("common.back"), category_callback(item.category_id))],
    ]  # fmt: skip
    return context.render(card(item)), keyboard(rows)


async def _card_screen(context: BotContext, item_id: int) -> Screen | None:
    item = await locker.get_item(context.uow, context.account.id, item_id)
    return None if item is None else Screen(*card_view(context, item))


def _properties_view(context: BotContext, item: LockerItem) -> Screen:
    """The properties as ☐/☑ toggles (the add-item step's question, on a stored item) and Done."""
    asked = question(Step.PROPERTIES, draft_of(item), editing=True)
    rows: list[list[Option]] = [
        [(choice_label(context, choice), FlipProperty(item.id, GearProperty(choice.token)).encode())]
        for choice in asked.choices
    ]
    rows.append([(choice_label(context, control), item_callback(item.id)) for control in asked.controls])
    text = "\n".join(
        [context.t("locker.props.title", name=html.escape(item.name)), context.render(asked.texts[1:])]
    )
    return Screen(text, keyboard(rows))


async def _properties(context: BotContext, item_id: int) -> Screen | None:
    item = await locker.get_item(context.uow, context.account.id, item_id)
    return None if item is None else _properties_view(context, item)


async def _toggle_property(context: BotContext, flip: FlipProperty) -> Screen | None:
    item = await locker.toggle_property(context.uow, context.account.id, flip.item_id, flip.prop)
    return None if item is None else _properties_view(context, item)


async def _ask_delete_item(context: BotContext, item_id: int) -> Screen | None:
    item = await locker.get_item(context.uow, context.account.id, item_id)
    if item is None:
        return None
    rows = [
        [(context.t("locker.item.delete_yes"), DeleteItem(item.id).encode())],
        [(context.t("common.back"), item_callback(item.id))],
    ]
    return Screen(context.t("locker.item.delete_ask", name=html.escape(item.name)), keyboard(rows))


async def _delete_item(context: BotContext, item_id: int) -> Screen | None:
    deleted = await locker.delete_item(context.uow, context.account.id, item_id)
    if deleted is None:
        return None
    intro = context.t("locker.item.deleted", name=html.escape(deleted.item.name))
    screen = listing_view(context, deleted.listing, intro)
    return Screen(screen.text, screen.markup, note=context.t("locker.item.deleted_note"))


async def _ask_delete_category(context: BotContext, category_id: int) -> Screen | None:
    category = await locker.category_count(context.uow, context.account.id, category_id)
    if category is None:
        return None
    rows = [
        [(context.t("locker.category.delete_yes"), DeleteCategory(category.id).encode())],
        [(context.t("common.back"), category_callback(category.id))],
    ]
    return Screen(context.render([delete_category_question(category.name, category.items)]), keyboard(rows))


async def _delete_category(context: BotContext, category_id: int) -> Screen | None:
    deleted = await locker.delete_category(context.uow, context.account.id, category_id)
    if deleted is None:
        return None
    category = deleted.category
    intro = context.t("locker.category.deleted", name=html.escape(category.name), count=category.items)
    screen = overview_view(context, deleted.overview, intro=intro)
    return Screen(screen.text, screen.markup, note=context.t("locker.category.deleted_note"))


async def _screen_for(context: BotContext, button: cb.Payload | None) -> Screen | None:
    """The screen a button leads to (after doing what it says); None if its row is missing or not theirs."""
    match button:
        case HomePage(page=page):
            return await overview_screen(context, page)
        case AcceptStarter():
            return await _accept_starter(context)
        case Uncategorised():
            return await category_screen(context, None)
        case UncategorisedPage(page=page):
            return await category_screen(context, None, page)
        case CategoryItems(category_id=category_id):
            return await category_screen(context, category_id)
        case CategoryItemsPage(category_id=category_id, page=page):
            return await category_screen(context, category_id, page)
        case ItemCard(item_id=item_id):
            return await _card_screen(context, item_id)
        case Properties(item_id=item_id):
            return await _properties(context, item_id)
        case FlipProperty() as flip:
            return await _toggle_property(context, flip)
        case AskDeleteItem(item_id=item_id):
            return await _ask_delete_item(context, item_id)
        case DeleteItem(item_id=item_id):
            return await _delete_item(context, item_id)
        case AskDeleteCategory(category_id=category_id):
            return await _ask_delete_category(context, category_id)
        case DeleteCategory(category_id=category_id):
            return await _delete_category(context, category_id)
        case _:  # Home, DeclineStarter
            return await overview_screen(context)


# --- Telegram ---------------------------------------------------------------------------------------


async def show_locker(update: Update, context: BotContext) -> None:
    screen = await entry_screen(context)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    button = cb.decode(query.data)
    if isinstance(button, OpenLocker):
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
    CallbackQueryHandler(on_button, pattern=cb.matches(*BUTTONS)),
]
