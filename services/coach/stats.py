"""Plain statistics over a user's entries: per-shot averages, trends per weapon and distance, rounds per
month, best and worst sessions, recurring words in notes. Deterministic, so texts and prompts are too."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.coach import EntryRow

TREND_WINDOW = 3  # compare the first and last (up to) three scored entries
_STOPWORDS_TEXT = """
the and but for with was were are this that too not very bit more less than then have had from
into out off over under again all any some just only also still shot shots round rounds score
een het de en van met was waren maar voor niet wel heel beetje meer minder dan dat deze die dit
naar nog ook zijn had wat bij als over onder schot schoten score
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def per_shot(entries: Iterable[EntryRow]) -> float | None:
    """Points per shot over the scored entries, or None when none has a score."""
    scored = [(e.score, e.shot_count) for e in entries if e.score is not None]
    shots = sum(count for _, count in scored)
    return sum(score for score, _ in scored) / shots if shots else None


@dataclass(frozen=True)
class Trend:
    weapon_id: int
    weapon_name: str
    distance_m: int
    scored: int  # scored entries
    first: float  # per shot, mean of the first window
    last: float  # per shot, mean of the last window
    window: int
    average: float

    @property
    def change(self) -> float:
        return self.last - self.first


def trends(entries: Sequence[EntryRow]) -> list[Trend]:
    """Per weapon and distance, oldest to newest; only groups with a score."""
    groups: dict[tuple[int, int], list[EntryRow]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (e.date, e.session_id)):
        if entry.score is not None:
            groups[(entry.weapon_id, entry.distance_m)].append(entry)
    result = []
    for (weapon_id, distance), group in sorted(groups.items(), key=lambda kv: (kv[1][0].weapon_name, kv[0])):
        window = max(1, min(TREND_WINDOW, len(group) // 2))
        result.append(
            Trend(
                weapon_id=weapon_id,
                weapon_name=group[0].weapon_name,
                distance_m=distance,
                scored=len(group),
                first=per_shot(group[:window]) or 0.0,
                last=per_shot(group[-window:]) or 0.0,
                window=window,
                average=per_shot(group) or 0.0,
            )
        )
    return result


def rounds_per_month(entries: Iterable[EntryRow], months: int = 6) -> list[tuple[str, int]]:
    """(YYYY-MM, rounds) for the latest `months` months that have entries, oldest first."""
    totals: Counter[str] = Counter()
    for entry in entries:
        totals[entry.date.strftime("%Y-%m")] += entry.shot_count
    return sorted(totals.items())[-months:]


@dataclass(frozen=True)
class SessionScore:
    session_id: int
    date: dt.date
    club: str | None
    per_shot: float


def session_scores(entries: Iterable[EntryRow]) -> list[SessionScore]:
    by_session: dict[int, list[EntryRow]] = defaultdict(list)
    for entry in entries:
        by_session[entry.session_id].append(entry)
    scores = []
    for session_id, group in by_session.items():
        value = per_shot(group)
        if value is not None:
            scores.append(SessionScore(session_id, group[0].date, group[0].club, value))
    return sorted(scores, key=lambda s: (s.date, s.session_id))


def best_and_worst(entries: Iterable[EntryRow]) -> tuple[SessionScore, SessionScore] | None:
    scores = session_scores(entries)
    if not scores:
        return None
    best = max(scores, key=lambda s: (s.per_shot, s.date))
    worst = min(scores, key=lambda s: (s.per_shot, s.date))
    return best, worst


def notes_of(entries: Iterable[EntryRow]) -> list[str]:
    """Grouping notes and (once per session) manual reflections."""
    notes: list[str] = []
    seen_sessions: set[int] = set()
    for entry in entries:
        if entry.grouping_note:
            notes.append(entry.grouping_note)
        if entry.manual_reflection and entry.session_id not in seen_sessions:
            notes.append(entry.manual_reflection)
        seen_sessions.add(entry.session_id)
    return notes


def recurring_words(notes: Iterable[str], *, minimum: int = 2, top: int = 3) -> list[tuple[str, int]]:
    """Words found in at least `minimum` notes, with how many notes have them; most frequent first."""
    counts: Counter[str] = Counter()
    for note in notes:
        counts.update({word for word in _WORD.findall(note.lower()) if word not in STOPWORDS})
    ranked = sorted(((w, n) for w, n in counts.items() if n >= minimum), key=lambda wn: (-wn[1], wn[0]))
    return ranked[:top]


def sessions_since(entries: Iterable[EntryRow], since: dt.date) -> int:
    return len({e.session_id for e in entries if e.date >= since})
