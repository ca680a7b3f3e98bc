"""Texts the user reads, in catalogs per language and feature (`<lang>/<feature>.toml`), chosen per user.

The files of one language are merged; their top-level tables must not overlap. A key missing from a
catalog falls back to English; a key missing from English is a bug and raises.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "nl": "Nederlands"}
_CATALOG_DIR = Path(__file__).parent


def _flatten(table: dict[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@cache
def catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_CATALOG_DIR / language).glob("*.toml")):
        with path.open("rb") as fh:
            texts = _flatten(tomllib.load(fh))
        if overlap := merged.keys() & texts.keys():
            raise ValueError(f"{path} repeats keys: {sorted(overlap)[:5]}")
        merged.update(texts)
    return merged


def resolve_language(chosen: str | None, telegram_language: str | None) -> str:
    """The user's choice in /settings wins; otherwise their Telegram app's language, if we speak it."""
    if chosen in LANGUAGES:
        return chosen
    base = (telegram_language or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, /, **values: object) -> str:
    text = catalog(language).get(key) if language in LANGUAGES else None
    if text is None:
        text = catalog(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text
