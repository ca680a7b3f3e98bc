"""/start and /help: the greeting, the main menu as buttons, and the overview of commands."""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from conversations.export import StartExport
from handlers import callback_data as cb
from handlers.attendance import ShowAttendance
from handlers.coach import CoachMenu
from handlers.context import BotContext
from handlers.entry_points import LogNew
from handlers.journeys import NewJourney, OpenJourneys
from handlers.keyboards import grid, keyboard
from handlers.locker import OpenLocker
from handlers.preferences import OpenPreferences
from handlers.sessions import SessionsList
from handlers.stats import StatsMenu
from handlers.weapons import AddWeapon, OpenRegister


@dataclass(frozen=True)
class ShowHelp(cb.Payload, template="menu:help"):
    pass


# The command menu and /help, in this order; each has a `commands.<name>` text in the catalogs.
COMMANDS: list[str] = [
    "start",
    "log",
    "sessions",
    "weapons",
    "addweapon",
    "attendance",
    "export",
    "stats",
    "journey",
    "journeys",
    "locker",
    "coach",
    "newtopic",
    "settings",
    "mydata",
    "deleteme",
    "help",
    "cancel",
]

# (text key, the feature's entry button), in this order on the main menu.
MAIN_MENU: list[tuple[str, cb.Payload]] = [
    ("log.menu", LogNew()),
    ("sessions.menu", SessionsList()),
    ("weapons.menu", OpenRegister()),
    ("weapons.menu_add", AddWeapon()),
    ("attendance.menu", ShowAttendance()),
    ("export.menu", StartExport()),
    ("stats.menu", StatsMenu()),
    ("journeys.menu_new", NewJourney()),
    ("journeys.menu_list", OpenJourneys()),
    ("locker.menu", OpenLocker()),
    ("coach.menu", CoachMenu()),
    ("start.menu_settings", OpenPreferences()),
    ("start.menu_help", ShowHelp()),
]


def main_menu(context: BotContext):
    return keyboard(grid([(context.t(key), button.encode()) for key, button in MAIN_MENU]))


async def start(update: Update, context: BotContext) -> None:
    name = html.escape(update.effective_user.first_name)
    await update.effective_message.reply_text(
        context.t("start.greeting", name=name), reply_markup=main_menu(context)
    )


def help_text(context: BotContext) -> str:
    lines = [f"/{name} – {context.t(f'commands.{name}')}" for name in COMMANDS]
    tips = [context.t("help.coach_tip"), context.t("help.tip")]
    return "\n".join([context.t("help.title"), *lines, "", *tips])


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(help_text(context))


async def help_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await help_command(update, context)


HANDLERS = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
    CallbackQueryHandler(help_button, pattern=cb.matches(ShowHelp)),
]
