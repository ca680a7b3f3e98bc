"""The gear locker's typing: adding an item step by step, editing one of its fields, naming a category.

What each item step asks, offers and accepts is `services.packing.locker`; this module only asks it in
the chat. The conversation's state is the current step; the draft is in user_data, so a restart in the
middle resumes it. Naming a category (new, or a rename) is one more state of the same conversation, so
starting one flow while the other is open simply switches to it.

callback_data: `lf:add`, `lf:edit:<item id>:<name|cat|qty>`, `lf:cadd` and `lf:cren:<category id>`
start a flow (at any time); while an item question is open its buttons are `lf:<step>:<token>`
(a category id, `none`, `new`, `day`, `fixed`, a property, `done` or `keep`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from handlers.context import BotContext
from handlers.keyboards import Option, grid, keyboard
from handlers.locker import (
    ADD_CATEGORY_CALLBACK,
    ADD_ITEM_CALLBACK,
    card_view,
    category_screen,
    choice_label,
)
from handlers.screens import show_next
from services.packing.locker import (
    EDITABLE,
    KEEP,
    MAIN_STEPS,
    CategoryOption,
    Outcome,
    Step,
    answer_tap,
    answer_text,
    draft_of,
    item_values,
    new_draft,
    question,
)
from services.validation import InvalidInput, parse_name
from storage.locker import (
    create_category,
    create_item,
    find_category,
    get_category,
    get_item,
    list_categories,
    rename_category,
    update_item,
)

ITEM_FORM = "locker_item_form"
CATEGORY_FORM = "locker_category_form"
NAMING_CATEGORY = "naming_category"
_EDIT = re.compile(r"lf:edit:([0-9]{1,18}):(\w+)")
_RENAME = re.compile(r"lf:cren:([0-9]{1,18})")

Callback = Callable[[Update, BotContext], Awaitable[Any]]


def _form(context: BotContext) -> dict[str, Any]:
    """{"item_id": the item being edited or None when adding, "field": the step being edited, "draft"}."""
    return context.user_data[ITEM_FORM]


def _editing(context: BotContext) -> bool:
    return _form(context)["item_id"] is not None


async def _categories(context: BotContext) -> list[CategoryOption]:
    async with context.db.session() as session:
        categories = await list_categories(session, context.account.id)
    return [CategoryOption(category.id, category.name) for category in categories]


async def _ask(update: Update, context: BotContext, step: Step, *, new_message: bool = False) -> Step:
    categories = await _categories(context) if step is Step.CATEGORY else []
    asked = question(step, _form(context)["draft"], editing=_editing(context), categories=categories)
    choices: list[Option] = [(choice_label(context, c), f"lf:{step}:{c.token}") for c in asked.choices]
    controls: list[Option] = [(choice_label(context, c), f"lf:{step}:{c.token}") for c in asked.controls]
    rows = [[option] for option in choices] if step is Step.PROPERTIES else grid(choices)
    markup = keyboard(row for row in [*rows, controls] if row) if choices or controls else None
    text = context.render(asked.texts)
    if new_message:
        await update.effective_message.reply_text(text, reply_markup=markup)
    else:
        await show_next(update, text, markup)
    return step


# --- items ------------------------------------------------------------------------------------------


async def start_add(update: Update, context: BotContext) -> Step:
    if update.callback_query:
        await update.callback_query.answer()
    context.user_data.pop(CATEGORY_FORM, None)
    context.user_data[ITEM_FORM] = {"item_id": None, "field": None, "draft": new_draft()}
    return await _ask(update, context, MAIN_STEPS[0], new_message=True)


async def start_edit(update: Update, context: BotContext) -> Step | int:
    """`lf:edit:<id>:<field>` from the item card: that field's steps, with Keep offered."""
    query = update.callback_query
    match = _EDIT.fullmatch(query.data)
    if match is None or match[2] not in set(EDITABLE):
        await query.answer(context.t("common.expired_button"))
        return ConversationHandler.END
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, int(match[1]))
    if item is None:
        await query.answer(context.t("locker.not_found"))
        return ConversationHandler.END
    await query.answer()
    context.user_data.pop(CATEGORY_FORM, None)
    context.user_data[ITEM_FORM] = {"item_id": item.id, "field": match[2], "draft": draft_of(item)}
    return await _ask(update, context, Step(match[2]))


def _typed(step: Step) -> Callback:
    async def on_text(update: Update, context: BotContext) -> Step | int:
        try:
            outcome = answer_text(
                step, update.effective_message.text, _form(context)["draft"], editing=_editing(context)
            )
        except InvalidInput as error:
            await update.effective_message.reply_text(context.explain(error))
            return step
        return await _advance(update, context, outcome)

    return on_text


def _tapped(step: Step) -> Callback:
    async def on_tap(update: Update, context: BotContext) -> Step | int:
        query = update.callback_query
        token = query.data.removeprefix(f"lf:{step}:")
        categories = await _categories(context) if step is Step.CATEGORY else []
        try:
            outcome = answer_tap(
                step, token, _form(context)["draft"], editing=_editing(context), categories=categories
            )
        except InvalidInput as error:
            await query.answer(context.explain(error))
            return step
        await query.answer()
        if token == KEEP:
            return await _finish(update, context, None)
        return await _advance(update, context, outcome)

    return on_tap


