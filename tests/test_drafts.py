"""Flow drafts keep their type and version across the JSON that user_data is stored as."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from handlers.drafts import DraftSlot, fields_of


@dataclasses.dataclass
class _Form:
    name: str | None = None
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _Form:
        return cls(**fields_of(cls, data))


def test_a_draft_survives_the_json_of_the_persistence() -> None:
    slot = DraftSlot("form", _Form, version=2)
    user_data: dict[str, Any] = {}
    slot.save(user_data, _Form("Glock", 3))
    user_data = json.loads(json.dumps(user_data))
    assert slot.load(user_data) == _Form("Glock", 3)
    slot.drop(user_data)
    assert slot.load(user_data) is None


def test_a_draft_of_another_version_is_not_guessed_at() -> None:
    user_data: dict[str, Any] = {}
    DraftSlot("form", _Form, version=1).save(user_data, _Form("Glock", 3))
    assert DraftSlot("form", _Form, version=2).load(user_data) is None
    assert DraftSlot("form", _Form, version=1).load({"form": {"name": "old", "count": 1}}) == _Form("old", 1)
    newer = {"form": {"v": 1, "draft": {"name": "x", "colour": "red"}}}
    assert DraftSlot("form", _Form, version=1).load(newer) == _Form("x", 0)
