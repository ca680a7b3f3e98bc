"""/weapons: the register as buttons, a weapon's card, and the card's Retire / Reactivate / Delete buttons.

callback_data, parsed in `_parse`: `wp:open` (the list as a new message, from the main menu), `wp:list` and
`wp:list:all` (the list without / with retired weapons, in place), `wp:card:<id>`, `wp:edit:<id>` (which
field to change), `wp:retire:<id>`, `wp:react:<id>`, `wp:del:<id>` (asks first), `wp:delok:<id>`.
The form (`conversations.weapon_form`) starts from `wf:add` and `wf:edit:<id>:<field>`; the card's Photos
button is `ph:w:<id>`, answered by the photos feature.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from handlers.keyboards import Option, grid, keyboard
from handlers.screens import Screen, show_screen
from services.weapons import (
    FIELDS,
    DeletePlan,
    card,
    delete_plan,
    delete_question,
    list_entry,
    split_retired,
)
from storage.models import Weapon
from storage.weapons import (
    DeleteOutcome,
    WeaponStats,
    delete_weapon,
    get_weapon,
    list_weapons,
    set_retired,
    weapon_stats,
)

PREFIX = "wp"
OPEN_CALLBACK = f"{PREFIX}:open"
ADD_CALLBACK = "wf:add"
SHOW_ALL = "all"

_ID = re.compile(r"[0-9]{1,18}")


def edit_field_callback(weapon_id: int, field: str) -> str:
    return f"wf:edit:{weapon_id}:{field}"


# --- texts ------------------------------------------------------------------------------------------


# --- screens ----------------------------------------------------------------------------------------


def _list_callback(show_retired: bool) -> str:
    return f"{PREFIX}:list:{SHOW_ALL}" if show_retired else f"{PREFIX}:list"


def _list_label(context: BotContext, weapon: Weapon, stats: WeaponStats) -> str:
    return context.render([list_entry(weapon, stats)], markup=False)


async def list_screen(context: BotContext, *, show_retired: bool) -> Screen:
    """The register as buttons; retired weapons behind a "show retired" button."""
    async with context.db.session() as session:
        weapons = await list_weapons(session, context.account.id, include_retired=True)
        stats = await weapon_stats(session, context.account.id)
    active, retired = split_retired(weapons)
    shown = active + retired if show_retired else active
    rows: list[list[Option]] = [
        [(_list_label(context, weapon, stats.get(weapon.id, WeaponStats())), f"{PREFIX}:card:{weapon.id}")]
        for weapon in shown
    ]
    if retired:
        toggle = (
            context.t("weapons.list.hide_retired")
            if show_retired
            else context.t("weapons.list.show_retired", count=len(retired))
        )
        rows.append([(toggle, _list_callback(not show_retired))])
    rows.append([(context.t("weapons.list.add"), ADD_CALLBACK)])
    if not weapons:
        title = "weapons.list.empty"
    elif not shown:
        title = "weapons.list.all_retired"
    else:
        title = "weapons.list.title"
    return Screen(context.t(title), keyboard(rows))


def card_view(context: BotContext, weapon: Weapon, stats: WeaponStats) -> tuple[str, InlineKeyboardMarkup]:
    """The weapon card and its buttons (the only place that shows a serial number)."""
    if weapon.retired_at:
        retire = (context.t("weapons.card.reactivate"), f"{PREFIX}:react:{weapon.id}")
    else:
        retire = (context.t("weapons.card.retire"), f"{PREFIX}:retire:{weapon.id}")
    edit = (context.t("weapons.card.edit"), f"{PREFIX}:edit:{weapon.id}")
    delete = (context.t("weapons.card.delete"), f"{PREFIX}:del:{weapon.id}")
    photos = (context.t("weapons.card.photos"), f"ph:w:{weapon.id}")
    back = (context.t("weapons.card.back"), _list_callback(weapon.retired_at is not None))
    insight = (context.t("coach.insight_button"), f"ai:wpn:{weapon.id}")
    rows = [[edit, retire], [delete, photos], [insight], [back]]
    return context.render(card(weapon, stats)), keyboard(rows)


async def _card_screen(context: BotContext, weapon_id: int, note: str | None = None) -> Screen | None:
    async with context.db.session() as session:
        weapon = await get_weapon(session, context.account.id, weapon_id)
        if weapon is None:
            return None
        stats = (await weapon_stats(session, context.account.id, [weapon_id])).get(weapon_id, WeaponStats())
    return Screen(*card_view(context, weapon, stats), note=note)


async def _edit_menu(context: BotContext, weapon_id: int) -> Screen | None:
    async with context.db.session() as session:
        weapon = await get_weapon(session, context.account.id, weapon_id)
    if weapon is None:
        return None
    options = [
        (context.t(f"weapons.field.{field}"), edit_field_callback(weapon_id, field)) for field in FIELDS
    ]
    rows = [*grid(options), [(context.t("common.back"), f"{PREFIX}:card:{weapon_id}")]]
    return Screen(context.t("weapons.edit.choose", name=html.escape(weapon.name)), keyboard(rows))


async def _retire(context: BotContext, weapon_id: int) -> Screen | None:
    """Retire as of today (the user's day); a weapon that is already retired keeps its date."""
    async with context.db.session() as session:
        weapon = await get_weapon(session, context.account.id, weapon_id)
        if weapon is not None and weapon.retired_at is None:
            await set_retired(session, context.account.id, weapon_id, context.today)
    return await _card_screen(context, weapon_id, context.t("weapons.card.retired_note"))


async def _reactivate(context: BotContext, weapon_id: int) -> Screen | None:
    async with context.db.session() as session:
        await set_retired(session, context.account.id, weapon_id, None)
    return await _card_screen(context, weapon_id, context.t("weapons.card.reactivated_note"))


def _delete_screen(context: BotContext, weapon: Weapon, stats: WeaponStats) -> Screen:
    back = [(context.t("common.back"), f"{PREFIX}:card:{weapon.id}")]
    plan = delete_plan(weapon, stats)
    if plan is DeletePlan.CONFIRM:
        rows = [[(context.t("weapons.delete.yes"), f"{PREFIX}:delok:{weapon.id}")], back]
    elif plan is DeletePlan.RETIRE_INSTEAD:
        rows = [[(context.t("weapons.delete.retire"), f"{PREFIX}:retire:{weapon.id}")], back]
    else:
        rows = [back]
    return Screen(context.render([delete_question(weapon, stats)]), keyboard(rows))


async def _ask_delete(context: BotContext, weapon_id: int) -> Screen | None:
    async with context.db.session() as session:
        weapon = await get_weapon(session, context.account.id, weapon_id)
        if weapon is None:
            return None
        stats = (await weapon_stats(session, context.account.id, [weapon_id])).get(weapon_id, WeaponStats())
    return _delete_screen(context, weapon, stats)


async def _delete(context: BotContext, weapon_id: int) -> Screen | None:
    async with context.db.session() as session:
        weapon = await get_weapon(session, context.account.id, weapon_id)
        outcome = await delete_weapon(session, context.account.id, weapon_id)
    if outcome is DeleteOutcome.MISSING:
        return None
    if outcome is DeleteOutcome.HAS_HISTORY:  # a session was logged with it since the question
        return await _ask_delete(context, weapon_id)
    rows = [[(context.t("weapons.card.back"), _list_callback(False))]]
    text = context.t("weapons.delete.done", name=html.escape(weapon.name))
    return Screen(text, keyboard(rows), note=context.t("weapons.delete.done_note"))


_BY_ID: dict[str, Callable[[BotContext, int], Awaitable[Screen | None]]] = {
    "card": _card_screen,
    "edit": _edit_menu,
    "retire": _retire,
    "react": _reactivate,
    "del": _ask_delete,
    "delok": _delete,
}


def _parse(data: str) -> tuple[str, str] | None:
    """(action, argument) of a `wp:` button, or None if it is not one we make."""
    if data == OPEN_CALLBACK:
        return "open", ""
    if data == _list_callback(False):
        return "list", ""
    if data == _list_callback(True):
        return "list", SHOW_ALL
    action, _, argument = data.removeprefix(f"{PREFIX}:").partition(":")
    if action in _BY_ID and _ID.fullmatch(argument):
        return action, argument
    return None


# --- Telegram ---------------------------------------------------------------------------------------


async def show_list(update: Update, context: BotContext) -> None:
    screen = await list_screen(context, show_retired=False)
    await update.effective_message.reply_text(screen.text, reply_markup=screen.markup)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parsed = _parse(query.data)
    if parsed is None:
        await query.answer(context.t("common.expired_button"))
        return
    action, argument = parsed
    if action == "open":
        await query.answer()
        await show_list(update, context)
        return
    if action == "list":
        screen = await list_screen(context, show_retired=argument == SHOW_ALL)
    else:
        screen = await _BY_ID[action](context, int(argument))
    if screen is None:  # missing, or another user's: the same answer, and nothing changed
        await query.answer(context.t("weapons.not_found"))
        return
    await show_screen(query, screen)


HANDLERS = [
    CommandHandler("weapons", show_list),
    CallbackQueryHandler(on_button, pattern=f"^{PREFIX}:"),
]
