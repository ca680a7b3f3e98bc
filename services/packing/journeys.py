"""The journey flow without a chat: its steps, answers, calendar, participants and texts.

A draft is a JSON-ready dict (it is kept in the conversation's user data, which survives a restart). Each
function here takes and returns plain data and raises `InvalidInput` for an answer that cannot be used;
texts are `(catalog key, values)` pairs. The chat layer only turns options into buttons and taps into
answers, so another transport can ask the same questions.

Participants are stored as a list with one entry per person (`["adult", "adult", "child"]`): the column
is a list of participant types, the conditions only test membership, and the counts survive.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.geocoding import MAX_QUERY_LENGTH, Place
from services.packing.checklist import ChecklistItem, Progress
from services.packing.conditions import (
    COLD_UP_TO_CELSIUS,
    RAIN_FROM_PERCENT,
    WARM_FROM_CELSIUS,
    GearProperty,
    Participant,
    WeatherForecast,
    condition_for,
)
from services.packing.generator import CHUNK_SIZE, JourneyRecord, facts_of, plan
from services.texts import Label, Text
from services.validation import InvalidInput, parse_date, parse_name
from services.weather import MANUAL_TEMPERATURES, manual_forecast
from storage import journeys as journey_store
from storage.models import GearJourney

MAX_DAYS_AHEAD = 730  # a journey starts within two years
MAX_JOURNEY_DAYS = 365
MAX_PER_TYPE = 20
MAX_DESTINATION_LENGTH = 120
WEATHER_PROPERTIES = (GearProperty.WARM_WEATHER, GearProperty.COLD_WEATHER, GearProperty.RAIN_EXPECTED)
TEMPERATURES = tuple(MANUAL_TEMPERATURES)  # warm, mild, cold


class Step(enum.StrEnum):
    """The questions of the flow; short values, as they travel in callback data."""

    DESTINATION = "dest"
    START = "s"
    END = "e"
    PEOPLE = "pp"
    TEMPERATURE = "temp"
    RAIN = "rain"


class EditTarget(enum.StrEnum):
    """What the card's Edit changes; each runs its steps of the flow again, then regenerates the list."""

    DESTINATION = "dest"
    DATES = "dates"
    PEOPLE = "people"


_STEPS: dict[EditTarget | None, tuple[Step, ...]] = {
    None: (Step.DESTINATION, Step.START, Step.END, Step.PEOPLE),
    EditTarget.DESTINATION: (Step.DESTINATION,),
    EditTarget.DATES: (Step.START, Step.END),
    EditTarget.PEOPLE: (Step.PEOPLE,),
}


def first_step(edit: EditTarget | None) -> Step:
    return _STEPS[edit][0]


def next_step(step: Step, edit: EditTarget | None) -> Step | None:
    """The question after `step`; None when every answer is in (then the weather, then saving)."""
    steps = _STEPS[edit]
    position = steps.index(step) + 1
    return steps[position] if position < len(steps) else None


def needs_weather(edit: EditTarget | None) -> bool:
    """A new journey, or a new place or dates, needs a new forecast; other participants do not."""
    return edit is not EditTarget.PEOPLE


# --- drafts -------------------------------------------------------------------------------------


def new_draft() -> dict[str, Any]:
    return {
        "journey_id": None,
        "edit": None,
        "destination": None,
        "latitude": None,
        "longitude": None,
        "starts_at": None,
        "ends_at": None,
        "participants": {Participant.ADULT.value: 1, Participant.CHILD.value: 0, Participant.INFANT.value: 0},
        "matches": [],
        "temperature": None,
    }


