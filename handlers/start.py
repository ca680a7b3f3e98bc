"""/start and /help: the greeting, the main menu as buttons, and the overview of commands."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from handlers.keyboards import grid, keyboard

HELP_CALLBACK = "menu:help"
SETTINGS_CALLBACK = "menu:settings"

# (text key, callback data); features add their entry here as they arrive.
MAIN_MENU: list[tuple[str, str]] = [
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


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("help.text"))


async def help_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer()
    await help_command(update, context)


HANDLERS = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
    CallbackQueryHandler(help_button, pattern=f"^{HELP_CALLBACK}$"),
]
