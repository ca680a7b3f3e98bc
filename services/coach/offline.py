"""The offline coach: reflections, weapon trends and answers written from the user's own statistics.

It needs no network and names the real numbers: per-shot averages, the trend per weapon and distance,
rounds per month, best and worst sessions, and words that keep coming back in notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from services.coach.phrases import Phrases
from services.coach.stats import (
    Trend,
    best_and_worst,
    notes_of,
    per_shot,
    recurring_words,
    rounds_per_month,
    sessions_since,
    trends,
)
from services.coach.types import Answer, History, Question, Reflection, WeaponInsight
from storage.coach import EntryRow

PROVIDER = "offline"
MODEL = "statistics-v1"
_DISTANCE = re.compile(r"\b(\d{1,4})\s*(?:m|meter|metres?|meters?)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


def _earlier(history: History, entry: EntryRow) -> list[EntryRow]:
    """The user's scored entries with the same weapon and distance before `entry`'s session."""
    return [
        e
        for e in history.entries
        if e.weapon_id == entry.weapon_id
        and e.distance_m == entry.distance_m
        and e.score is not None
        and (e.date, e.session_id) < (entry.date, entry.session_id)
    ]


def session_summary(entries: Sequence[EntryRow], say: Phrases) -> str:
    first = entries[0]
    parts = []
    for e in entries:
        values = {"weapon": e.weapon_name, "distance": e.distance_m, "shots": e.shot_count}
        if e.score is None:
            parts.append(say("entry_unscored", **values))
        else:
            parts.append(say("entry", score=e.score, per_shot=say.number(e.score / e.shot_count), **values))
    return say(
        "summary",
        day=say.day(first.date),
        club=say("at_club", club=first.club) if first.club else "",
        rounds=sum(e.shot_count for e in entries),
        weapons=", ".join(dict.fromkeys(e.weapon_name for e in entries)),
        entries="; ".join(parts),
    )


class OfflineProvider:
    name = PROVIDER
    model = MODEL

    async def reflect(self, history: History, session_id: int, language: str) -> Reflection:
        say = Phrases(language)
        entries = [e for e in history.entries if e.session_id == session_id]
        if not entries:
            raise ValueError(f"session {session_id} has no entries in this user's history")
        went_well: list[str] = []
        needs_work: list[str] = []
        focus: list[str] = []
        worst: tuple[float, EntryRow, float] | None = None
        best: tuple[float, EntryRow, float] | None = None
        for entry in entries:
            if entry.score is None:
                continue
            value = entry.score / entry.shot_count
            earlier = _earlier(history, entry)
            common = {
                "weapon": entry.weapon_name,
                "distance": entry.distance_m,
                "per_shot": say.number(value),
            }
            if not earlier:
                went_well.append(say("baseline", **common))
                best = best or (0.0, entry, value)
                continue
            average = per_shot(earlier) or 0.0
            level = say.number(value) == say.number(average)  # equal as shown: neither above nor below
            line = say(
                "level" if level else "above" if value > average else "below",
                average=say.number(average),
                earlier=len(earlier),
                **common,
            )
            (went_well if value >= average else needs_work).append(line)
            gap = value - average
            if worst is None or gap < worst[0]:
                worst = (gap, entry, average)
            if best is None or gap > best[0]:
                best = (gap, entry, value)
        if not went_well:
            since = entries[0].date - dt.timedelta(days=365)
            went_well.append(say("kept_going", sessions=sessions_since(history.entries, since)))
        words = recurring_words(notes_of(history.entries))
        needs_work += [say("recurring", word=word, count=count) for word, count in words[:2]]
        if not needs_work:
            needs_work.append(say("no_weak_spot"))
        if worst is not None and worst[0] < 0:
            _, entry, average = worst
            focus.append(
                say(
                    "focus_below",
                    weapon=entry.weapon_name,
                    distance=entry.distance_m,
                    average=say.number(average),
                )
            )
        elif words:
            focus.append(say("focus_word", word=words[0][0], count=words[0][1]))
        elif best is not None:
            _, entry, value = best
            focus.append(
                say(
                    "focus_hold",
                    weapon=entry.weapon_name,
                    distance=entry.distance_m,
                    per_shot=say.number(value),
                )
            )
        else:
            focus.append(say("focus_score"))
        return Reflection(
            summary=session_summary(entries, say),
            went_well="\n".join(went_well),
            needs_improvement="\n".join(needs_work),
            next_focus="\n".join(focus),
            provider=self.name,
            model=self.model,
        )

    async def weapon_insight(self, history: History, weapon_id: int, language: str) -> WeaponInsight:
        say = Phrases(language)
        entries = [e for e in history.entries if e.weapon_id == weapon_id]
        if not entries:
            return WeaponInsight(
                say("no_entries"), say("no_issue", notes=0), say("rec_start"), self.name, self.model
            )
        weapon_trends = trends(entries)
        lines = [
            say(
                "usage",
                sessions=len({e.session_id for e in entries}),
                rounds=sum(e.shot_count for e in entries),
                day=say.day(max(e.date for e in entries)),
            )
        ]
        lines += [_trend_line(say, t) for t in weapon_trends]
        if not weapon_trends:
            lines.append(say("no_scores"))
        months = rounds_per_month(entries)
        lines.append(say("months", months=", ".join(f"{month} {rounds}" for month, rounds in months)))
        lines += _best_and_worst_line(say, entries)
        notes = notes_of(entries)
        words = recurring_words(notes)
        issues = [say("issue_word", word=w, count=n, notes=len(notes)) for w, n in words]
        recommendations = []
        for t in sorted(weapon_trends, key=lambda t: t.change):
            if t.scored < 2 or abs(t.change) < 0.005:
                continue
            key = "rec_falling" if t.change < 0 else "rec_rising"
            recommendations.append(
                say(key, distance=t.distance_m, first=say.number(t.first), last=say.number(t.last))
            )
        recommendations += [say("rec_word", word=w) for w, _ in words[:1]]
        if months:
            recommendations.append(say("rec_volume", rounds=months[-1][1], month=months[-1][0]))
        return WeaponInsight(
            trends="\n".join(lines),
            typical_issues="\n".join(issues) or say("no_issue", notes=len(notes)),
            recommendations="\n".join(recommendations) or say("rec_start"),
            provider=self.name,
            model=self.model,
        )

    async def answer(self, question: Question) -> Answer:
        say = Phrases(question.language)
        history = question.history
        if question.session_id is not None:
            entries = [e for e in history.entries if e.session_id == question.session_id]
            if entries:
                text = say(
                    "answer_session", day=say.day(entries[0].date), summary=session_summary(entries, say)
                )
                return Answer(f"{text}\n\n{say('offline_note')}", self.name, self.model)
        if not history.entries:
            return Answer(f"{say('answer_empty')}\n\n{say('offline_note')}", self.name, self.model)
        asked = [question.text, *(t.content for t in reversed(question.turns) if t.role == "user")]
        weapon_id = question.weapon_id or _first(asked, lambda text: _weapon_in(text, history))
        distance = _first(asked, _distance_in)
        year = _first(asked[:1], _year_in)
        entries = [
            e
            for e in history.entries
            if (weapon_id is None or e.weapon_id == weapon_id)
            and (distance is None or e.distance_m == distance)
            and (year is None or e.date.year == year)
        ]
        scope = _scope(say, history, weapon_id, distance, year)
        if not entries:
            return Answer(
                f"{say('answer_none', scope=scope)}\n\n{say('offline_note')}", self.name, self.model
            )
        lines = [
            say(
                "answer_totals",
                scope=scope,
                sessions=len({e.session_id for e in entries}),
                rounds=sum(e.shot_count for e in entries),
            )
        ]
        if (average := per_shot(entries)) is not None:
            scored = sum(1 for e in entries if e.score is not None)
            lines.append(say("answer_average", per_shot=say.number(average), scored=scored))
        lines += [
            _trend_line(say, t)
            for t in trends(entries)
            if t.scored >= 2 and (weapon_id is not None or distance is not None)
        ]
        lines += _best_and_worst_line(say, entries)
        lines.append(say("answer_last", day=say.day(max(e.date for e in entries))))
        return Answer("\n".join([*lines, "", say("offline_note")]), self.name, self.model)


def _trend_line(say: Phrases, trend: Trend) -> str:
    return say(
        "trend",
        distance=trend.distance_m,
        first=say.number(trend.first),
        last=say.number(trend.last),
        window=trend.window,
        scored=trend.scored,
        average=say.number(trend.average),
    )


def _best_and_worst_line(say: Phrases, entries: Sequence[EntryRow]) -> list[str]:
    """The best and the weakest session by score per shot, if they are two different sessions."""
    extremes = best_and_worst(entries)
    if not extremes or extremes[0].session_id == extremes[1].session_id:
        return []
    best, worst = extremes
    return [
        say(
            "best_worst",
            best=say.day(best.date),
            best_score=say.number(best.per_shot),
            worst=say.day(worst.date),
            worst_score=say.number(worst.per_shot),
        )
    ]


def _first(texts: Sequence[str], find: Callable[[str], int | None]) -> int | None:
    for text in texts:
        found = find(text)
        if found is not None:
            return found
    return None


def _weapon_in(text: str, history: History) -> int | None:
    """The weapon the text names (its full name, or a distinctive word of it)."""
    lowered = text.lower()
    for weapon in history.weapons:
        if weapon.name.lower() in lowered:
            return weapon.id
    words = set(re.findall(r"\w+", lowered))
    for weapon in history.weapons:
        if any(len(part) >= 3 and part in words for part in re.findall(r"\w+", weapon.name.lower())):
            return weapon.id
    return None


def _distance_in(text: str) -> int | None:
    found = _DISTANCE.search(text)
    return int(found.group(1)) if found else None


def _year_in(text: str) -> int | None:
    found = _YEAR.search(text)
    return int(found.group(1)) if found else None


def _scope(
    say: Phrases, history: History, weapon_id: int | None, distance: int | None, year: int | None
) -> str:
    parts = []
    if weapon_id is not None:
        name = next((w.name for w in history.weapons if w.id == weapon_id), "?")
        parts.append(say("scope_weapon", weapon=name))
    if distance is not None:
        parts.append(say("scope_distance", distance=distance))
    if year is not None:
        parts.append(say("scope_year", year=year))
    return " ".join(parts) or say("scope_all")