@dataclass(frozen=True)
class Journey:
    """A journey as the screens show it: plain data, read in a use case's transaction."""

    id: int
    user_id: int
    destination: str
    latitude: float
    longitude: float
    starts_at: dt.date
    ends_at: dt.date
    participants: tuple[str, ...]
    weather: dict[str, Any] | None  # the stored forecast (and the one offered by the daily re-check)

    @classmethod
    def of(cls, journey: GearJourney) -> Journey:
        return cls(
            id=journey.id,
            user_id=journey.user_id,
            destination=journey.destination,
            latitude=float(journey.latitude),
            longitude=float(journey.longitude),
            starts_at=journey.starts_at,
            ends_at=journey.ends_at,
            participants=tuple(journey.participants or ()),
            weather=dict(journey.weather) if journey.weather is not None else None,
        )

    @property
    def forecast(self) -> WeatherForecast | None:
        return WeatherForecast.from_json(self.weather)


def draft_of(journey: Journey, edit: EditTarget) -> dict[str, Any]:
    """A journey's current values as a draft, to change the part `edit` names."""
    return {
        **new_draft(),
        "journey_id": journey.id,
        "edit": edit.value,
        "destination": journey.destination,
        "latitude": float(journey.latitude),
        "longitude": float(journey.longitude),
        "starts_at": journey.starts_at.isoformat(),
        "ends_at": journey.ends_at.isoformat(),
        "participants": counts_of(journey.participants),
    }


def edit_of(draft: Mapping[str, Any]) -> EditTarget | None:
    return EditTarget(draft["edit"]) if draft.get("edit") else None


