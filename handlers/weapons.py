"""/weapons: the register as buttons, a weapon's card, and the card's Retire / Reactivate / Delete buttons.

callback_data: `wp:open` (the list as a new message, from the main menu), `wp:list` and `wp:list:all` (the
list without / with retired weapons, in place), `wp:<action>:<weapon id>` (`card`, `edit`: which field to
change, `retire`, `react`, `del`: asks first, `delok`). The form (`conversations.weapon_form`) starts from
`wf:add` and `wf:edit:<id>:<field>`; the card's Photos button is `ph:w:<id>`, answered by the photos
feature, and its AI button `ai:wpn:<id>`, answered by the coach.
"""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.keyboards import Option, grid, keyboard
from handlers.photos import WeaponPhotos
from handlers.reflections import InsightButton
from handlers.screens import Screen, show_screen
from services import weapons
from services.weapons import FIELDS, DeletePlan, Field, WeaponCard


@dataclass(frozen=True)
class OpenRegister(cb.Payload, template="wp:open"):
    """The main menu's entry: the register as a new message."""


@dataclass(frozen=True)
class ShowRegister(cb.Payload, template="wp:list"):
    """The register without the retired weapons, in place."""


@dataclass(frozen=True)
class ShowWholeRegister(cb.Payload, template="wp:list:all"):
    """The register with the retired weapons, in place."""


class Action(enum.StrEnum):
    CARD = "card"
    EDIT = "edit"  # which field to change
    RETIRE = "retire"
    REACTIVATE = "react"
    DELETE = "del"  # asks first
    CONFIRM_DELETE = "delok"


@dataclass(frozen=True)
class WeaponButton(cb.Payload, template="wp:{action}:{weapon_id}"):
    action: Action
    weapon_id: int


@dataclass(frozen=True)
class AddWeapon(cb.Payload, template="wf:add"):
    """Starts the weapon form (`conversations.weapon_form`)."""


@dataclass(frozen=True)
class EditWeaponField(cb.Payload, template="wf:edit:{weapon_id}:{field}"):
    """Starts the weapon form at one field of a weapon (`conversations.weapon_form`)."""

    weapon_id: int
    field: Field


OPEN_CALLBACK = OpenRegister().encode()
ADD_CALLBACK = AddWeapon().encode()


def edit_field_callback(weapon_id: int, field: str) -> str:
    return EditWeaponField(weapon_id, Field(field)).encode()


def _list_callback(show_retired: bool) -> str:
    return (ShowWholeRegister() if show_retired else ShowRegister()).encode()


def _button(action: Action, weapon_id: int) -> str:
    return WeaponButton(action, weapon_id).encode()


# --- screens ----------------------------------------------------------------------------------------


async def list_screen(context: BotContext, *, show_retired: bool) -> Screen:
    """The register as buttons; retired weapons behind a "show retired" button."""
    found = await weapons.register(context.uow, context.account.id)
    shown = found.active + found.retired if show_retired else found.active
    rows: list[list[Option]] = [
        [(context.render([line.text], markup=False), _button(Action.CARD, line.id))] for line in shown
    ]
    if found.retired:
        toggle = (
            context.t("weapons.list.hide_retired")
            if show_retired
            else context.t("weapons.list.show_retired", count=len(found.retired))
        )
        rows.append([(toggle, _list_callback(not show_retired))])
    rows.append([(context.t("weapons.list.add"), ADD_CALLBACK)])
    if found.empty:
        title = "weapons.list.empty"
    elif not shown:
        title = "weapons.list.all_retired"
    else:
        title = "weapons.list.title"
    return Screen(context.t(title), keyboard(rows))


def card_view(context: BotContext, weapon: WeaponCard) -> tuple[str, InlineKeyboardMarkup]:
    """The weapon card and its buttons (the only place that shows a serial number)."""
    if weapon.retired:
        retire = (context.t("weapons.card.reactivate"), _button(Action.REACTIVATE, weapon.id))
    else:
        retire = (context.t("weapons.card.retire"), _button(Action.RETIRE, weapon.id))
    edit = (context.t("weapons.card.edit"), _button(Action.EDIT, weapon.id))
    delete = (context.t("weapons.card.delete"), _button(Action.DELETE, weapon.id))
    photos = (context.t("weapons.card.photos"), WeaponPhotos(weapon.id).encode())
    back = (context.t("weapons.card.back"), _list_callback(weapon.retired))
    insight = (context.t("coach.insight_button"), InsightButton(weapon.id).encode())
    rows = [[edit, retire], [delete, photos], [insight], [back]]
    return context.render(weapon.texts), keyboard(rows)


