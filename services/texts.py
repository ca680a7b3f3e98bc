"""What services say, as plain data a transport renders in the user's language.

A service returns `Text`s — a catalog key and the values of its placeholders — instead of sentences, so the
Telegram layer (and a future Matrix one) can translate and format them. Values may be user data (shown as
typed, escaped where the transport needs it), dates and times (shown in the reader's style), a `Label`
(itself a catalog text), an `Amount` (a decimal in the reader's style), or a sequence of those (joined).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Text = tuple[str, dict[str, Any]]  # a catalog key and the values of its placeholders


@dataclass(frozen=True)
class Label:
    """A value shown as the catalog text `key` (a weapon type, a property, …) rather than as itself."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Amount:
    """A quantity, shown with the reader's decimal separator."""

    value: float
