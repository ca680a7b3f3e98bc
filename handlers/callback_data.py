"""One codec for every button's callback_data: typed payloads, encoded and decoded here, at most 64 bytes.

A payload is a frozen dataclass that names its wire form as a template of colon-separated parts, e.g.
`Toggle(item_id=7, side=Side.DEPARTURE)` ↔ `pk:7:d` for `template="pk:{item_id}:{side}"`. Fields are `int`,
`str` (no colon), `bool` (`0`/`1`) or a `StrEnum`. A template never changes once buttons carrying it were
sent: new fields get a new template, so a button sent before an upgrade still decodes after it; data that
matches no template decodes to None, and the fallback answers "this button has expired".

A button that only shows a label (a heading, a page counter, a calendar's weekday) carries `LABEL_ONLY`; a
tap on it is answered with nothing, and other transports (the Matrix bridge) show it as text, not a choice.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Any, ClassVar, TypeVar

MAX_BYTES = 64  # the Bot API's limit for callback_data
LABEL_ONLY = "_"

_FIELD = re.compile(r"\{(\w+)\}")
_REGISTRY: list[type[Payload]] = []
_BY_PREFIX: dict[str, list[type[Payload]]] = {}  # by the template's first part: a tap tries only those

P = TypeVar("P", bound="Payload")


class Payload:
    """A button's typed callback data; subclasses are frozen dataclasses with `template=` in their bases."""

    template: ClassVar[str]
    label: ClassVar[bool] = False  # True: a label-only button of an older layout, answered with nothing
    _regex: ClassVar[re.Pattern[str] | None] = None
    _types: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, template: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if any(known.template == template for known in _REGISTRY):
            raise ValueError(f"two payloads share the template {template!r}")
        prefix = template.partition(":")[0]
        if "{" in prefix:
            raise ValueError(f"a template starts with a fixed prefix: {template!r}")
        cls.template = template
        cls._regex = None
        _REGISTRY.append(cls)
        _BY_PREFIX.setdefault(prefix, []).append(cls)

    @classmethod
    def _compiled(cls) -> re.Pattern[str]:
        if cls._regex is None:
            hints = typing.get_type_hints(cls)
            cls._types = {field.name: hints[field.name] for field in fields(typing.cast(Any, cls))}
            parts = []
            position = 0
            for match in _FIELD.finditer(cls.template):
                parts.append(re.escape(cls.template[position : match.start()]))
                parts.append(f"(?P<{match[1]}>{_pattern_of(cls._types[match[1]])})")
                position = match.end()
            parts.append(re.escape(cls.template[position:]))
            cls._regex = re.compile("".join(parts))
        return cls._regex

    def encode(self) -> str:
        values = {name: _wire(getattr(self, name)) for name in self._compiled().groupindex}
        data = self.template.format(**values)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls: type[P], data: str) -> P | None:
        """This payload from `data`, or None when `data` is not of this template."""
        match = cls._compiled().fullmatch(data)
        if match is None:
            return None
        try:
            values = {name: _value(cls._types[name], text) for name, text in match.groupdict().items()}
        except ValueError:
            return None
        return cls(**values)


def decode(data: str | None) -> Payload | None:
    """The payload `data` encodes, or None (an old layout, a forged button, a label)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    for kind in _BY_PREFIX.get(data.partition(":")[0], ()):
        if (payload := kind.parse(data)) is not None:
            return payload
    return None


def is_label(data: object) -> bool:
    """Whether a tap on `data` is a tap on a label: `LABEL_ONLY`, or an older layout's label button."""
    if data == LABEL_ONLY:
        return True
    return isinstance(data, str) and (payload := decode(data)) is not None and payload.label


def matches(*kinds: type[Payload]) -> Callable[[object], bool]:
    """A `CallbackQueryHandler` pattern that takes the buttons of `kinds`."""

    prefixes = {kind.template.partition(":")[0] for kind in kinds}

    def check(data: object) -> bool:
        return (
            isinstance(data, str)
            and data.partition(":")[0] in prefixes
            and any(kind.parse(data) is not None for kind in kinds)
        )

    return check


def _pattern_of(kind: Any) -> str:
    if kind is bool:
        return "[01]"
    if kind is int:
        return r"-?\d{1,19}"
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "|".join(re.escape(str(member.value)) for member in kind)
    if kind is str:
        return "[^:]+"
    raise TypeError(f"callback fields are int, str, bool or an enum, not {kind!r}")


def _wire(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    text = str(value)
    if not text or ":" in text:
        raise ValueError(f"a callback field may not be empty or hold ':': {text!r}")
    return text


def _value(kind: Any, text: str) -> object:
    if kind is bool:
        return text == "1"
    if kind is int:
        number = int(text)
        if not -(2**63) <= number < 2**63:
            raise ValueError(text)
        return number
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(text)
    return text


def registered() -> tuple[type[Payload], ...]:
    """Every payload kind, in the order they were declared (for tests)."""
    return tuple(_REGISTRY)
