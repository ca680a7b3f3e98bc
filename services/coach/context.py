"""The compact, deterministic summary of one user's data that goes into a provider's prompt.

Same data, same text: weapons with their per-distance statistics first, then sessions newest first until
the character budget (a stand-in for tokens, about four characters each) is used up.
"""

from __future__ import annotations

from collections import defaultdict

from services.coach.stats import per_shot, trends
from services.coach.types import History
from storage.coach import EntryRow

SUMMARY_BUDGET_CHARS = 6000  # about 1500 tokens
NOTE_CHARS = 120


def _clip(text: str, limit: int = NOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def weapon_lines(history: History) -> list[str]:
    by_weapon: dict[int, list[EntryRow]] = defaultdict(list)
    for entry in history.entries:
        by_weapon[entry.weapon_id].append(entry)
    lines = []
    for weapon in history.weapons:
        entries = by_weapon.get(weapon.id, [])
        retired = ", retired" if weapon.retired else ""
        line = f"- {weapon.name} (id {weapon.id}, {weapon.type}, {weapon.caliber}{retired}): "
        if not entries:
            lines.append(line + "no sessions")
            continue
        line += (
            f"{len({e.session_id for e in entries})} sessions, {sum(e.shot_count for e in entries)} rounds, "
            f"last {max(e.date for e in entries).isoformat()}"
        )
        for t in trends(entries):
            line += (
                f"; {t.distance_m} m: avg {t.average:.2f}/shot over {t.scored} scored entries, "
                f"first {t.first:.2f} -> last {t.last:.2f}"
            )
        lines.append(line)
    return lines


def session_line(entries: list[EntryRow]) -> str:
    first = entries[0]
    where = ", ".join(_clip(part, 40) for part in (first.club, first.location) if part)
    parts = []
    for e in entries:
        part = f"{e.weapon_name} {e.distance_m} m {e.shot_count} shots"
        if e.score is not None:
            part += f" score {e.score} ({e.score / e.shot_count:.2f}/shot)"
        if e.grouping_note:
            part += f" note “{_clip(e.grouping_note)}”"
        parts.append(part)
    line = f"- #{first.session_id} {first.date.isoformat()}{' ' + where if where else ''}: " + "; ".join(
        parts
    )
    if first.manual_reflection:
        line += f"; own reflection: “{_clip(first.manual_reflection)}”"
    return line


def sessions_newest_first(history: History) -> list[list[EntryRow]]:
    grouped: dict[int, list[EntryRow]] = {}
    for entry in history.entries:  # already newest first
        grouped.setdefault(entry.session_id, []).append(entry)
    return list(grouped.values())


def summary(history: History, budget: int = SUMMARY_BUDGET_CHARS) -> str:
    """The user's data in at most `budget` characters."""
    sessions = sessions_newest_first(history)
    total_rounds = sum(e.shot_count for e in history.entries)
    average = per_shot(history.entries)
    lines = [
        f"Totals: {len(sessions)} sessions, {total_rounds} rounds, average {_number(average)} points/shot.",
        "Weapons:",
        *weapon_lines(history),
        "Recent sessions (newest first):",
    ]
    text = "\n".join(lines)
    if len(text) > budget:
        return text[: budget - 1] + "…"
    for shown, entries in enumerate(sessions):
        line = session_line(entries)
        rest = len(sessions) - shown
        omitted = f"\n({rest} older sessions not shown; use the tools to query them.)"
        if len(text) + 1 + len(line) + len(omitted) > budget:
            return text + omitted
        text += "\n" + line
    return text
