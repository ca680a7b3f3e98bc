"""Access decisions and the text catalogs, without Telegram."""

from __future__ import annotations

from core import i18n
from core.access import AccessControl
from services.preferences import parse_time_zone


def test_configured_users_only_and_no_claim_code() -> None:
    access = AccessControl(allowed_users={1, 2})
    assert access.is_allowed(1) and not access.is_allowed(3)
    assert not access.claimable


def test_the_claim_code_works_once() -> None:
    access = AccessControl(allowed_users=())
    code = access.claim_code
    assert code and len(code) >= 12
    assert not access.claim(7, "wrong")
    assert access.claim(7, code)
    assert access.is_allowed(7) and not access.is_allowed(8)
    assert not access.claim(8, code)


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