async def _advance(update: Update, context: BotContext, outcome: Outcome) -> Step | int:
    _form(context)["draft"] = outcome.draft
    if outcome.next is not None:
        return await _ask(update, context, outcome.next)
    return await _save(update, context)


async def _save(update: Update, context: BotContext) -> int:
    """Store the new item (or the edited field), creating a category the user named on the way."""
    form = _form(context)
    draft, user_id = form["draft"], context.account.id
    field = Step(form["field"]) if form["field"] else None
    values = item_values(draft, field)
    async with context.db.session() as session:
        if draft["new_category"] and "category_id" in values:
            category = await find_category(session, user_id, draft["new_category"])
            category = category or await create_category(session, user_id, draft["new_category"])
            values["category_id"] = category.id
        if form["item_id"] is None:
            item = await create_item(session, user_id, **values)
        else:
            item = await update_item(session, user_id, form["item_id"], **values)
    note = context.t("locker.form.updated" if form["item_id"] else "locker.form.saved")
    return await _finish(update, context, note, item_id=item.id if item else None)


async def _finish(update: Update, context: BotContext, note: str | None, item_id: int | None = None) -> int:
    """End the flow on the item's card (or say it is gone, if it was deleted in the meantime)."""
    form = context.user_data.pop(ITEM_FORM)
    item_id = item_id or form["item_id"]
    async with context.db.session() as session:
        item = await get_item(session, context.account.id, item_id) if item_id else None
    if item is None:
        await show_next(update, context.t("locker.not_found"))
        return ConversationHandler.END
    text, markup = card_view(context, item)
    await show_next(update, f"{note}\n\n{text}" if note else text, markup)
    return ConversationHandler.END


# --- naming a category ------------------------------------------------------------------------------


async def start_add_category(update: Update, context: BotContext) -> str:
    await update.callback_query.answer()
    context.user_data.pop(ITEM_FORM, None)
    context.user_data[CATEGORY_FORM] = {"category_id": None}
    await update.effective_message.reply_text(context.t("locker.category.ask_name"))
    return NAMING_CATEGORY


async def start_rename_category(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    match = _RENAME.fullmatch(query.data)
    async with context.db.session() as session:
        category = await get_category(session, context.account.id, int(match[1])) if match else None
    if category is None:
        await query.answer(context.t("locker.not_found"))
        return ConversationHandler.END
    await query.answer()
    context.user_data.pop(ITEM_FORM, None)
    context.user_data[CATEGORY_FORM] = {"category_id": category.id}
    await update.effective_message.reply_text(
        context.t("locker.category.ask_rename", name=html.escape(category.name))
    )
    return NAMING_CATEGORY


async def receive_category_name(update: Update, context: BotContext) -> str | int:
    """A new category, or the new name of one; a name the user already has is refused."""
    category_id = context.user_data[CATEGORY_FORM]["category_id"]
    user_id = context.account.id
    try:
        name = parse_name(update.effective_message.text)
    except InvalidInput as error:
        await update.effective_message.reply_text(context.explain(error))
        return NAMING_CATEGORY
    async with context.db.session() as session:
        clash = await find_category(session, user_id, name)
        taken = clash is not None and clash.id != category_id
        if taken:
            category = None
        elif category_id is None:
            category = await create_category(session, user_id, name)
        else:
            category = await rename_category(session, user_id, category_id, name)
    if taken:
        await update.effective_message.reply_text(
            context.t("locker.category.name_taken", name=html.escape(clash.name))
        )
        return NAMING_CATEGORY
    context.user_data.pop(CATEGORY_FORM)
    if category is None:  # deleted while it was being renamed
        await update.effective_message.reply_text(context.t("locker.not_found"))
        return ConversationHandler.END
    done = "locker.category.created" if category_id is None else "locker.category.renamed"
    screen = await category_screen(context, category.id, intro=context.t(done, name=html.escape(name)))
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)
    return ConversationHandler.END


# --- the conversation -------------------------------------------------------------------------------

_ITEM_STEPS: tuple[Step, ...] = tuple(Step)


def _starts() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(start_add, pattern=f"^{ADD_ITEM_CALLBACK}$"),
        CallbackQueryHandler(start_edit, pattern=r"^lf:edit:"),
        CallbackQueryHandler(start_add_category, pattern=f"^{ADD_CATEGORY_CALLBACK}$"),
        CallbackQueryHandler(start_rename_category, pattern=r"^lf:cren:"),
    ]


def build() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        step: [
            MessageHandler(text, _typed(step)),
            CallbackQueryHandler(_tapped(step), pattern=f"^lf:{step}:"),
        ]
        for step in _ITEM_STEPS
    }
    states[NAMING_CATEGORY] = [MessageHandler(text, receive_category_name)]
    # Starting again from inside a flow (another ➕ or Edit) begins afresh.
    return conversation(
        "locker_form",
        entry_points=_starts(),
        states=states,
        fallbacks=_starts(),
        drafts=(ITEM_FORM, CATEGORY_FORM),
    )
