"""A loopback Telegram Bot API emulator: the real PTB Application polls it, tests act as its users."""

from bot.emulator.driver import BotApiEmulator, EmulatedUser, MessageView

__all__ = ["BotApiEmulator", "EmulatedUser", "MessageView"]
