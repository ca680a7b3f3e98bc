"""Access decisions and the text catalogs, without Telegram."""

from __future__ import annotations

from core import i18n
from core.access import WRONG_CODE_QUIET, AccessControl, WrongCode, code_matches, new_claim_code
from services.preferences import parse_time_zone


def test_configured_users_only_and_no_claim_code() -> None:
    access = AccessControl(allowed_users={1, 2})
    assert access.is_allowed(1) and not access.is_allowed(3)
    assert not access.claimable


def test_without_configured_users_the_bot_is_its_claimed_owners() -> None:
    access = AccessControl(allowed_users=())
    assert access.claimable and not access.is_allowed(7), "the owner is the database's to say"
    code = new_claim_code()
    assert len(code) >= 12 and code != new_claim_code()
    assert code_matches(code, code) and not code_matches("wrong", code) and not code_matches("", code)


def test_wrong_codes_are_answered_once_a_minute_per_user_and_logged_once_per_burst() -> None:
    now = [1000.0]
    access = AccessControl(allowed_users=(), clock=lambda: now[0])
    assert access.wrong_code(7) == WrongCode(answer=True, log=True, unlogged=0)
    now[0] += 1
    assert access.wrong_code(7) == WrongCode(answer=False, log=False, unlogged=1)
    assert access.wrong_code(8) == WrongCode(answer=True, log=False, unlogged=2), "8 is answered, once"
    now[0] += 30
    assert access.wrong_code(7) == WrongCode(answer=False, log=False, unlogged=3)
    now[0] += WRONG_CODE_QUIET
    assert access.wrong_code(7) == WrongCode(answer=True, log=True, unlogged=3), "the next line counts them"
    assert access.wrong_code(8) == WrongCode(answer=True, log=False, unlogged=1)


def test_a_stranger_is_told_once() -> None:
    access = AccessControl(allowed_users={1})
    assert access.first_refusal(9)
    assert not access.first_refusal(9)


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    english, dutch = i18n.catalog("en"), i18n.catalog("nl")
    assert english.keys() == dutch.keys()
    for key, text in english.items():
        placeholders = {part.split("}")[0] for part in text.split("{")[1:]}
        assert placeholders == {part.split("}")[0] for part in dutch[key].split("{")[1:]}, key


def test_language_choice_beats_the_telegram_app() -> None:
    assert i18n.resolve_language(None, "nl-BE") == "nl"
    assert i18n.resolve_language(None, "fr") == "en"
    assert i18n.resolve_language("en", "nl") == "en"


def test_time_zones_are_read_forgivingly_and_strictly() -> None:
    assert parse_time_zone("  europe/amsterdam ") == "Europe/Amsterdam"
    assert parse_time_zone("America/New York") == "America/New_York"
    assert parse_time_zone("Mars/Olympus") is None
    assert parse_time_zone("x" * 2000) is None
