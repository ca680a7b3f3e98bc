"""The one callback-data codec: every button of every feature round-trips within the Bot API's 64 bytes."""

from __future__ import annotations

import dataclasses
import enum
import itertools
import typing
from dataclasses import dataclass

import pytest

import bot.app  # noqa: F401  # registers every feature's payloads
from handlers import callback_data as cb


def _samples(kind: type[cb.Payload]) -> list[cb.Payload]:
    """Instances of `kind` with the longest values each field can take (every member of an enum)."""
    hints = typing.get_type_hints(kind)
    choices = []
    for field in dataclasses.fields(typing.cast(typing.Any, kind)):
        hint = hints[field.name]
        if hint is int:
            choices.append([-(2**63), 2**63 - 1])
        elif hint is bool:
            choices.append([False, True])
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            choices.append(list(hint))
        else:
            choices.append(["word"])
    names = [field.name for field in dataclasses.fields(typing.cast(typing.Any, kind))]
    return [kind(**dict(zip(names, values, strict=True))) for values in itertools.product(*choices)]


@pytest.mark.parametrize("kind", cb.registered(), ids=lambda kind: kind.__qualname__)
def test_every_payload_round_trips_within_64_bytes(kind: type[cb.Payload]) -> None:
    for sample in _samples(kind):
        data = sample.encode()
        assert len(data.encode()) <= cb.MAX_BYTES
        assert cb.decode(data) == sample


class Side(enum.StrEnum):
    DEPARTURE = "d"
    RETURN = "r"


@dataclass(frozen=True)
class _Tick(cb.Payload, template="test:{row}:{side}"):
    row: int
    side: Side


def test_data_of_no_template_decodes_to_nothing() -> None:
    assert cb.decode("test:7:r") == _Tick(7, Side.RETURN)
    for stale in ("test:7:x", "test:seven:d", "test:7", "test:7:d:extra", "test:99999999999999999999:d", ""):
        assert cb.decode(stale) is None
    assert cb.decode(cb.LABEL_ONLY) is None
    assert cb.matches(_Tick)("test:1:d") and not cb.matches(_Tick)("pk:1:d")


def test_a_field_that_would_break_the_layout_is_refused() -> None:
    @dataclass(frozen=True)
    class Named(cb.Payload, template="test:name:{name}"):
        name: str

    with pytest.raises(ValueError):
        Named("a:b").encode()
    with pytest.raises(ValueError):
        Named("x" * 70).encode()
    with pytest.raises(ValueError):

        class Twice(cb.Payload, template="test:name:{name}"):
            name: str
