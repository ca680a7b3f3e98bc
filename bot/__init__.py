"""AimTrack: the Telegram side of the bot (settings, application factory, CLI, emulator)."""
