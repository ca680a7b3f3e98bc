"""The coach's data tools (for providers with tool use): the user's sessions and statistics by weapon,
period and distance, answered from the database and scoped to that one user."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.coach.context import sessions_newest_first
from services.coach.stats import best_and_worst, per_shot, rounds_per_month, trends
from services.coach.types import History
from storage.coach import EntryRow, history, weapons
from storage.db import Database

MAX_SESSIONS = 50
_FILTERS: dict[str, Any] = {
    "weapon": {"type": "string", "description": "a weapon's name (or part of it) or its id"},
    "distance_m": {"type": "integer", "description": "distance in metres"},
    "date_from": {"type": "string", "description": "first day, YYYY-MM-DD"},
    "date_to": {"type": "string", "description": "last day, YYYY-MM-DD"},
}

TOOLS: list[dict[str, Any]] = [
    {
        "name": "list_weapons",
        "description": "The shooter's weapons: id, name, type, caliber, retired.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "find_sessions",
        "description": "The shooter's sessions (newest first) with their entries: weapon, distance, shots, "
        "score, grouping note; filtered by weapon, distance and period.",
        "input_schema": {
            "type": "object",
            "properties": {
                **_FILTERS,
                "limit": {"type": "integer", "description": f"at most {MAX_SESSIONS}, default 20"},
            },
        },
    },
    {
        "name": "weapon_stats",
        "description": "Exact statistics per weapon and distance: sessions, rounds, scored entries, average "
        "points per shot, first/last trend, best and worst session, rounds per month; same filters.",
        "input_schema": {"type": "object", "properties": dict(_FILTERS)},
    },
]


class ToolError(ValueError):
    pass


def _day(value: object, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ToolError(f"{name} must be YYYY-MM-DD") from None


def _entry(e: EntryRow) -> dict[str, Any]:
    return {
        "weapon": e.weapon_name,
        "weapon_id": e.weapon_id,
        "distance_m": e.distance_m,
        "shots": e.shot_count,
        "score": e.score,
        "grouping_note": e.grouping_note,
    }


class DatabaseTools:
    """Runs the tools for one user; every query filters on `user_id`."""

    def __init__(self, db: Database, user_id: int) -> None:
        self.db = db
        self.user_id = user_id

    async def run(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            if name == "list_weapons":
                return await self._weapons()
            if name == "find_sessions":
                return await self._sessions(arguments)
            if name == "weapon_stats":
                return await self._stats(arguments)
            raise ToolError(f"unknown tool {name!r}")
        except ToolError as error:
            return {"error": str(error)}

    async def _weapons(self) -> dict[str, Any]:
        async with self.db.session() as session:
            rows = await weapons(session, self.user_id)
        return {"weapons": [vars(row) for row in rows]}

    async def _entries(self, arguments: dict[str, Any]) -> list[EntryRow]:
        weapon_ids = None
        if wanted := str(arguments.get("weapon") or "").strip().lower():
            async with self.db.session() as session:
                own = await weapons(session, self.user_id)
            weapon_ids = [w.id for w in own if wanted == str(w.id) or wanted in w.name.lower()]
            if not weapon_ids:
                raise ToolError(f"no weapon matches {wanted!r}; call list_weapons")
        distance = arguments.get("distance_m")
        if distance is not None and not isinstance(distance, int):
            raise ToolError("distance_m must be an integer")
        async with self.db.session() as session:
            return await history(
                session,
                self.user_id,
                weapon_ids=weapon_ids,
                distance_m=distance,
                since=_day(arguments.get("date_from"), "date_from"),
                until=_day(arguments.get("date_to"), "date_to"),
            )

    async def _sessions(self, arguments: dict[str, Any]) -> dict[str, Any]:
        limit = arguments.get("limit") or 20
        limit = max(1, min(MAX_SESSIONS, limit if isinstance(limit, int) else 20))
        groups = sessions_newest_first(History(self.user_id, [], await self._entries(arguments)))
        return {
            "total": len(groups),
            "sessions": [
                {
                    "id": entries[0].session_id,
                    "date": entries[0].date.isoformat(),
                    "club": entries[0].club,
                    "location": entries[0].location,
                    "own_reflection": entries[0].manual_reflection,
                    "entries": [_entry(e) for e in entries],
                }
                for entries in groups[:limit]
            ],
        }

    async def _stats(self, arguments: dict[str, Any]) -> dict[str, Any]:
        entries = await self._entries(arguments)
        groups = []
        for t in trends(entries):
            group = [e for e in entries if e.weapon_id == t.weapon_id and e.distance_m == t.distance_m]
            extremes = best_and_worst(group)
            groups.append(
                {
                    "weapon": t.weapon_name,
                    "distance_m": t.distance_m,
                    "sessions": len({e.session_id for e in group}),
                    "rounds": sum(e.shot_count for e in group),
                    "scored_entries": t.scored,
                    "average_per_shot": round(t.average, 3),
                    "first_per_shot": round(t.first, 3),
                    "last_per_shot": round(t.last, 3),
                    "best_session": extremes
                    and [extremes[0].date.isoformat(), round(extremes[0].per_shot, 3)],
                    "worst_session": extremes
                    and [extremes[1].date.isoformat(), round(extremes[1].per_shot, 3)],
                }
            )
        average = per_shot(entries)
        return {
            "sessions": len({e.session_id for e in entries}),
            "rounds": sum(e.shot_count for e in entries),
            "average_per_shot": None if average is None else round(average, 3),
            "by_weapon_and_distance": groups,
            "rounds_per_month": rounds_per_month(entries, months=24),
        }
