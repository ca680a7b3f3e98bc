"""1. Tap latency: a packing-list box tapped → the list edited, beside a bare PTB echo bot's round trip.

Both bots poll their own loopback emulator in this process; taps alternate between them (one on the list,
one on the echo bot), so both see the same machine at the same moment. The echo bot answers the query and
edits its keyboard (the tapped button's box flips), which is the least any checklist tap must do; it shows
the same keyboard as the real list, so both move the same bytes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from benchmarks import harness, seed
from benchmarks.harness import Figure, Profiler, ms, now, percentile, ratio
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView

USER = 5001
WARM_UP_TAPS = 20
_BOX = re.compile(r"pk:[0-9]+:[dr]")


def _flipped(markup: InlineKeyboardMarkup, data: str) -> InlineKeyboardMarkup:
    def flip(button: InlineKeyboardButton) -> InlineKeyboardButton:
        if button.callback_data != data:
            return button
        text = button.text.replace("☐", "☑") if "☐" in button.text else button.text.replace("☑", "☐")
        return InlineKeyboardButton(text, callback_data=button.callback_data)

    return InlineKeyboardMarkup([[flip(button) for button in row] for row in markup.inline_keyboard])


def echo_application(emu: BotApiEmulator, markup: InlineKeyboardMarkup) -> Application:
    """The bare bot: `/start` shows `markup`; a tap is answered and the tapped box flips."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("echo", reply_markup=markup)

    async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()
        await query.edit_message_reply_markup(_flipped(query.message.reply_markup, query.data))

    application = ApplicationBuilder().token(emu.token).base_url(emu.base_url).build()
    application.add_handlers([CommandHandler("start", start), CallbackQueryHandler(tap)])
    return application


@asynccontextmanager
async def _polling(application: Application) -> AsyncIterator[None]:
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


def _boxes(message: MessageView) -> list[str]:
    """The departure and return boxes on the message's keyboard (callback data `pk:<id>:d|r`)."""
    return [data for row in message.buttons for _, data in row if data and _BOX.fullmatch(data)]


async def _tap(
    emu: BotApiEmulator, user: EmulatedUser, message: MessageView, data: str
) -> tuple[float, MessageView]:
    edits = harness.edit_count(emu, user)
    started = now()
    await user.tap(message, "box", data=data)
    edited = await harness.wait_edit(emu, user, edits, message.message_id)
    return now() - started, edited


async def _alternate(
    emu: BotApiEmulator, echo_emu: BotApiEmulator, journey_id: int, taps: int, profiler: Profiler
) -> tuple[list[float], list[float]]:
    """Opens the list, starts the echo bot with the same keyboard, then taps both in turn."""
    user = emu.user(USER, first_name="Packer")
    menu = await user.ask("/start", timeout=harness.WAIT_S)
    count = harness.sent_count(emu, user)
    await user.tap(menu, "list", data=f"pk:open:{journey_id}")
    listed = await harness.wait_message(emu, user, count)
    markup = InlineKeyboardMarkup.de_json(listed.raw["reply_markup"], None)
    real_times: list[float] = []
    echo_times: list[float] = []
    async with _polling(echo_application(echo_emu, markup)):
        echo_user = echo_emu.user(USER, first_name="Packer")
        echoed = await echo_user.ask("/start", timeout=harness.WAIT_S)
        boxes = itertools.cycle(_boxes(listed))
        with profiler.section("taps"):
            for number in range(WARM_UP_TAPS + taps):
                data = next(boxes)
                real, listed = await _tap(emu, user, listed, data)
                echo, echoed = await _tap(echo_emu, echo_user, echoed, data)
                if number >= WARM_UP_TAPS:
                    real_times.append(real)
                    echo_times.append(echo)
    return real_times, echo_times


async def run(taps: int, items: int, profiler: Profiler) -> list[Figure]:
    async with harness.data_dir() as folder, harness.database(folder) as db:
        await seed.users(db, [USER])
        await seed.locker(db, USER, items, conditional=False)
        journey_id = await seed.journey(db, USER)
        on_list = await seed.list_size(db, journey_id)
        async with (
            harness.emulator() as emu,
            harness.emulator() as echo_emu,
            harness.running_bot(folder, emu, [USER]),
        ):
            real_times, echo_times = await _alternate(emu, echo_emu, journey_id, taps, profiler)
    p50, p99 = percentile(real_times, 0.5), percentile(real_times, 0.99)
    echo50, echo99 = percentile(echo_times, 0.5), percentile(echo_times, 0.99)
    what = f"Tap latency, {on_list}-item list, {taps} taps"
    return [
        Figure(
            1,
            f"{what}: p50",
            ms(p50),
            f"echo bot {ms(echo50)} ({ratio(p50, echo50)})",
            "≤ 2× echo",
            p50 <= 2 * echo50,
        ),
        Figure(
            1,
            f"{what}: p99",
            ms(p99),
            f"echo bot {ms(echo99)} ({ratio(p99, echo99)})",
            "≤ 3× echo",
            p99 <= 3 * echo99,
        ),
    ]
