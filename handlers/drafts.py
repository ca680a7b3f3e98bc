"""A flow's draft in user_data: one typed dataclass per flow, under one key, with its layout's version.

user_data is stored as JSON between updates (bot/persistence.py), so a draft is kept as
`{"v": <version>, "draft": <its fields>}` and read back into its dataclass. A draft whose version is not the
flow's (written by an older release mid-flow) is not guessed at: `load` returns None and the flow starts
over, saying so. Data without a version is version 1, the layout of the drafts written before versions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import MutableMapping
from typing import Any, Generic, Protocol, TypeVar


class Draftable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any: ...


D = TypeVar("D", bound=Draftable)


def fields_of(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The values of `data` that are fields of the dataclass `cls` (a newer key is dropped, not an error)."""
    known = {item.name for item in dataclasses.fields(cls)}
    return {key: value for key, value in data.items() if key in known}


class DraftSlot(Generic[D]):
    """Where one flow keeps its draft: `key` in user_data, read and written as `kind`, at `version`."""

    def __init__(self, key: str, kind: type[D], version: int = 1) -> None:
        self.key = key
        self.kind = kind
        self.version = version

    def load(self, user_data: MutableMapping[str, Any]) -> D | None:
        stored = user_data.get(self.key)
        if not isinstance(stored, dict):
            return None
        version, data = (stored.get("v"), stored.get("draft")) if "v" in stored else (1, stored)
        if version != self.version or not isinstance(data, dict):
            return None
        try:
            draft: D = self.kind.from_dict(data)
        except (TypeError, ValueError, KeyError):
            return None
        return draft

    def save(self, user_data: MutableMapping[str, Any], draft: D) -> None:
        user_data[self.key] = {"v": self.version, "draft": draft.to_dict()}

    def drop(self, user_data: MutableMapping[str, Any]) -> None:
        user_data.pop(self.key, None)
