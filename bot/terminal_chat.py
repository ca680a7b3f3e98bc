"""`aimtrack chat`: talk to the real bot in a terminal, through the loopback Bot API emulator (no token)."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import locale
import sys
from pathlib import Path
from typing import TextIO

from bot.app import build_application
from bot.emulator import BotApiEmulator, EmulatedUser, MessageView
from core.settings import Settings
from handlers.callback_data import LABEL_ONLY

TERMINAL_USER_ID = 1
EMULATOR_TOKEN = "1:terminal-chat"

INTRO = """AimTrack terminal chat — you are talking to the real bot through a local Bot API emulator.
Type a message or a /command. A number taps the button with that number on the latest keyboard
(start with ' to send the number as text). Also: /photo PATH, /file PATH, /location LAT LON.
Ctrl-D or /quit to leave.
"""


class TerminalChat:
    """Prints what the bot sends (buttons numbered, documents saved) and turns typed lines into updates.

    A button that only shows a label (`LABEL_ONLY`: a heading, a page counter) is printed without a number.
    """

    def __init__(self, user: EmulatedUser, downloads: Path, out: TextIO) -> None:
        self.user = user
        self.downloads = downloads
        self.out = out
        self.buttons: list[tuple[int, str]] = []  # (message id, button text) by number

    def show(self, _chat_id: int, message: MessageView, edited: bool) -> None:
        lines = ["", "bot (edited):" if edited else "bot:"]
        text = message.text or message.caption
        if text:
            lines.extend(f"  {line}" for line in text.splitlines())
        document = message.document
        if document is not None:
            lines.append(f"  [document saved to {self._save(document.name or 'file', document.data)}]")
        if message.photo is not None:
            lines.append(f"  [photo saved to {self._save(f'photo-{message.message_id}.jpg', message.photo)}]")
        if message.buttons:
            self.buttons = []
            for row in message.buttons:
                cells = []
                for label, data in row:
                    if data == LABEL_ONLY:
                        cells.append(label)
                        continue
                    self.buttons.append((message.message_id, label))
                    cells.append(f"[{len(self.buttons)}] {label}")
                lines.append("  " + "   ".join(cells))
        print("\n".join(lines), file=self.out, flush=True)

    def _save(self, name: str, data: bytes) -> Path:
        self.downloads.mkdir(parents=True, exist_ok=True)
        path = self.downloads / Path(name).name
        path.write_bytes(data)
        return path

    async def handle(self, line: str) -> None:
        """Turn one typed line into the matching update."""
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            message_id, label = self.buttons[int(line) - 1]
            await self.user.tap(message_id, label)
            return
        command, _, argument = line.partition(" ")
        if command == "/photo":
            _, data = await asyncio.to_thread(_read, argument)
            await self.user.send_photo(data)
        elif command == "/file":
            name, data = await asyncio.to_thread(_read, argument)
            await self.user.send_document(data, file_name=name)
        elif command == "/location":
            latitude, longitude = (float(part) for part in argument.split())
            await self.user.send_location(latitude, longitude)
        else:
            await self.user.send_text(line.removeprefix("'"))


ANSWERS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto",
     "sendMediaGroup", "answerCallbackQuery"}
)  # fmt: skip
ANSWER_WAIT_S = 15.0


async def _first_answer(emulator: BotApiEmulator, calls_before: int) -> None:
    """Wait until the bot has answered the last line (slow work such as a first place lookup included),
    so the numbers the next line taps belong to the keyboard the person has seen."""
    with contextlib.suppress(TimeoutError):
        await emulator.wait_for_call(ANSWERS, after=calls_before, timeout=ANSWER_WAIT_S)


def _read(path: str) -> tuple[str, bytes]:
    file = Path(path).expanduser()
    return file.name, file.read_bytes()


async def run_terminal_chat(settings: Settings, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    emulator = BotApiEmulator(token=EMULATOR_TOKEN, bot_username="aimtrack_bot")
    await emulator.start()
    chat_settings = settings.model_copy(
        update={"telegram_base_url": emulator.base_url, "telegram_base_file_url": emulator.base_file_url}
    )
    application = build_application(chat_settings, token=EMULATOR_TOKEN, extra_users={TERMINAL_USER_ID})
    language = (locale.getlocale()[0] or "en").split("_")[0]
    user = emulator.user(TERMINAL_USER_ID, first_name=getpass.getuser().title(), language_code=language)
    terminal = TerminalChat(user, settings.aimtrack_data_dir / "chat-downloads", out)
    emulator.on_bot_message(terminal.show)
    try:
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=10)
            print(INTRO, file=out, flush=True)
            while True:
                line = await asyncio.to_thread(stdin.readline)
                if not line or line.strip() == "/quit":
                    break
                if line.strip():
                    calls_before = len(emulator.calls)
                    try:
                        await terminal.handle(line.strip())
                    except (OSError, ValueError) as exc:
                        print(f"  ({exc})", file=out, flush=True)
                    await _first_answer(emulator, calls_before)
                await emulator.settle()
            await application.updater.stop()
            await application.stop()
    finally:
        await emulator.stop()
