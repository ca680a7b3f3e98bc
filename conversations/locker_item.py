"""The gear locker's typing: adding an item step by step, editing one of its fields, naming a category.

What each item step asks, offers and accepts is `services.packing.locker`; this module only asks it in
the chat. The conversation's state is the current step; the draft is in user_data, so a restart in the
middle resumes it. Naming a category (new, or a rename) is one more state of the same conversation, so
starting one flow while the other is open simply switches to it.

Its buttons: `lf:add`, `lf:edit:<item id>:<name|cat|qty>`, `lf:cadd` and `lf:cren:<category id>` start a
flow (at any time; `handlers.locker` declares them); while an item question is open its buttons are
`lf:<step>:<token>` (`Answer`: a category id, `none`, `new`, `day`, `fixed`, a property, `done` or `keep`).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from conversations.common import conversation
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.drafts import DraftSlot, fields_of
from handlers.keyboards import Option, grid, keyboard
from handlers.locker import (
    AddCategory,
    AddItem,
    EditItem,
    RenameCategory,
    card_view,
    category_view,
    choice_label,
)
from handlers.screens import show_next
from services import locker
from services.packing.locker import (
    EDITABLE,
    KEEP,
    MAIN_STEPS,
    CategoryOption,
    LockerItem,
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

NAMING_CATEGORY = "naming_category"


@dataclass
class ItemForm:
    """Adding an item (`item_id` None) or editing the `field` step of one; `draft` is the item's column
    values as `services.packing.locker` takes them."""

    item_id: int | None
    field: str | None
    draft: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemForm:
        return cls(**fields_of(cls, data))


@dataclass
class CategoryForm:
    """Naming a new category (`category_id` None) or renaming one."""

    category_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoryForm:
        return cls(**fields_of(cls, data))


ITEM_FORM = DraftSlot("locker_item_form", ItemForm, version=1)
CATEGORY_FORM = DraftSlot("locker_category_form", CategoryForm, version=1)


@dataclass(frozen=True)
class Answer(cb.Payload, template="lf:{step}:{token}"):
    """A tapped answer to the item question at `step`."""

    step: Step
    token: str


Callback = Callable[[Update, BotContext], Awaitable[Any]]


def _form(context: BotContext) -> ItemForm:
    """The item form (`_needs` has made sure there is one)."""
    form = ITEM_FORM.load(context.user_data)
    if form is None:
        raise LookupError("the locker item form has no draft")
    return form


def _editing(context: BotContext) -> bool:
    return _form(context).item_id is not None


def _needs(slot: DraftSlot[Any], callback: Callback) -> Callback:
    """`callback`, when the flow's draft is there; else (its stored user data was dropped, or written by
    another release) the flow ends and says so."""

    async def guarded(update: Update, context: BotContext) -> Any:
        if slot.load(context.user_data) is not None:
            return await callback(update, context)
        if update.callback_query:
            await update.callback_query.answer(context.t("common.expired_button"))
        else:
            await update.effective_message.reply_text(context.t("locker.form.lost"))
        return ConversationHandler.END

    return guarded


async def _categories(context: BotContext) -> list[CategoryOption]:
    return await locker.categories(context.uow, context.account.id)


async def _ask(update: Update, context: BotContext, step: Step, *, new_message: bool = False) -> Step:
    categories = await _categories(context) if step is Step.CATEGORY else []
    asked = question(step, _form(context).draft, editing=_editing(context), categories=categories)
    choices: list[Option] = [
        (choice_label(context, c), Answer(step, c.token).encode()) for c in asked.choices
    ]
    controls: list[Option] = [
        (choice_label(context, c), Answer(step, c.token).encode()) for c in asked.controls
    ]
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
    CATEGORY_FORM.drop(context.user_data)
    ITEM_FORM.save(context.user_data, ItemForm(item_id=None, field=None, draft=new_draft()))
    return await _ask(update, context, MAIN_STEPS[0], new_message=True)


async def start_edit(update: Update, context: BotContext) -> Step | int:
    """`lf:edit:<id>:<field>` from the item card: that field's steps, with Keep offered."""
    query = update.callback_query
    edit = EditItem.parse(query.data)
    if edit is None or edit.field not in EDITABLE:
        await query.answer(context.t("common.expired_button"))
        return ConversationHandler.END
    item = await locker.get_item(context.uow, context.account.id, edit.item_id)
    if item is None:
        await query.answer(context.t("locker.not_found"))
        return ConversationHandler.END
    await query.answer()
    CATEGORY_FORM.drop(context.user_data)
    ITEM_FORM.save(context.user_data, ItemForm(item_id=item.id, field=edit.field.value, draft=draft_of(item)))
    return await _ask(update, context, edit.field)


def _typed(step: Step) -> Callback:
    async def on_text(update: Update, context: BotContext) -> Step | int:
        try:
            outcome = answer_text(
                step, update.effective_message.text, _form(context).draft, editing=_editing(context)
            )
        except InvalidInput as error:
            await update.effective_message.reply_text(context.explain(error))
            return step
        return await _advance(update, context, outcome)

    return on_text