def starts_of(draft: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(draft["starts_at"])


def ends_of(draft: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(draft["ends_at"])


def journey_values(draft: Mapping[str, Any], forecast: WeatherForecast | None) -> dict[str, Any]:
    """Column values for storage; the forecast only when a new one was fetched or answered."""
    values: dict[str, Any] = {
        "destination": draft["destination"],
        "latitude": Decimal(f"{draft['latitude']:.6f}"),
        "longitude": Decimal(f"{draft['longitude']:.6f}"),
        "starts_at": starts_of(draft),
        "ends_at": ends_of(draft),
        "participants": participants_of(draft["participants"]),
    }
    if forecast is not None:
        values["weather"] = forecast.to_json()
    return values


# --- destination ----------------------------------------------------------------------------------


def read_place_query(text: str) -> str:
    return parse_name(text, maximum=MAX_QUERY_LENGTH)


def with_matches(draft: dict[str, Any], places: Sequence[Place]) -> dict[str, Any]:
    """Remember the places offered as buttons; a tap answers with the index of one of them."""
    matches = [{"label": p.label, "latitude": p.latitude, "longitude": p.longitude} for p in places]
    return {**draft, "matches": matches}


def pick_match(draft: dict[str, Any], token: str) -> dict[str, Any]:
    matches = draft.get("matches") or []
    if not re.fullmatch(r"[0-9]{1,3}", token) or int(token) >= len(matches):  # isdigit() passes "²"
        raise InvalidInput("common.expired_button")
    match = matches[int(token)]
    return with_destination(draft, match["label"], match["latitude"], match["longitude"])


def location_name(latitude: float, longitude: float) -> str:
    return f"📍 {latitude:.2f}, {longitude:.2f}"


def with_location(
    draft: dict[str, Any], latitude: float, longitude: float, title: str | None = None
) -> dict[str, Any]:
    """A shared location (or venue, which has a title): its coordinates, named by the title or themselves."""
    name = " ".join((title or "").split())[:MAX_DESTINATION_LENGTH] or location_name(latitude, longitude)
    return with_destination(draft, name, latitude, longitude)


def with_destination(draft: dict[str, Any], name: str, latitude: float, longitude: float) -> dict[str, Any]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("journeys.bad_coordinates")
    return {**draft, "destination": name, "latitude": latitude, "longitude": longitude, "matches": []}


# --- dates ----------------------------------------------------------------------------------------


def check_start(day: dt.date, today: dt.date) -> dt.date:
    if day < today:
        raise InvalidInput("journeys.start_in_past", {"value": day.isoformat()})
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput("journeys.too_far_ahead", {"value": day.isoformat(), "days": MAX_DAYS_AHEAD})
    return day


def check_end(day: dt.date, starts_at: dt.date) -> dt.date:
    if day < starts_at:
        raise InvalidInput(
            "journeys.end_before_start", {"value": day.isoformat(), "start": starts_at.isoformat()}
        )
    if (day - starts_at).days + 1 > MAX_JOURNEY_DAYS:
        raise InvalidInput("journeys.too_long", {"days": MAX_JOURNEY_DAYS})
    return day


def with_date(draft: dict[str, Any], step: Step, day: dt.date, today: dt.date) -> dict[str, Any]:
    """The draft with its start or end date, checked. A new start after the end clears the end."""
    if step is Step.START:
        check_start(day, today)
        ends_at = draft.get("ends_at")
        keep_end = ends_at is not None and dt.date.fromisoformat(ends_at) >= day
        return {**draft, "starts_at": day.isoformat(), "ends_at": ends_at if keep_end else None}
    check_end(day, starts_of(draft))
    return {**draft, "ends_at": day.isoformat()}


def answer_date(draft: dict[str, Any], step: Step, text: str, today: dt.date) -> dict[str, Any]:
    """A typed date: `21-12`, `21-12-2026`, `2026-12-21`, today…; a day and month mean the next such day."""
    return with_date(draft, step, parse_date(text, today, allow_future=True), today)


def date_range(step: Step, draft: Mapping[str, Any], today: dt.date) -> tuple[dt.date, dt.date]:
    """The days that can be picked at `step`: from today (start) or the start (end), within the limits."""
    if step is Step.START:
        return today, today + dt.timedelta(days=MAX_DAYS_AHEAD)
    starts_at = starts_of(draft)
    return starts_at, starts_at + dt.timedelta(days=MAX_JOURNEY_DAYS - 1)


@dataclass(frozen=True)
class CalendarMonth:
    year: int
    month: int
    weeks: tuple[tuple[dt.date | None, ...], ...]  # Monday first; None: a day of another month
    earliest: dt.date
    latest: dt.date
    previous: str | None  # month tokens (`YYYY-MM`) to go back / forward; None at the limits
    following: str | None

    @property
    def token(self) -> str:
        return _month_token(self.year * 12 + self.month - 1)

    def can_pick(self, day: dt.date) -> bool:
        return self.earliest <= day <= self.latest


_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_token(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def calendar_month(
    step: Step, draft: Mapping[str, Any], today: dt.date, token: str | None = None
) -> CalendarMonth:
    """A month to pick a day from: `token` (a navigation tap) or the month the step starts at.

    A token outside the pickable range (a forged or outdated tap) raises `InvalidInput`.
    """
    earliest, latest = date_range(step, draft, today)
    first, last = _month_index(earliest), _month_index(latest)
    if token is None:
        current = draft.get("starts_at" if step is Step.START else "ends_at")
        shown = max(dt.date.fromisoformat(current), earliest) if current else earliest
        index = _month_index(min(shown, latest))
    else:
        match = _MONTH.fullmatch(token)
        index = int(match[1]) * 12 + int(match[2]) - 1 if match else -1
        if not first <= index <= last:
            raise InvalidInput("common.expired_button")
    year, month = divmod(index, 12)
    weeks = tuple(
        tuple(day if day.month == month + 1 else None for day in week)
        for week in calendar.Calendar(calendar.MONDAY).monthdatescalendar(year, month + 1)
    )
    return CalendarMonth(
        year=year,
        month=month + 1,
        weeks=weeks,
        earliest=earliest,
        latest=latest,
        previous=_month_token(index - 1) if index > first else None,
        following=_month_token(index + 1) if index < last else None,
    )


def answer_day(draft: dict[str, Any], step: Step, token: str, today: dt.date) -> dict[str, Any]:
    """A day tapped on the calendar (`YYYYMMDD`)."""
    try:
        day = dt.datetime.strptime(token, "%Y%m%d").date()
    except ValueError:
        raise InvalidInput("common.expired_button") from None
    return with_date(draft, step, day, today)


def day_token(day: dt.date) -> str:
    return f"{day:%Y%m%d}"


# --- participants ---------------------------------------------------------------------------------


def counts_of(participants: Iterable[str]) -> dict[str, int]:
    """Counts per type from the stored list (one entry per person)."""
    counted = Counter(participants)
    return {kind.value: counted.get(kind.value, 0) for kind in Participant}


def participants_of(counts: Mapping[str, int]) -> list[str]:
    return [kind.value for kind in Participant for _ in range(counts.get(kind.value, 0))]


def change_count(draft: dict[str, Any], token: str) -> dict[str, Any]:
    """`adult:+`, `adult:-`, or `adult:t` (toggle between none and one)."""
    kind, _, change = token.partition(":")
    counts = dict(draft["participants"])
    if kind not in counts or change not in ("+", "-", "t"):
        raise InvalidInput("common.expired_button")
    if change == "+":
        if counts[kind] >= MAX_PER_TYPE:
            raise InvalidInput("journeys.too_many", {"maximum": MAX_PER_TYPE})
        counts[kind] += 1
    elif change == "-":
        counts[kind] = max(0, counts[kind] - 1)
    else:
        counts[kind] = 0 if counts[kind] else 1
    return {**draft, "participants": counts}


def check_participants(draft: Mapping[str, Any]) -> list[str]:
    people = participants_of(draft["participants"])
    if not people:
        raise InvalidInput("journeys.no_participants")
    return people


def participants_texts(participants: Iterable[str]) -> tuple[Label, ...]:
    """A text per type present: "2 × adult", "1 × child" (shown joined)."""
    return tuple(
        Label(f"journeys.people.{kind}", {"count": count})
        for kind, count in counts_of(participants).items()
        if count
    )


# --- weather --------------------------------------------------------------------------------------


def answer_temperature(draft: dict[str, Any], token: str) -> dict[str, Any]:
    if token not in TEMPERATURES:
        raise InvalidInput("common.expired_button")
    return {**draft, "temperature": token}


def answer_rain(draft: Mapping[str, Any], token: str) -> WeatherForecast:
    """The user's own forecast: the temperature they chose and whether they expect rain (`y`/`n`)."""
    if token not in ("y", "n") or draft.get("temperature") not in TEMPERATURES:
        raise InvalidInput("common.expired_button")
    return manual_forecast(draft["temperature"], rain=token == "y")


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def weather_text(forecast: WeatherForecast | None) -> Text:
    """The forecast a list was made with, and where it came from."""
    if forecast is None:
        return "journeys.weather.none", {}
    return (
        f"journeys.weather.{forecast.source.value}",
        {"temp": _number(forecast.average_temp_celsius), "rain": _number(forecast.max_precipitation_chance)},
    )


def reason_text(prop: str, forecast: WeatherForecast | None) -> Label:
    """Why one condition held: the forecast's value against the threshold, or who is coming along."""
    try:
        condition = GearProperty(prop)
    except ValueError:
        return Label("packing.reason.unknown", {"value": prop})
    if condition not in WEATHER_PROPERTIES:
        return Label(f"packing.reason.{prop}")
    if forecast is None:  # a weather item on a list without weather: nothing to compare
        return Label("packing.reason.unknown", {"value": prop})
    return Label(
        f"packing.reason.{prop}",
        {
            "temp": _number(forecast.average_temp_celsius),
            "rain": _number(forecast.max_precipitation_chance),
            "warm": _number(WARM_FROM_CELSIUS),
            "cold": _number(COLD_UP_TO_CELSIUS),
            "wet": _number(RAIN_FROM_PERCENT),
        },
    )


# --- showing journeys -----------------------------------------------------------------------------


def split_upcoming(journeys: Iterable[Journey], today: dt.date) -> tuple[list[Journey], list[Journey]]:
    """(upcoming and under way, by start date; past, most recent first)."""
    journeys = list(journeys)
    upcoming = sorted((j for j in journeys if j.ends_at >= today), key=lambda j: (j.starts_at, j.id))
    past = sorted((j for j in journeys if j.ends_at < today), key=lambda j: (j.starts_at, j.id), reverse=True)
    return upcoming, past


def card(journey: Journey, progress: Progress) -> list[Text]:
    """The journey card: where, when, who, the weather the list was made with, and how far packing is."""
    people = participants_texts(journey.participants)
    return [
        ("journeys.card.title", {"destination": journey.destination}),
        (
            "journeys.card.dates",
            {"start": journey.starts_at, "end": journey.ends_at, "days": facts_of(journey).days},
        ),
        ("journeys.card.people", {"people": people}),
        weather_text(WeatherForecast.from_json(journey.weather)),
        progress_text(progress),
    ]


def progress_text(progress: Progress) -> Text:
    if not progress.total:
        return "journeys.card.empty_list", {}
    return "journeys.card.progress", {
        "departure": progress.departure,
        "returned": progress.returned,
        "total": progress.total,
    }


def checklist_of(rows: Iterable[Any]) -> list[ChecklistItem]:
    """Storage rows (`storage.journeys.checklist_rows`) as checklist items."""
    return [
        ChecklistItem(
            id=row.id,
            name=row.name,
            quantity=row.quantity,
            category=row.category,
            packed_for_departure=bool(row.packed_for_departure),
            packed_for_return=bool(row.packed_for_return),
            reasons=tuple(getattr(row, "reasons", None) or ()),
        )
        for row in rows
    ]


def pdf_file_name(destination: str, starts_at: dt.date) -> str:
    """`aimtrack-paklijst-<destination>-<start>.pdf`, in plain ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", destination).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.casefold()).strip("-")[:40].strip("-") or "journey"
    return f"aimtrack-paklijst-{slug}-{starts_at.isoformat()}.pdf"


# --- the daily re-check ---------------------------------------------------------------------------


def flips(old: WeatherForecast | None, new: WeatherForecast, journey: Journey) -> dict[GearProperty, bool]:
    """The weather conditions whose outcome differs under `new`, each with whether it holds now."""
    before = replace(facts_of(journey), forecast=old)
    after = replace(before, forecast=new)
    changed: dict[GearProperty, bool] = {}
    for prop in WEATHER_PROPERTIES:
        now = condition_for(prop).should_be_included(after)
        if now != condition_for(prop).should_be_included(before):
            changed[prop] = now
    return changed


OFFERED_KEY = "offered"


def offered(journey: Journey) -> WeatherForecast | None:
    """The forecast the user was last told about and has not applied (kept beside the stored forecast)."""
    return WeatherForecast.from_json((journey.weather or {}).get(OFFERED_KEY))


def with_offered(weather: Mapping[str, Any] | None, forecast: WeatherForecast) -> dict[str, Any]:
    return {**(weather or {}), OFFERED_KEY: forecast.to_json()}


@dataclass(frozen=True)
class ListChanges:
    added: tuple[str, ...]
    removed: tuple[str, ...]


async def preview_changes(
    session: AsyncSession, journey: JourneyRecord, forecast: WeatherForecast
) -> ListChanges:
    """What regenerating the list with `forecast` would add to and remove from the current list."""
    facts = replace(facts_of(journey), forecast=forecast)
    current = await journey_store.journey_item_names(session, journey.user_id, journey.id)
    planned: dict[int, str] = {}
    async for chunk in journey_store.iter_items(session, journey.user_id, CHUNK_SIZE):
        names = {item.id: item.name for item in chunk}
        planned.update((decision.item_id, names[decision.item_id]) for decision in plan(chunk, facts))
    return ListChanges(
        added=tuple(sorted((planned[i] for i in planned.keys() - current.keys()), key=str.casefold)),
        removed=tuple(sorted((current[i] for i in current.keys() - planned.keys()), key=str.casefold)),
    )
