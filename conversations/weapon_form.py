"""The weapon form: /addweapon walks every step; the card's Edit runs one step of the same form.

What each step asks, offers and accepts is `services.weapons`; this module only asks it in the chat.
The conversation's state is the current step (a `Field`); the draft is in user_data, so a restart in the
middle of the form resumes it.

callback_data: `wf:add` and `wf:edit:<weapon id>:<field>` start the form (at any time); while a question
is open, its buttons are `wf:<field>:<token>` (a choice's index, `skip`, `keep` or `clear`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
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
from handlers.context import BotContext
from handlers.keyboards import Option, grid, keyboard
from handlers.screens import show_next
from handlers.weapons import ADD_CALLBACK, card_view
from services.validation import InvalidInput
from services.weapons import (
    FIELDS,
    Choice,
    Field,
    answer_tap,
    answer_text,
    draft_of,
    new_draft,
    next_field,
    question,
    weapon_values,
)
from storage.weapons import WeaponStats, create_weapon, get_weapon, update_weapon, weapon_stats

FORM_KEY = "weapon_form"
_EDIT = re.compile(r"wf:edit:([0-9]{1,18}):(\w+)")

Callback = Callable[[Update, BotContext], Awaitable[Any]]


def _form(context: BotContext) -> dict[str, Any]:
    """{"weapon_id": the weapon being edited or None when adding, "draft": the answers so far}."""
    return context.user_data[FORM_KEY]


def _editing(context: BotContext) -> bool:
    return _form(context)["weapon_id"] is not None


def _label(context: BotContext, choice: Choice) -> str:
    return choice.label if choice.label is not None else context.t(choice.label_key)


async def _ask(update: Update, context: BotContext, field: Field, *, new_message: bool = False) -> Field:
    asked = question(field, _form(context)["draft"], editing=_editing(context))
    choices: list[Option] = [(_label(context, c), f"wf:{field}:{c.token}") for c in asked.choices]
    controls: list[Option] = [(_label(context, c), f"wf:{field}:{c.token}") for c in asked.controls]
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
    context.user_data[FORM_KEY] = {"weapon_id": None, "draft": new_draft()}
    return await _ask(update, context, FIELDS[0], new_message=True)


async def start_edit(update: Update, context: BotContext) -> Field | int:
    """`wf:edit:<id>:<field>` from the card's Edit menu: that one step, with Keep (and Clear) offered."""
    query = update.callback_query
    match = _EDIT.fullmatch(query.data)
    field = match[2] if match else None
    if field not in set(FIELDS):
        await query.answer(context.t("common.expired_button"))
        return ConversationHandler.END
    weapon_id = int(match[1])
    async with context.db.session() as session:
        weapon = await get_weapon(session, context.account.id, weapon_id)
    if weapon is None:
        await query.answer(context.t("weapons.not_found"))
        return ConversationHandler.END
    await query.answer()
    context.user_data[FORM_KEY] = {"weapon_id": weapon_id, "draft": draft_of(weapon)}
    return await _ask(update, context, Field(field))


async def _lost(update: Update, context: BotContext) -> int:
    """The form's draft is gone (its stored user data was dropped): end the flow instead of failing."""
    if update.callback_query:
        await update.callback_query.answer(context.t("common.expired_button"))
    else:
        await update.effective_message.reply_text(context.t("weapons.form.lost"))
    return ConversationHandler.END


def _typed(field: Field) -> Callback:
    async def on_text(update: Update, context: BotContext) -> Field | int:
        if FORM_KEY not in context.user_data:
            return await _lost(update, context)
        try:
            draft = answer_text(
                field, update.effective_message.text, _form(context)["draft"], today=context.today
            )
        except InvalidInput as error:
            await update.effective_message.reply_text(context.explain(error))
            return field
        _form(context)["draft"] = draft
        return await _advance(update, context, field)

    return on_text


def _tapped(field: Field) -> Callback:
    async def on_tap(update: Update, context: BotContext) -> Field | int:
        if FORM_KEY not in context.user_data:
            return await _lost(update, context)
        query = update.callback_query
        token = query.data.removeprefix(f"wf:{field}:")
        try:
            draft = answer_tap(field, token, _form(context)["draft"], editing=_editing(context))
        except InvalidInput as error:
            await query.answer(context.explain(error))
            return field
        await query.answer()
        _form(context)["draft"] = draft
        return await _advance(update, context, field)

    return on_tap


async def _advance(update: Update, context: BotContext, field: Field) -> Field | int:
    following = next_field(field, editing=_editing(context))
    if following is not None:
        return await _ask(update, context, following)
    return await _save(update, context, field)


async def _save(update: Update, context: BotContext, field: Field) -> int:
    """Store the new weapon (or the edited field) and show the card."""
    form = context.user_data.pop(FORM_KEY)
    user_id = context.account.id
    async with context.db.session() as session:
        if form["weapon_id"] is None:
            weapon = await create_weapon(session, user_id, **weapon_values(form["draft"]))
        else:
            values = weapon_values(form["draft"], [field])
            weapon = await update_weapon(session, user_id, form["weapon_id"], **values)
        stats = await weapon_stats(session, user_id, [weapon.id]) if weapon else {}
    if weapon is None:  # deleted while its field was being edited
        await show_next(update, context.t("weapons.not_found"))
        return ConversationHandler.END
    text, markup = card_view(context, weapon, stats.get(weapon.id, WeaponStats()))
    saved = context.t("weapons.form.updated" if form["weapon_id"] else "weapons.form.saved")
    await show_next(update, f"{saved}\n\n{text}", markup)
    return ConversationHandler.END


def _starts() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("addweapon", start_add),
        CallbackQueryHandler(start_add, pattern=f"^{ADD_CALLBACK}$"),
        CallbackQueryHandler(start_edit, pattern=r"^wf:edit:"),
    ]


def build() -> ConversationHandler:
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        field: [
            MessageHandler(filters.TEXT & ~filters.COMMAND, _typed(field)),
            CallbackQueryHandler(_tapped(field), pattern=f"^wf:{field}:"),
        ]
        for field in FIELDS
    }
    # Starting again from inside the form (another Edit, /addweapon) begins afresh.
    return conversation(
        "weapon_form", entry_points=_starts(), states=states, fallbacks=_starts(), drafts=(FORM_KEY,)
    )
