"""The weapon form: /addweapon walks every step; the card's Edit runs one step of the same form.

What each step asks, offers and accepts is `services.weapons`; this module only asks it in the chat.
The conversation's state is the current step (a `Field`); the draft is in user_data (a `WeaponForm`), so
a restart in the middle of the form resumes it.

callback_data: `wf:add` and `wf:edit:<weapon id>:<field>` start the form (at any time, see
`handlers.weapons`); while a question is open, its buttons are `wf:<field>:<token>` (a choice's index,
`skip`, `keep` or `clear`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations.common import conversation
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.drafts import DraftSlot, fields_of
from handlers.keyboards import Option, grid, keyboard
from handlers.screens import show_next
from handlers.weapons import AddWeapon, EditWeaponField, card_view
from services import weapons
from services.validation import InvalidInput
from services.weapons import (
    FIELDS,
    Choice,
    Field,
    answer_tap,
    answer_text,
    new_draft,
    next_field,
    question,
)

FORM_KEY = "weapon_form"

Callback = Callable[[Update, BotContext], Awaitable[Any]]


@dataclass(frozen=True)
class WeaponForm:
    """The form so far: the weapon being edited (None when adding) and the answers, keyed by column."""

    weapon_id: int | None
    draft: dict[str, Any]

    @property
    def editing(self) -> bool:
        return self.weapon_id is not None

    def to_dict(self) -> dict[str, Any]:
        return {"weapon_id": self.weapon_id, "draft": self.draft}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WeaponForm:
        form = cls(**fields_of(cls, data))
        if not isinstance(form.draft, dict) or not isinstance(form.weapon_id, int | None):
            raise ValueError("not a weapon form")
        return form


FORM = DraftSlot(FORM_KEY, WeaponForm)


@dataclass(frozen=True)
class FormAnswer(cb.Payload, template="wf:{field}:{token}"):
    """A button under the open question of `field`: a choice's index, `skip`, `keep` or `clear`."""

    field: Field
    token: str


def _answers(field: Field) -> Callable[[object], bool]:
    """The pattern of the buttons under `field`'s question (a button of another step is stale)."""

    def check(data: object) -> bool:
        answer = FormAnswer.parse(data) if isinstance(data, str) else None
        return answer is not None and answer.field is field

    return check


def _label(context: BotContext, choice: Choice) -> str:
    return choice.label if choice.label is not None else context.t(choice.label_key)


async def _ask(
    update: Update, context: BotContext, form: WeaponForm, field: Field, *, new_message: bool = False
) -> Field:
    asked = question(field, form.draft, editing=form.editing)
    choices: list[Option] = [(_label(context, c), FormAnswer(field, c.token).encode()) for c in asked.choices]
    controls: list[Option] = [
        (_label(context, c), FormAnswer(field, c.token).encode()) for c in asked.controls
    ]
    rows = [*grid(choices), controls] if controls else grid(choices)
    markup = keyboard(rows) if rows else None
    text = context.render(asked.texts)
    if new_message:
        await update.effective_message.reply_text(text, reply_markup=markup)
    else:
        await show_next(update, text, markup)
    return field


async def start_add(update: Update, context: BotContext) -> Field:
    if update.callback_query:
        await update.callback_query.answer()
    form = WeaponForm(None, new_draft())
    FORM.save(context.user_data, form)
    return await _ask(update, context, form, FIELDS[0], new_message=True)


async def start_edit(update: Update, context: BotContext) -> Field | int:
    """`wf:edit:<id>:<field>` from the card's Edit menu: that one step, with Keep (and Clear) offered."""
    query = update.callback_query
    button = EditWeaponField.parse(query.data)
    if button is None:
        await query.answer(context.t("common.expired_button"))
        return ConversationHandler.END
    draft = await weapons.weapon_draft(context.uow, context.account.id, button.weapon_id)
    if draft is None:
        await query.answer(context.t("weapons.not_found"))
        return ConversationHandler.END
    await query.answer()
    form = WeaponForm(button.weapon_id, draft)
    FORM.save(context.user_data, form)
    return await _ask(update, context, form, button.field)


async def _lost(update: Update, context: BotContext) -> int:
    """The form's draft is gone (its stored user data was dropped): end the flow instead of failing."""
    if update.callback_query:
        await update.callback_query.answer(context.t("common.expired_button"))
    else:
        await update.effective_message.reply_text(context.t("weapons.form.lost"))
    return ConversationHandler.END


def _typed(field: Field) -> Callback:
    async def on_text(update: Update, context: BotContext) -> Field | int:
        form = FORM.load(context.user_data)
        if form is None:
            return await _lost(update, context)
        try:
            draft = answer_text(field, update.effective_message.text, form.draft, today=context.today)
        except InvalidInput as error:
            await update.effective_message.reply_text(context.explain(error))
            return field
        return await _advance(update, context, dataclasses.replace(form, draft=draft), field)

    return on_text


def _tapped(field: Field) -> Callback:
    async def on_tap(update: Update, context: BotContext) -> Field | int:
        form = FORM.load(context.user_data)
        if form is None:
            return await _lost(update, context)
        query = update.callback_query
        answer = FormAnswer.parse(query.data)
        try:
            if answer is None:
                raise InvalidInput("common.expired_button")
            draft = answer_tap(field, answer.token, form.draft, editing=form.editing)
        except InvalidInput as error:
            await query.answer(context.explain(error))
            return field
        await query.answer()
        return await _advance(update, context, dataclasses.replace(form, draft=draft), field)

    return on_tap


async def _advance(update: Update, context: BotContext, form: WeaponForm, field: Field) -> Field | int:
    following = next_field(field, editing=form.editing)
    if following is not None:
        FORM.save(context.user_data, form)
        return await _ask(update, context, form, following)
    return await _save(update, context, form, field)


async def _save(update: Update, context: BotContext, form: WeaponForm, field: Field) -> int:
    """Store the new weapon (or the edited field) and show the card."""
    FORM.drop(context.user_data)
    user_id = context.account.id
    if form.weapon_id is None:
        weapon: weapons.WeaponCard | None = await weapons.save_new(context.uow, user_id, form.draft)
    else:
        weapon = await weapons.save_field(context.uow, user_id, form.weapon_id, form.draft, field)
    if weapon is None:  # deleted while its field was being edited
        await show_next(update, context.t("weapons.not_found"))
        return ConversationHandler.END
    text, markup = card_view(context, weapon)
    saved = context.t("weapons.form.updated" if form.editing else "weapons.form.saved")
    await show_next(update, f"{saved}\n\n{text}", markup)
    return ConversationHandler.END


def _starts() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("addweapon", start_add),
        CallbackQueryHandler(start_add, pattern=cb.matches(AddWeapon)),
        CallbackQueryHandler(start_edit, pattern=cb.matches(EditWeaponField)),
    ]


def build() -> ConversationHandler:
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        field: [
            MessageHandler(filters.TEXT & ~filters.COMMAND, _typed(field)),
            CallbackQueryHandler(_tapped(field), pattern=_answers(field)),
        ]
        for field in FIELDS
    }
    # Starting again from inside the form (another Edit, /addweapon) begins afresh.
    return conversation(
        "weapon_form", entry_points=_starts(), states=states, fallbacks=_starts(), drafts=(FORM_KEY,)
    )
