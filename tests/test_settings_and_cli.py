"""Configuration errors stop start-up with one clear line; the CLI's commands without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from core.settings import AiProvider, SettingsError, load_settings
from handlers.start import MAIN_MENU

ROOT = Path(__file__).resolve().parent.parent


def test_allowed_users_are_read_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMTRACK_ALLOWED_USERS", "12, 34,56")
    assert load_settings().aimtrack_allowed_users == {12, 34, 56}


def test_a_wrong_value_names_the_variable_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMTRACK_ALLOWED_USERS", "abc")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("AIMTRACK_ALLOWED_USERS:") and "\n" not in message


def test_the_ai_provider_follows_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().ai_provider is AiProvider.OFFLINE
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert load_settings().ai_provider is AiProvider.ANTHROPIC


def test_the_database_defaults_to_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIMTRACK_DATA_DIR", str(tmp_path))
    assert load_settings().database_url == f"sqlite+aiosqlite:///{tmp_path / 'aimtrack.db'}"


def test_start_up_with_a_wrong_value_exits_2_naming_it(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("AIMTRACK_ALLOWED_USERS", "abc")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Configuration error: AIMTRACK_ALLOWED_USERS") and "\n" not in err


def test_run_without_a_token_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setenv("AIMTRACK_DATA_DIR", str(tmp_path))
    assert main(["run"]) == 2
    assert "@BotFather" in capsys.readouterr().err


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "AIMTRACK_"))}
    env["AIMTRACK_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_without_a_token_the_bot_opens_the_terminal_chat(tmp_path: Path) -> None:
    """What `make run` does on a fresh machine: `aimtrack` with no token talks in the terminal."""
    help_button = 1 + [key for key, _ in MAIN_MENU].index("start.menu_help")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli"],
        input=f"/start\n{help_button}\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "AimTrack terminal chat" in result.stdout
    assert "Hello" in result.stdout and f"[{help_button}] ❓ Help" in result.stdout
    assert "/settings – Language and time zone" in result.stdout, "the Help button was tapped"
    assert (tmp_path / "data" / "aimtrack.db").exists()


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "aimtrack.db").stat().st_size > 0
