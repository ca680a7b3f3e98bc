"""The coach's typed requests and results, and the protocol both providers implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.coach import EntryRow, WeaponRow


class CoachUnavailable(Exception):
    """The provider could not answer (down, slow, refused, or an answer in the wrong shape)."""


class CoachStopped(CoachUnavailable):
    """The bot is stopping: the call was cancelled, or not made; nothing of it was stored."""


@dataclass(frozen=True)
class Reflection:
    summary: str
    went_well: str
    needs_improvement: str
    next_focus: str
    provider: str
    model: str

    def columns(self) -> dict[str, str]:
        return {
            "summary": self.summary,
            "went_well": self.went_well,
            "needs_improvement": self.needs_improvement,
            "next_focus": self.next_focus,
        }


@dataclass(frozen=True)
class WeaponInsight:
    trends: str
    typical_issues: str
    recommendations: str
    provider: str
    model: str

    def columns(self) -> dict[str, str]:
        return {
            "trends": self.trends,
            "typical_issues": self.typical_issues,
            "recommendations": self.recommendations,
        }


@dataclass(frozen=True)
class Answer:
    text: str
    provider: str
    model: str
    tokens: int | None = None


@dataclass(frozen=True)
class History:
    """One user's data as the coach sees it: their weapons and entries (newest first). Never another's."""

    user_id: int
    weapons: list[WeaponRow]
    entries: list[EntryRow]


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    content: str


class ToolRunner(Protocol):
    """Runs the coach's data tools against the database, scoped to one user."""

    async def run(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    history: History
    turns: list[Turn] = field(default_factory=list)  # earlier turns of the thread, oldest first
    session_id: int | None = None  # pinned with /coach
    weapon_id: int | None = None
    tools: ToolRunner | None = None


class CoachProvider(Protocol):
    name: str
    model: str

    async def reflect(self, history: History, session_id: int, language: str) -> Reflection: ...

    async def weapon_insight(self, history: History, weapon_id: int, language: str) -> WeaponInsight: ...

    async def answer(self, question: Question) -> Answer: ...
