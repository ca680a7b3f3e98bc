"""A screen is a message's text and keyboard; a tap on one of its buttons turns the message into the next."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None
    note: str | None = None  # the tap's short answer


async def edit_in_place(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the tapped message; a repeated tap that would change nothing is not an error.

    A message without text (a photo or a file: only a forged tap comes from one) cannot take the screen's
    text, and a message that is gone (deleted meanwhile) cannot be edited: then the screen comes as a new
    message in the chat.
    """
    if isinstance(query.message, Message) and query.message.text is None:
        await query.message.reply_text(text, reply_markup=markup)
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" in error.message:
            return
        if query.message is None or not _is_gone(error):
            raise
        await query.message.chat.send_message(text, reply_markup=markup)


def _is_gone(error: BadRequest) -> bool:
    """Telegram's answer to an edit of a message that no longer exists."""
    return "message to edit not found" in error.message.lower()


async def edit_markup_in_place(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Change only the tapped message's keyboard; two quick taps racing to the same keyboard are fine."""
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def show_screen(query: CallbackQuery, screen: Screen) -> None:
    """Answer the tap at once, then turn its message into `screen`."""
    await query.answer(screen.note)
    await edit_in_place(query, screen.text, screen.markup)


async def show_next(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A flow's next question: after a tap the tapped message becomes it; after typing, a new message."""
    if update.callback_query:
        await edit_in_place(update.callback_query, text, markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)