def _tapped(step: Step) -> Callback:
    async def on_tap(update: Update, context: BotContext) -> Step | int:
        query = update.callback_query
        token = Answer.parse(query.data).token
        categories = await _categories(context) if step is Step.CATEGORY else []
        try:
            outcome = answer_tap(
                step, token, _form(context).draft, editing=_editing(context), categories=categories
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
    form = _form(context)
    form.draft = outcome.draft
    ITEM_FORM.save(context.user_data, form)
    if outcome.next is not None:
        return await _ask(update, context, outcome.next)
    return await _save(update, context)


async def _save(update: Update, context: BotContext) -> int:
    """Store the new item (or the edited field), creating a category the user named on the way."""
    form = _form(context)
    draft, user_id = form.draft, context.account.id
    field = Step(form.field) if form.field else None
    values = item_values(draft, field)
    item = await locker.save_item(context.uow, user_id, form.item_id, values, draft["new_category"])
    note = context.t("locker.form.updated" if form.item_id else "locker.form.saved")
    return await _finish(update, context, note, item)


async def _finish(
    update: Update, context: BotContext, note: str | None, saved: LockerItem | None = None
) -> int:
    """End the flow on the item's card (or say it is gone, if it was deleted in the meantime): the item
    as saved, or (Keep) as it is."""
    form = _form(context)
    ITEM_FORM.drop(context.user_data)
    item = saved
    if item is None and form.item_id:
        item = await locker.get_item(context.uow, context.account.id, form.item_id)
    if item is None:
        await show_next(update, context.t("locker.not_found"))
        return ConversationHandler.END
    text, markup = card_view(context, item)
    await show_next(update, f"{note}\n\n{text}" if note else text, markup)
    return ConversationHandler.END


# --- naming a category ------------------------------------------------------------------------------


async def start_add_category(update: Update, context: BotContext) -> str:
    await update.callback_query.answer()
    ITEM_FORM.drop(context.user_data)
    CATEGORY_FORM.save(context.user_data, CategoryForm(category_id=None))
    await update.effective_message.reply_text(context.t("locker.category.ask_name"))
    return NAMING_CATEGORY


async def start_rename_category(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    rename = RenameCategory.parse(query.data)
    category = (
        await locker.get_category(context.uow, context.account.id, rename.category_id) if rename else None
    )
    if category is None:
        await query.answer(context.t("locker.not_found"))
        return ConversationHandler.END
    await query.answer()
    ITEM_FORM.drop(context.user_data)
    CATEGORY_FORM.save(context.user_data, CategoryForm(category_id=category.id))
    await update.effective_message.reply_text(
        context.t("locker.category.ask_rename", name=html.escape(category.name))
    )
    return NAMING_CATEGORY


async def receive_category_name(update: Update, context: BotContext) -> str | int:
    """A new category, or the new name of one; a name the user already has is refused."""
    form = CATEGORY_FORM.load(context.user_data)
    if form is None:
        raise LookupError("the category form has no draft")
    category_id = form.category_id
    user_id = context.account.id
    try:
        name = parse_name(update.effective_message.text)
    except InvalidInput as error:
        await update.effective_message.reply_text(context.explain(error))
        return NAMING_CATEGORY
    named = await locker.name_category(context.uow, user_id, category_id, name)
    if named.taken_by is not None:
        await update.effective_message.reply_text(
            context.t("locker.category.name_taken", name=html.escape(named.taken_by))
        )
        return NAMING_CATEGORY
    CATEGORY_FORM.drop(context.user_data)
    if named.page is None:  # deleted while it was being renamed
        await update.effective_message.reply_text(context.t("locker.not_found"))
        return ConversationHandler.END
    done = "locker.category.created" if category_id is None else "locker.category.renamed"
    screen = category_view(context, named.page, intro=context.t(done, name=html.escape(name)))
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)
    return ConversationHandler.END


# --- the conversation -------------------------------------------------------------------------------

_ITEM_STEPS: tuple[Step, ...] = tuple(Step)


def _answer_at(step: Step) -> Callable[[object], bool]:
    """The answers to the question at `step` (a button of another question is stale)."""

    def check(data: object) -> bool:
        return isinstance(data, str) and (answer := Answer.parse(data)) is not None and answer.step is step

    return check


def _starts() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(start_add, pattern=cb.matches(AddItem)),
        CallbackQueryHandler(start_edit, pattern=cb.matches(EditItem)),
        CallbackQueryHandler(start_add_category, pattern=cb.matches(AddCategory)),
        CallbackQueryHandler(start_rename_category, pattern=cb.matches(RenameCategory)),
    ]


def build() -> ConversationHandler:
    text = filters.TEXT & ~filters.COMMAND
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        step: [
            MessageHandler(text, _needs(ITEM_FORM, _typed(step))),
            CallbackQueryHandler(_needs(ITEM_FORM, _tapped(step)), pattern=_answer_at(step)),
        ]
        for step in _ITEM_STEPS
    }
    states[NAMING_CATEGORY] = [MessageHandler(text, _needs(CATEGORY_FORM, receive_category_name))]
    # Starting again from inside a flow (another ➕ or Edit) begins afresh.
    return conversation(
        "locker_form",
        entry_points=_starts(),
        states=states,
        fallbacks=_starts(),
        drafts=(ITEM_FORM.key, CATEGORY_FORM.key),
    )
