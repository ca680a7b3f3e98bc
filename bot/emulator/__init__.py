"""A loopback Telegram Bot API emulator: the real PTB Application polls it, tests act as its users."""

from bot.emulator.driver import BotApiEmulator, EmulatedUser, MessageView
from bot.emulator.state import Fault, server_error, slow, too_many_requests

__all__ = [
    "BotApiEmulator",
    "EmulatedUser",
    "Fault",
    "MessageView",
    "server_error",
    "slow",
    "too_many_requests",
]
