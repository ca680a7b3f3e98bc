"""/start and /help: the greeting, the main menu as buttons, and the overview of commands."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from handlers.keyboards import grid, keyboard

HELP_CALLBACK = "menu:help"
SETTINGS_CALLBACK = "menu:settings"

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

# (text key, callback data); features add their entry here as they arrive.
MAIN_MENU: list[tuple[str, str]] = [
    ("log.menu", "log:new"),
    ("sessions.menu", "ss:list"),
    ("weapons.menu", "wp:open"),
    ("weapons.menu_add", "wf:add"),
    ("attendance.menu", "at:show"),
    ("export.menu", "ex:start"),
    ("stats.menu", "st:menu"),
    ("journeys.menu_new", "jf:new"),
    ("journeys.menu_list", "jr:open"),
    ("locker.menu", "lk:open"),
    ("coach.menu", "co:menu"),
    ("start.menu_settings", SETTINGS_CALLBACK),
    ("start.menu_help", HELP_CALLBACK),
]


def main_menu(context: BotContext):
    return keyboard(grid([(context.t(key), data) for key, data in MAIN_MENU]))


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
    CallbackQueryHandler(help_button, pattern=f"^{HELP_CALLBACK}$"),
]
