"""`aimtrack chat`: the terminal prints what the bot sends and turns typed lines into updates."""

from __future__ import annotations

import io
from pathlib import Path

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.terminal_chat import TerminalChat, _first_answer
from handlers import callback_data as cb
from handlers.keyboards import keyboard
from tests.conftest import ALICE


async def test_numbers_tap_buttons_and_labels_stay_text(
    bot: AimTrackApplication, emulator: BotApiEmulator, tmp_path: Path
) -> None:
    out = io.StringIO()
    alice = emulator.user(ALICE, first_name="Alice")
    terminal = TerminalChat(alice, tmp_path / "downloads", out)
    emulator.on_bot_message(terminal.show)

    calls = len(emulator.calls)
    await terminal.handle("/start")
    await _first_answer(emulator, calls)  # returns once the bot has answered the line
    await emulator.settle()
    assert "AimTrack" in out.getvalue() and "[1] " in out.getvalue()

    markup = keyboard([[("— Clothing —", cb.LABEL_ONLY)], [("◀", "zz:0"), ("2/3", cb.LABEL_ONLY)]])
    await bot.bot.send_message(ALICE, "A list", reply_markup=markup)
    await emulator.settle()
    assert out.getvalue().endswith("  A list\n  — Clothing —\n  [1] ◀   2/3\n"), out.getvalue()[-200:]
    assert terminal.buttons == [(alice.last.message_id, "◀")]

    await terminal.handle("1")  # taps ◀, which no feature knows: the bot says so
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers] == ["That button is no longer valid."]