def _card_screen(context: BotContext, weapon: WeaponCard | None, note: str | None = None) -> Screen | None:
    return None if weapon is None else Screen(*card_view(context, weapon), note=note)


def _edit_menu(context: BotContext, weapon: WeaponCard | None) -> Screen | None:
    if weapon is None:
        return None
    options = [
        (context.t(f"weapons.field.{field}"), edit_field_callback(weapon.id, field)) for field in FIELDS
    ]
    rows = [*grid(options), [(context.t("common.back"), _button(Action.CARD, weapon.id))]]
    return Screen(context.t("weapons.edit.choose", name=html.escape(weapon.name)), keyboard(rows))


def _delete_screen(context: BotContext, weapon: WeaponCard | None) -> Screen | None:
    if weapon is None:
        return None
    back = [(context.t("common.back"), _button(Action.CARD, weapon.id))]
    if weapon.delete_plan is DeletePlan.CONFIRM:
        rows = [[(context.t("weapons.delete.yes"), _button(Action.CONFIRM_DELETE, weapon.id))], back]
    elif weapon.delete_plan is DeletePlan.RETIRE_INSTEAD:
        rows = [[(context.t("weapons.delete.retire"), _button(Action.RETIRE, weapon.id))], back]
    else:
        rows = [back]
    return Screen(context.render([weapon.delete_question]), keyboard(rows))


async def _screen(context: BotContext, action: Action, weapon_id: int) -> Screen | None:
    """The screen after tapping `action` on the user's weapon; None when they have no such weapon."""
    uow, user_id = context.uow, context.account.id
    if action is Action.CARD:
        return _card_screen(context, await weapons.weapon_card(uow, user_id, weapon_id))
    if action is Action.EDIT:
        return _edit_menu(context, await weapons.weapon_card(uow, user_id, weapon_id))
    if action is Action.RETIRE:
        retired = await weapons.retire(uow, user_id, weapon_id, context.today)
        return _card_screen(context, retired, context.t("weapons.card.retired_note"))
    if action is Action.REACTIVATE:
        reactivated = await weapons.reactivate(uow, user_id, weapon_id)
        return _card_screen(context, reactivated, context.t("weapons.card.reactivated_note"))
    if action is Action.DELETE:
        return _delete_screen(context, await weapons.weapon_card(uow, user_id, weapon_id))
    outcome = await weapons.delete(
        uow, user_id, weapon_id, data_dir=context.runtime.settings.aimtrack_data_dir
    )
    if not isinstance(outcome, weapons.Deleted):  # gone, or a session was logged with it since the question
        return _delete_screen(context, outcome)
    rows = [[(context.t("weapons.card.back"), _list_callback(False))]]
    text = context.t("weapons.delete.done", name=html.escape(outcome.name))
    return Screen(text, keyboard(rows), note=context.t("weapons.delete.done_note"))


# --- Telegram ---------------------------------------------------------------------------------------


async def show_list(update: Update, context: BotContext) -> None:
    screen = await list_screen(context, show_retired=False)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    payload = cb.decode(query.data)
    if isinstance(payload, OpenRegister):
        await query.answer()
        await show_list(update, context)
        return
    if isinstance(payload, ShowRegister | ShowWholeRegister):
        screen: Screen | None = await list_screen(
            context, show_retired=isinstance(payload, ShowWholeRegister)
        )
    elif isinstance(payload, WeaponButton):
        screen = await _screen(context, payload.action, payload.weapon_id)
    else:
        await query.answer(context.t("common.expired_button"))
        return
    if screen is None:  # missing, or another user's: the same answer, and nothing changed
        await query.answer(context.t("weapons.not_found"))
        return
    await show_screen(query, screen)


HANDLERS = [
    CommandHandler("weapons", show_list),
    CallbackQueryHandler(
        on_button, pattern=cb.matches(OpenRegister, ShowRegister, ShowWholeRegister, WeaponButton)
    ),
]
