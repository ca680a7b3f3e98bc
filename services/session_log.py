"""Logging a range session, as plain data any chat transport can drive.

A `SessionDraft` holds what the user has answered so far (JSON-friendly, so a chat layer can keep it in
its persistence). `prompt(step, draft, facts)` says what to ask at a step: a text key, its values and the
options to offer. `answer_text` / `answer_choice` check an answer, store it in the draft and return the
`Outcome`: the next step, or an action (save, cancel) for the caller. Facts are what the questions need
from the database and the user's language (their weapons, recent clubs, today's date, …).

Editing a saved session uses the same steps: a question whose field has a stored value shows it and offers
Keep instead of Skip, so nothing the user leaves alone is erased. An entry picked in the edit menu opens a
menu of its fields: one field (a weapon with its caliber) is asked, then the edit menu again; an entry added
there goes through all its steps, then back to that menu; any other field goes back to the summary.

The quick log (`log 25m glock 50 shots 471`) is parsed here too, by `parse_quick_log`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.texts import Label
from services.validation import (
    MAX_NAME_LENGTH,
    InvalidInput,
    parse_date,
    parse_int,
    parse_name,
    parse_note,
    parse_time,
)
from storage.models import Competition, ShootingSession

MAX_DISTANCE_M = 1000
MAX_SHOTS = 10_000
# Decimal scoring gives at most 10.9 per shot; a score is checked against that, so both whole-ring
# (10 per shot) and decimal totals fit, and an impossible one (600 for 50 shots) is caught.
MAX_POINTS_PER_SHOT = 10.9
MAX_CALIBER_LENGTH = 32  # the column's size
MAX_DISCIPLINE_LENGTH = 64  # the column's size
MAX_SHORT_TEXT_LENGTH = 255  # weather and grouping notes
MAX_ENTRIES = 12  # keeps a session's summary within one chat message
MAX_SHOWN_TEXT = 200  # longer notes are cut in summaries (they are stored in full)
DISTANCES = (10, 25, 50, 100)
SHOT_COUNTS = (5, 10, 20, 30, 40, 50, 60, 100)
SKIP = "-"
KEEP = "keep"  # when editing: leave the stored value as it is
KEEP_KEY = "weapons.form.keep"  # "Keep as it is", the text the weapon form's Keep button shows


class Step(enum.StrEnum):
    """The questions of the flow; the values are short, as they go into callback data and states."""

    DATE = "d"
    CLUB = "c"
    LOCATION = "l"
    WEAPON = "w"
    DISTANCE = "ds"
    SHOTS = "sh"
    CALIBER = "ca"
    SCORE = "sc"
    GROUPING = "g"
    MORE = "m"
    AMMO_BRAND = "ab"
    WEATHER = "we"
    START = "st"
    END = "et"
    NOTES = "n"
    REFLECTION = "r"
    COMPETITION = "co"
    DISCIPLINE = "di"
    SUMMARY = "sum"
    EDIT = "ed"
    ENTRY = "en"  # the fields of one entry, picked in the edit menu


FLOW: tuple[Step, ...] = tuple(Step)[: list(Step).index(Step.SUMMARY) + 1]
ENTRY_STEPS = (Step.WEAPON, Step.DISTANCE, Step.SHOTS, Step.CALIBER, Step.SCORE, Step.GROUPING)
OPTIONAL_STEPS = frozenset(
    {
        Step.LOCATION,
        Step.SCORE,
        Step.GROUPING,
        Step.AMMO_BRAND,
        Step.WEATHER,
        Step.START,
        Step.END,
        Step.NOTES,
        Step.REFLECTION,
        Step.DISCIPLINE,
    }
)
# The fields the edit menu offers besides the entries, in the order of the flow.
EDITABLE_FIELDS = (
    Step.DATE,
    Step.CLUB,
    Step.LOCATION,
    Step.AMMO_BRAND,
    Step.WEATHER,
    Step.START,
    Step.NOTES,
    Step.REFLECTION,
    Step.COMPETITION,
    Step.DISCIPLINE,
)


class Action(enum.StrEnum):
    SAVE = "save"
    CANCEL = "cancel"


# --- the draft --------------------------------------------------------------------------------------


@dataclass
class EntryDraft:
    id: int | None = None  # the stored entry, when editing a saved session
    weapon_id: int | None = None
    weapon_name: str | None = None
    weapon_caliber: str | None = None
    distance_m: int | None = None
    shot_count: int | None = None
    ammo_caliber: str | None = None
    score: int | None = None
    grouping_note: str | None = None

    @property
    def complete(self) -> bool:
        return None not in (self.weapon_id, self.distance_m, self.shot_count, self.ammo_caliber)


FILE_KEYS = ("path", "sha256", "size", "mime", "original_name", "telegram_file_id")


@dataclass
class SessionDraft:
    """A session being logged or edited; dates and times are ISO strings so the draft is JSON as is."""

    session_id: int | None = None  # set when editing a saved session
    date: str | None = None
    club: str | None = None
    location: str | None = None
    entries: list[EntryDraft] = field(default_factory=list)
    ammo_brand: str | None = None
    weather: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    raw_notes: str | None = None
    manual_reflection: str | None = None
    competition: str = Competition.NONE.value
    discipline: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)  # new files, described by FILE_KEYS
    existing_files: int = 0  # attachments a saved session already has
    step: str = "d"  # the question asked last (a `Step` value), to ask it again
    current: int | None = None  # the entry being answered
    editing: bool = False  # a field picked in the edit menu: back to the summary after it
    single: bool = False  # one field of an entry picked in its menu: back to the edit menu after it

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionDraft:
        known = {item.name for item in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        entry_fields = {item.name for item in dataclasses.fields(EntryDraft)}
        values["entries"] = [
            EntryDraft(**{key: value for key, value in entry.items() if key in entry_fields})
            for entry in values.get("entries", [])
        ]
        return cls(**values)

    @property
    def entry(self) -> EntryDraft:
        """The entry being answered."""
        if self.current is None or not 0 <= self.current < len(self.entries):
            raise LookupError("no entry is being answered")
        return self.entries[self.current]

    def start_entry(self) -> None:
        self.entries.append(EntryDraft())
        self.current = len(self.entries) - 1

    def add_file(self, description: dict[str, Any]) -> int:
        """Keep a received file for the session; returns how many files the session will have."""
        self.files.append({key: description.get(key) for key in FILE_KEYS})
        return self.existing_files + len(self.files)

    @property
    def total_shots(self) -> int:
        return sum(entry.shot_count or 0 for entry in self.entries)


def draft_from_session(row: ShootingSession, attachments: int = 0) -> SessionDraft:
    """A saved session (entries and their weapons loaded) as a draft, to edit it with the same steps."""
    return SessionDraft(
        session_id=row.id,
        date=row.date.isoformat(),
        club=row.club,
        location=row.location,
        entries=[
            EntryDraft(
                id=entry.id,
                weapon_id=entry.weapon_id,
                weapon_name=entry.weapon.name,
                weapon_caliber=entry.weapon.caliber,
                distance_m=entry.distance_m,
                shot_count=entry.shot_count,
                ammo_caliber=entry.ammo_caliber,
                score=entry.score,
                grouping_note=entry.grouping_note,
            )
            for entry in row.entries
        ],
        ammo_brand=row.ammo_brand,
        weather=row.weather,
        start_time=_time_text(row.start_time),
        end_time=_time_text(row.end_time),
        raw_notes=row.raw_notes,
        manual_reflection=row.manual_reflection,
        competition=Competition(row.competition).value,
        discipline=row.discipline,
        existing_files=attachments,
    )


def draft_from_quick(quick: QuickLog, today: dt.date, club: str | None) -> SessionDraft:
    """Today's session at `club` with the quick log's single entry (the weapon's caliber as ammo)."""
    weapon = quick.weapon
    entry = EntryDraft(
        weapon_id=weapon.id,
        weapon_name=weapon.name,
        weapon_caliber=weapon.caliber,
        distance_m=quick.distance_m,
        shot_count=quick.shot_count,
        ammo_caliber=weapon.caliber,
        score=quick.score,
    )
    return SessionDraft(date=today.isoformat(), club=club, entries=[entry], step=Step.SUMMARY.value)


def _time_text(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def session_values(draft: SessionDraft) -> dict[str, Any]:
    """The draft as ShootingSession column values."""
    if draft.date is None or not draft.entries or not all(entry.complete for entry in draft.entries):
        raise ValueError("the draft is not complete")
    return {
        "date": dt.date.fromisoformat(draft.date),
        "club": draft.club,
        "location": draft.location,
        "ammo_brand": draft.ammo_brand,
        "weather": draft.weather,
        "start_time": dt.time.fromisoformat(draft.start_time) if draft.start_time else None,
        "end_time": dt.time.fromisoformat(draft.end_time) if draft.end_time else None,
        "raw_notes": draft.raw_notes,
        "manual_reflection": draft.manual_reflection,
        "competition": Competition(draft.competition),
        "discipline": draft.discipline,
    }


def entry_values(draft: SessionDraft) -> list[dict[str, Any]]:
    """The draft's entries as SessionWeaponEntry column values (with "id" for entries already stored)."""
    return [
        {
            "id": entry.id,
            "weapon_id": entry.weapon_id,
            "distance_m": entry.distance_m,
            "shot_count": entry.shot_count,
            "ammo_caliber": entry.ammo_caliber,
            "score": entry.score,
            "grouping_note": entry.grouping_note,
        }
        for entry in draft.entries
    ]


# --- questions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeaponChoice:
    id: int
    name: str
    caliber: str


@dataclass(frozen=True)
class Facts:
    """What the questions need besides the draft (common weather and disciplines: in the user's language)."""

    today: dt.date
    weapons: tuple[WeaponChoice, ...] = ()
    clubs: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    ammo_brands: tuple[str, ...] = ()
    disciplines: tuple[str, ...] = ()
    common_weather: tuple[str, ...] = ()
    common_disciplines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    """A choice: `value` is the short token the answer carries; shown as `text` (user data) or `key`."""

    value: str
    key: str | None = None
    text: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prompt:
    step: Step
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    columns: int = 2
    summary: tuple[tuple[str, dict[str, Any]], ...] = ()  # lines shown above the question
    current: tuple[str, dict[str, Any]] | None = None  # when editing: the stored value, shown below it


@dataclass(frozen=True)
class Outcome:
    """What follows an answer: ask `step` (unless `ask` is False), after the text `note`; or an action."""

    step: Step
    note: str | None = None
    ask: bool = True
    action: Action | None = None


class StaleChoice(LookupError):
    """A choice that is not (or no longer) among the options: a stale or forged button."""


def _texts(values: Iterable[str], limit: int = 8) -> tuple[Option, ...]:
    """Options showing user data (recent clubs, …); the token is the position, short whatever the text."""
    unique = list(dict.fromkeys(values))[:limit]
    return tuple(Option(value=str(index), text=text) for index, text in enumerate(unique))


def _disciplines(facts: Facts) -> list[str]:
    return list(dict.fromkeys([*facts.disciplines, *facts.common_disciplines]))


def _weapon_options(draft: SessionDraft, facts: Facts) -> tuple[Option, ...]:
    options = [
        Option(value=str(weapon.id), text=f"{weapon.name} ({weapon.caliber})") for weapon in facts.weapons
    ]
    entry = draft.entry
    # A saved entry may use a weapon that has been retired since; it stays choosable for that entry.
    if entry.weapon_id is not None and all(weapon.id != entry.weapon_id for weapon in facts.weapons):
        options.insert(
            0, Option(value=str(entry.weapon_id), text=f"{entry.weapon_name} ({entry.weapon_caliber})")
        )
    return tuple(options)


def _skip(step: Step) -> tuple[Option, ...]:
    return (Option(SKIP, key="log.skip"),) if step in OPTIONAL_STEPS else ()


def prompt(step: Step, draft: SessionDraft, facts: Facts) -> Prompt:
    """The question to ask at `step`: its text key and values, and the options to offer.

    When a field picked in the edit menu has a stored value, the question shows it and offers Keep in
    place of Skip (so an answer left alone is never erased)."""
    question = _prompt(step, draft, facts)
    value = stored_value(step, draft) if draft.editing else None
    if step is Step.SCORE and draft.editing and not _score_fits(draft):  # fewer shots now: type a new one
        return dataclasses.replace(question, options=(), current=("log.current", {"value": value}))
    if value is None:
        return question
    options = tuple(option for option in question.options if option.value != SKIP)
    return dataclasses.replace(
        question,
        options=(*options, Option(KEEP, key=KEEP_KEY)),
        current=("log.current", {"value": value}),
    )


def _score_fits(draft: SessionDraft) -> bool:
    """Whether the entry's stored score is possible for its shot count (at most 10.9 a shot)."""
    entry = draft.entry
    return entry.score is None or entry.score <= max_score(entry.shot_count or 0)


def stored_value(step: Step, draft: SessionDraft) -> object:
    """What the draft holds for `step`'s question, as a value to show (None: nothing stored)."""
    if step in ENTRY_STEPS:
        if draft.current is None or not 0 <= draft.current < len(draft.entries):
            return None
        entry = draft.entry
        if step is Step.WEAPON:
            return f"{entry.weapon_name} ({entry.weapon_caliber})" if entry.weapon_id is not None else None
        if step is Step.DISTANCE:
            return Label("log.metres", {"distance": entry.distance_m}) if entry.distance_m else None
        if step is Step.CALIBER:
            return entry.ammo_caliber
        return getattr(entry, _ENTRY_FIELDS[step])
    if step is Step.DATE:
        return dt.date.fromisoformat(draft.date) if draft.date else None
    if step in (Step.START, Step.END):
        return _time_or_none(getattr(draft, _FIELDS[step]))
    if step is Step.COMPETITION:
        return Label(f"log.competition_{draft.competition}")
    if step in _FIELDS:
        return getattr(draft, _FIELDS[step])
    return None


def _prompt(step: Step, draft: SessionDraft, facts: Facts) -> Prompt:
    options: tuple[Option, ...]
    if step is Step.DATE:
        options = (
            Option("today", key="log.today"),
            Option("yesterday", key="log.yesterday"),
            Option("other", key="log.other_date"),
        )
        return Prompt(step, "log.ask_date", options=options, columns=3)
    if step is Step.CLUB:
        return Prompt(
            step, "log.ask_club" if facts.clubs else "log.ask_club_first", options=_texts(facts.clubs)
        )
    if step is Step.LOCATION:
        return Prompt(step, "log.ask_location", options=(*_texts(facts.locations), *_skip(step)))
    if step in ENTRY_STEPS:
        return _entry_prompt(step, draft, facts)
    if step is Step.MORE:
        options = (Option("add", key="log.add_entry"),) if len(draft.entries) < MAX_ENTRIES else ()
        options = (*options, Option("done", key="log.done"))
        values = {"entries": len(draft.entries), "shots": draft.total_shots}
        return Prompt(step, "log.ask_more", values, options)
    if step is Step.AMMO_BRAND:
        return Prompt(step, "log.ask_ammo_brand", options=(*_texts(facts.ammo_brands), *_skip(step)))
    if step is Step.WEATHER:
        return Prompt(step, "log.ask_weather", options=(*_texts(facts.common_weather), *_skip(step)))
    if step is Step.START:
        return Prompt(step, "log.ask_start", options=_skip(step))
    if step is Step.END:
        return Prompt(step, "log.ask_end", options=_skip(step))
    if step is Step.NOTES:
        return Prompt(step, "log.ask_notes", options=_skip(step))
    if step is Step.REFLECTION:
        return Prompt(step, "log.ask_reflection", options=_skip(step))
    if step is Step.COMPETITION:
        options = tuple(Option(kind.value, key=f"log.competition_{kind.value}") for kind in Competition)
        return Prompt(step, "log.ask_competition", options=(options[1], options[2], options[0]), columns=3)
    if step is Step.DISCIPLINE:
        return Prompt(step, "log.ask_discipline", options=(*_texts(_disciplines(facts), 10), *_skip(step)))
    if step is Step.SUMMARY:
        options = (
            Option(Action.SAVE.value, key="log.save"),
            Option("edit", key="log.edit"),
            Option(Action.CANCEL.value, key="log.cancel"),
        )
        return Prompt(step, "log.ask_save", options=options, columns=3, summary=summary_lines(draft))
    if step is Step.ENTRY:
        options = (
            *(Option(field.value, key=f"log.field_{field.value}") for field in ENTRY_STEPS),
            Option("back", key="log.back_to_summary"),
        )
        entry = {"number": (draft.current or 0) + 1, "weapon": draft.entry.weapon_name or "?"}
        return Prompt(step, "log.ask_entry_field", entry, options, columns=3, summary=summary_lines(draft))
    return _edit_prompt(draft)


def _entry_prompt(step: Step, draft: SessionDraft, facts: Facts) -> Prompt:
    entry = draft.entry
    number = (draft.current or 0) + 1
    if step is Step.WEAPON:
        options = _weapon_options(draft, facts)
        if not options:
            return Prompt(step, "log.no_weapons_now", options=(Option("retry", key="log.retry"),))
        return Prompt(step, "log.ask_weapon", {"number": number}, options)
    if step is Step.DISTANCE:
        options = tuple(
            Option(str(metres), key="log.metres", values={"distance": metres}) for metres in DISTANCES
        )
        return Prompt(step, "log.ask_distance", {"weapon": entry.weapon_name}, options, columns=4)
    if step is Step.SHOTS:
        options = tuple(Option(str(count), text=str(count)) for count in SHOT_COUNTS)
        return Prompt(step, "log.ask_shots", {"maximum": MAX_SHOTS}, options, columns=4)
    if step is Step.CALIBER:
        options = (Option("w", key="log.use_caliber", values={"caliber": entry.weapon_caliber}),)
        return Prompt(step, "log.ask_caliber", options=options)
    if step is Step.SCORE:
        values = {"shots": entry.shot_count, "maximum": max_score(entry.shot_count or 0)}
        return Prompt(step, "log.ask_score", values, _skip(step))
    return Prompt(step, "log.ask_grouping", options=_skip(step))


def _edit_prompt(draft: SessionDraft) -> Prompt:
    options = [Option(step.value, key=f"log.field_{step.value}") for step in EDITABLE_FIELDS[:3]]
    for index, entry in enumerate(draft.entries):
        options.append(
            Option(
                f"e{index}", key="log.field_entry", values={"number": index + 1, "weapon": entry.weapon_name}
            )
        )
        if len(draft.entries) > 1:
            options.append(Option(f"x{index}", key="log.field_remove_entry", values={"number": index + 1}))
    if len(draft.entries) < MAX_ENTRIES:
        options.append(Option("add", key="log.add_entry"))
    options.extend(Option(step.value, key=f"log.field_{step.value}") for step in EDITABLE_FIELDS[3:])
    options.append(Option("back", key="log.back_to_summary"))
    return Prompt(Step.EDIT, "log.ask_edit_field", options=tuple(options), summary=summary_lines(draft))


def max_score(shots: int) -> int:
    return math.floor(shots * MAX_POINTS_PER_SHOT + 1e-9)


# --- answers -----------------------------------------------------------------------------------------


def after(step: Step, draft: SessionDraft) -> Step:
    """The step that follows an answered `step` in the normal flow, or back to the summary when editing
    (to the edit menu after an entry: after its one field picked in its menu, or after all its steps)."""
    if step in ENTRY_STEPS and draft.single:
        if step is Step.WEAPON:  # a new weapon: its caliber too
            return Step.CALIBER
        if step is Step.SHOTS and not _score_fits(draft):  # the stored score is more than these shots allow
            return Step.SCORE
        draft.single = draft.editing = False
        draft.current = None
        return Step.EDIT
    if step in ENTRY_STEPS and step is not Step.GROUPING:
        return ENTRY_STEPS[ENTRY_STEPS.index(step) + 1]
    if step is Step.GROUPING:
        if draft.editing:  # an entry picked (or added) in the edit menu: back to that menu
            draft.editing, draft.current = False, None
            return Step.EDIT
        return Step.MORE
    if step is Step.START:
        return Step.END
    if draft.editing:
        draft.editing = False
        return Step.SUMMARY
    if step is Step.LOCATION:
        draft.start_entry()
        return Step.WEAPON
    return FLOW[FLOW.index(step) + 1]


def answer_choice(step: Step, draft: SessionDraft, token: str, facts: Facts) -> Outcome:
    """Apply a tapped option. Raises `StaleChoice` for a token that is not offered (forged, or stale)."""
    offered = prompt(step, draft, facts)
    option = next((option for option in offered.options if option.value == token), None)
    if option is None:
        raise StaleChoice(token)
    if token == KEEP or (token == SKIP and draft.editing):  # editing: skipping erases nothing
        return Outcome(after(step, draft))
    if token == SKIP:
        _store(step, draft, None)
        return Outcome(after(step, draft))
    if step is Step.DATE:
        return _choose_date(draft, token, facts)
    if step is Step.WEAPON:
        return _choose_weapon(draft, token, facts)
    if step is Step.CALIBER:
        draft.entry.ammo_caliber = draft.entry.weapon_caliber
        return Outcome(after(step, draft))
    if step is Step.MORE:
        return _choose_more(draft, token)
    if step is Step.SUMMARY:
        if token == "edit":
            return Outcome(Step.EDIT)
        return Outcome(Step.SUMMARY, action=Action(token))
    if step is Step.EDIT:
        return _choose_field(draft, token)
    if step is Step.ENTRY:
        if token == "back":
            draft.editing, draft.current = False, None
            return Outcome(Step.EDIT)
        draft.single = True
        return Outcome(Step(token))
    if step in (Step.DISTANCE, Step.SHOTS, Step.COMPETITION):
        _store(step, draft, int(token) if step is not Step.COMPETITION else token)
        return Outcome(after(step, draft))
    _store(step, draft, option.text)
    return Outcome(after(step, draft))


def _choose_date(draft: SessionDraft, token: str, facts: Facts) -> Outcome:
    if token == "other":
        return Outcome(Step.DATE, note="log.type_date", ask=False)
    day = facts.today if token == "today" else facts.today - dt.timedelta(days=1)
    draft.date = day.isoformat()
    return Outcome(after(Step.DATE, draft))


def _choose_weapon(draft: SessionDraft, token: str, facts: Facts) -> Outcome:
    if token == "retry":
        return Outcome(Step.WEAPON)
    weapon_id = int(token)
    entry = draft.entry
    weapon = next((weapon for weapon in facts.weapons if weapon.id == weapon_id), None)
    if weapon is not None:
        _set_weapon(entry, weapon)
    return Outcome(after(Step.WEAPON, draft))


def _set_weapon(entry: EntryDraft, weapon: WeaponChoice) -> None:
    entry.weapon_id, entry.weapon_name, entry.weapon_caliber = weapon.id, weapon.name, weapon.caliber


def _choose_more(draft: SessionDraft, token: str) -> Outcome:
    if token == "add":
        draft.start_entry()
        return Outcome(Step.WEAPON)
    draft.current = None
    if draft.editing:
        draft.editing = False
        return Outcome(Step.SUMMARY)
    return Outcome(Step.AMMO_BRAND)


def _choose_field(draft: SessionDraft, token: str) -> Outcome:
    if token == "back":
        return Outcome(Step.SUMMARY)
    if token == "add":
        draft.editing = True
        draft.start_entry()
        return Outcome(Step.WEAPON)
    if token[0] in "ex" and token[1:].isdigit():
        index = int(token[1:])
        if token[0] == "x":
            del draft.entries[index]
            return Outcome(Step.EDIT)
        draft.editing, draft.current = True, index
        return Outcome(Step.ENTRY)
    draft.editing = True
    return Outcome(Step(token))


def answer_text(step: Step, draft: SessionDraft, text: str, facts: Facts) -> Outcome:
    """Apply a typed answer. Raises `InvalidInput` when it cannot be used; the draft is then unchanged."""
    if step is Step.DATE:
        draft.date = parse_date(text, facts.today).isoformat()
    elif step in (Step.CLUB, Step.LOCATION, Step.AMMO_BRAND):
        _store(step, draft, parse_name(text, maximum=MAX_NAME_LENGTH))
    elif step is Step.DISCIPLINE:
        _store(step, draft, parse_name(text, maximum=MAX_DISCIPLINE_LENGTH))
    elif step is Step.WEATHER:
        _store(step, draft, parse_name(text, maximum=MAX_SHORT_TEXT_LENGTH))
    elif step in ENTRY_STEPS:
        _answer_entry(step, draft, text, facts)
    elif step is Step.START:
        draft.start_time = parse_time(text).strftime("%H:%M")
    elif step is Step.END:
        draft.end_time = _end_time(draft, text)
    elif step in (Step.NOTES, Step.REFLECTION):
        _store(step, draft, parse_note(text))
    else:  # a question answered with buttons only
        return Outcome(step, note="log.use_buttons")
    return Outcome(after(step, draft))


def _answer_entry(step: Step, draft: SessionDraft, text: str, facts: Facts) -> None:
    entry = draft.entry
    if step is Step.WEAPON:
        _set_weapon(entry, match_weapon(text.split(), facts.weapons))
    elif step is Step.DISTANCE:
        entry.distance_m = parse_distance(text)
    elif step is Step.SHOTS:
        entry.shot_count = parse_shots(text)
    elif step is Step.CALIBER:
        entry.ammo_caliber = parse_name(text, maximum=MAX_CALIBER_LENGTH)
    elif step is Step.SCORE:
        entry.score = parse_score(text, entry.shot_count or 0)
    else:
        entry.grouping_note = parse_note(text, maximum=MAX_SHORT_TEXT_LENGTH)


def _end_time(draft: SessionDraft, text: str) -> str:
    end = parse_time(text)
    if draft.start_time and end < dt.time.fromisoformat(draft.start_time):
        raise InvalidInput("log.end_before_start", {"start": draft.start_time, "end": end.strftime("%H:%M")})
    return end.strftime("%H:%M")


_FIELDS = {
    Step.CLUB: "club",
    Step.LOCATION: "location",
    Step.AMMO_BRAND: "ammo_brand",
    Step.WEATHER: "weather",
    Step.START: "start_time",
    Step.END: "end_time",
    Step.NOTES: "raw_notes",
    Step.REFLECTION: "manual_reflection",
    Step.COMPETITION: "competition",
    Step.DISCIPLINE: "discipline",
}
_ENTRY_FIELDS = {
    Step.DISTANCE: "distance_m",
    Step.SHOTS: "shot_count",
    Step.SCORE: "score",
    Step.GROUPING: "grouping_note",
}


def _store(step: Step, draft: SessionDraft, value: object) -> None:
    if step in _ENTRY_FIELDS:
        setattr(draft.entry, _ENTRY_FIELDS[step], value)
    else:
        setattr(draft, _FIELDS[step], value)


def parse_distance(text: str) -> int:
    """`25`, `25m`, `25 m`: metres from 1 to 1000."""
    cleaned = re.sub(r"\s*(m|meter|meters|metre|metres)$", "", text.strip().lower())
    return parse_int(cleaned, minimum=1, maximum=MAX_DISTANCE_M, key="log.bad_distance")


def parse_shots(text: str) -> int:
    return parse_int(text, minimum=1, maximum=MAX_SHOTS, key="log.bad_shots")


def parse_score(text: str, shots: int) -> int:
    """A total score: from 0 to 10.9 points per shot (the most decimal scoring gives)."""
    return parse_int(text, minimum=0, maximum=max_score(shots), key="log.bad_score")


# --- summary -----------------------------------------------------------------------------------------

Line = tuple[str, dict[str, Any]]


def summary_lines(draft: SessionDraft) -> tuple[Line, ...]:
    """The draft as lines of (text key, values); values are raw (str, date, time, Label) for the caller to
    escape and format in the user's language."""
    lines: list[Line] = []
    if draft.date:
        lines.append(("log.line_date", {"date": dt.date.fromisoformat(draft.date)}))
    lines.extend(_optional_lines([("log.line_club", draft.club), ("log.line_location", draft.location)]))
    for number, entry in enumerate(draft.entries, start=1):
        lines.append(
            (
                "log.line_entry",
                {
                    "number": number,
                    "weapon": entry.weapon_name or "?",
                    "distance": entry.distance_m or "?",
                    "shots": entry.shot_count or "?",
                    "caliber": entry.ammo_caliber or "?",
                },
            )
        )
        lines.extend(
            _optional_lines([("log.line_score", entry.score), ("log.line_grouping", entry.grouping_note)])
        )
    if draft.entries:
        lines.append(("log.line_total", {"shots": draft.total_shots}))
    lines.extend(
        _optional_lines(
            [
                ("log.line_ammo_brand", draft.ammo_brand),
                ("log.line_weather", draft.weather),
                ("log.line_start", _time_or_none(draft.start_time)),
                ("log.line_end", _time_or_none(draft.end_time)),
                ("log.line_notes", draft.raw_notes),
                ("log.line_reflection", draft.manual_reflection),
            ]
        )
    )
    if draft.competition != Competition.NONE.value:
        lines.append(("log.line_competition", {"value": Label(f"log.competition_{draft.competition}")}))
    lines.extend(_optional_lines([("log.line_discipline", draft.discipline)]))
    files = draft.existing_files + len(draft.files)
    if files:
        lines.append(("log.line_files", {"count": files}))
    return tuple(lines)


def _optional_lines(pairs: Sequence[tuple[str, object]]) -> list[Line]:
    return [(key, {"value": _clip(value)}) for key, value in pairs if value is not None]


def _clip(value: object) -> object:
    if isinstance(value, str) and len(value) > MAX_SHOWN_TEXT:
        return value[: MAX_SHOWN_TEXT - 1] + "…"
    return value


def _time_or_none(text: str | None) -> dt.time | None:
    return dt.time.fromisoformat(text) if text else None


def overview_line(row: ShootingSession) -> Line:
    """One line of a list of sessions: day, club, weapons, shots (entries and weapons loaded)."""
    weapons = list(dict.fromkeys(entry.weapon.name for entry in row.entries))
    return (
        "sessions.line",
        {
            "date": row.date,
            "club": _clip(row.club) if row.club else Label("sessions.no_club"),
            "weapons": ", ".join(weapons) or "–",
            "shots": sum(entry.shot_count for entry in row.entries),
        },
    )


# --- the quick log -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuickLog:
    weapon: WeaponChoice
    distance_m: int
    shot_count: int
    score: int | None


# A message that is a quick log: `log` followed by something (the /log command's arguments count too).
QUICK_LOG_TEXT = re.compile(r"^\s*log\s+\S", re.IGNORECASE)
_QUICK_PREFIX = re.compile(r"^\s*/?log(?:@\w+)?(?:\s+|$)", re.IGNORECASE)
_DISTANCE_UNITS = r"(?:m|meter|meters|metre|metres)"
_SHOT_UNITS = r"(?:x|shots?|schoten|schot)"
_DISTANCE = re.compile(rf"^(\d+){_DISTANCE_UNITS}$")
_SHOTS = re.compile(rf"^(\d+){_SHOT_UNITS}$")
_UNIT = re.compile(rf"^(?:{_DISTANCE_UNITS}|{_SHOT_UNITS})$")
_NUMBER = re.compile(r"^\d+$")


def _glue(words: list[str]) -> list[str]:
    """Join a number and the unit after it (`25 m`, `50 shots`) into one word."""
    glued: list[str] = []
    for word in words:
        if glued and _NUMBER.match(glued[-1]) and _UNIT.match(word):
            glued[-1] += word
        else:
            glued.append(word)
    return glued


def parse_quick_log(text: str, weapons: Sequence[WeaponChoice]) -> QuickLog:
    """Read `log 25m glock 50 shots 471`: distance, shot count, a score (the number left) and the weapon
    (a word matching one of `weapons`). Raises `InvalidInput` saying what is missing or unclear."""
    if not weapons:
        raise InvalidInput("log.no_weapons")
    match = _QUICK_PREFIX.match(text)
    words = _glue((text[match.end() :] if match else text).lower().split())
    distances = [int(found[1]) for word in words if (found := _DISTANCE.match(word))]
    shots = [int(found[1]) for word in words if (found := _SHOTS.match(word))]
    rest = [word for word in words if not _DISTANCE.match(word) and not _SHOTS.match(word)]
    if len(distances) != 1 or len(shots) != 1:
        raise InvalidInput("log.quick_help")
    weapon = match_weapon([word for word in rest if not _NUMBER.match(word)], weapons)
    numbers = [word for word in rest if _NUMBER.match(word)]
    if len(numbers) > 1:  # a number may be part of the weapon's name (`cz 75`)
        numbers = [number for number in numbers if number not in weapon.name.lower().split()]
    if len(numbers) > 1:
        raise InvalidInput("log.quick_help")
    distance = parse_int(str(distances[0]), minimum=1, maximum=MAX_DISTANCE_M, key="log.bad_distance")
    shot_count = parse_shots(str(shots[0]))
    score = parse_score(numbers[0], shot_count) if numbers else None
    return QuickLog(weapon=weapon, distance_m=distance, shot_count=shot_count, score=score)


def match_weapon(words: Sequence[str], weapons: Sequence[WeaponChoice]) -> WeaponChoice:
    """The one weapon the words name: each word is looked up in the names (case-insensitive, a whole name
    first, else any part of one); words naming nothing are ignored, the others must agree on one weapon.
    Raises `InvalidInput` listing the weapons when none or several match.
    """
    listing = ", ".join(weapon.name for weapon in weapons)
    typed = " ".join(words)[:40]
    matches: list[set[int]] = []
    for word in (word.lower() for word in words if word.strip()):
        exact = {weapon.id for weapon in weapons if weapon.name.lower() == word}
        if found := exact or {weapon.id for weapon in weapons if word in weapon.name.lower()}:
            matches.append(found)
    if not typed.strip():
        raise InvalidInput("log.which_weapon", {"weapons": listing})
    if not matches:
        raise InvalidInput("log.unknown_weapon", {"value": typed, "weapons": listing})
    agreed = set.intersection(*matches) or set.union(*matches)
    if len(agreed) > 1:
        names = ", ".join(weapon.name for weapon in weapons if weapon.id in agreed)
        raise InvalidInput("log.ambiguous_weapon", {"value": typed, "weapons": names})
    return next(weapon for weapon in weapons if weapon.id in agreed)
