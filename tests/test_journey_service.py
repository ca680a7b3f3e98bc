"""The journey flow (services/packing/journeys.py) and the journey queries (storage.journeys)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services import checklist, journeys
from services.checklist import Side
from services.geocoding import Place
from services.packing.conditions import GearProperty, WeatherForecast, WeatherSource
from services.packing.generator import facts_of, regenerate
from services.packing.journeys import (
    MAX_JOURNEY_DAYS,
    MAX_PER_TYPE,
    EditTarget,
    Step,
    answer_date,
    answer_day,
    answer_rain,
    answer_temperature,
    calendar_month,
    change_count,
    check_participants,
    counts_of,
    day_token,
    first_step,
    flips,
    journey_values,
    needs_weather,
    new_draft,
    next_step,
    offered,
    participants_of,
    pdf_file_name,
    pick_match,
    preview_changes,
    reason_text,
    split_upcoming,
    weather_text,
    with_location,
    with_matches,
    with_offered,
)
from services.texts import Label
from services.unit_of_work import UnitOfWork
from services.validation import InvalidInput
from storage.db import Database
from storage.journeys import (
    checklist_rows,
    create_journey,
    delete_journey,
    journey_item,
    journey_progress,
    list_journeys,
    toggle_packed,
    update_journey,
)
from storage.models import GearCategory, GearItem, GearJourney, GearJourneyItem, User

TODAY = dt.date(2026, 11, 22)
MILD = WeatherForecast(15, 0, WeatherSource.CLIMATE)
COLD_AND_WET = WeatherForecast(3.3, 55, WeatherSource.FORECAST)


def draft_with_dates(start: dt.date, end: dt.date | None = None) -> dict:
    return {**new_draft(), "starts_at": start.isoformat(), "ends_at": end.isoformat() if end else None}


# --- steps ------------------------------------------------------------------------------------------


def test_a_new_journey_asks_everything_and_an_edit_only_its_part() -> None:
    assert first_step(None) is Step.DESTINATION
    asked, step = [], first_step(None)
    while step is not None:
        asked.append(step)
        step = next_step(step, None)
    assert asked == [Step.DESTINATION, Step.START, Step.END, Step.PEOPLE]
    assert first_step(EditTarget.DATES) is Step.START and next_step(Step.START, EditTarget.DATES) is Step.END
    assert next_step(Step.END, EditTarget.DATES) is None
    assert next_step(Step.DESTINATION, EditTarget.DESTINATION) is None
    assert needs_weather(None) and needs_weather(EditTarget.DATES) and needs_weather(EditTarget.DESTINATION)
    assert not needs_weather(EditTarget.PEOPLE)


# --- destination ------------------------------------------------------------------------------------


def test_a_match_is_picked_by_its_index_and_a_forged_one_refused() -> None:
    places = [Place("Valencia", "Spain", 39.47, -0.38), Place("Valencia", "Venezuela", 10.16, -68.0)]
    draft = with_matches(new_draft(), places)
    picked = pick_match(draft, "1")
    assert (picked["destination"], picked["latitude"], picked["longitude"]) == (
        "Valencia, Venezuela",
        10.16,
        -68.0,
    )
    assert picked["matches"] == []
    for token in ("2", "-1", "x", ""):
        with pytest.raises(InvalidInput):
            pick_match(draft, token)


def test_a_location_is_named_by_the_venue_or_its_coordinates() -> None:
    assert with_location(new_draft(), 52.3702, 4.8952)["destination"] == "📍 52.37, 4.90"
    assert (
        with_location(new_draft(), 52.39, 4.6, "  Camping\nDe Lakens ")["destination"] == "Camping De Lakens"
    )
    assert len(with_location(new_draft(), 0, 0, "x" * 500)["destination"]) == 120
    with pytest.raises(InvalidInput) as refused:
        with_location(new_draft(), 91, 0)
    assert refused.value.key == "journeys.bad_coordinates"


# --- dates ------------------------------------------------------------------------------------------


def test_start_dates_are_typed_in_many_ways_and_never_in_the_past() -> None:
    draft = new_draft()
    assert answer_date(draft, Step.START, "today", TODAY)["starts_at"] == "2026-11-22"
    assert answer_date(draft, Step.START, "21-12", TODAY)["starts_at"] == "2026-12-21"
    assert answer_date(draft, Step.START, "21-11", TODAY)["starts_at"] == "2027-11-21", (
        "day-month: the next one"
    )
    for text, key in [
        ("yesterday", "journeys.start_in_past"),
        ("2026-11-21", "journeys.start_in_past"),
        ("2030-01-01", "journeys.too_far_ahead"),
        ("someday", "input.bad_date"),
        ("31-02-2027", "input.no_such_date"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            answer_date(draft, Step.START, text, TODAY)
        assert refused.value.key == key, text


def test_the_end_is_on_or_after_the_start_and_within_a_year() -> None:
    draft = draft_with_dates(dt.date(2026, 12, 28))
    assert answer_date(draft, Step.END, "2026-12-28", TODAY)["ends_at"] == "2026-12-28", "a one-day trip"
    assert answer_date(draft, Step.END, "3-1", TODAY)["ends_at"] == "2027-01-03", "over New Year"
    with pytest.raises(InvalidInput) as refused:
        answer_date(draft, Step.END, "2026-12-27", TODAY)
    assert refused.value.key == "journeys.end_before_start"
    last = dt.date(2026, 12, 28) + dt.timedelta(days=MAX_JOURNEY_DAYS - 1)
    assert answer_date(draft, Step.END, last.isoformat(), TODAY)["ends_at"] == last.isoformat()
    with pytest.raises(InvalidInput) as refused:
        answer_date(draft, Step.END, (last + dt.timedelta(days=1)).isoformat(), TODAY)
    assert refused.value.key == "journeys.too_long"


def test_a_new_start_after_the_end_clears_the_end() -> None:
    draft = draft_with_dates(dt.date(2026, 12, 1), dt.date(2026, 12, 3))
    assert answer_date(draft, Step.START, "2026-12-02", TODAY)["ends_at"] == "2026-12-03"
    assert answer_date(draft, Step.START, "2026-12-04", TODAY)["ends_at"] is None


def test_the_calendar_month_offers_only_days_that_can_be_picked() -> None:
    month = calendar_month(Step.START, new_draft(), TODAY)
    assert (month.year, month.month, month.token) == (2026, 11, "2026-11")
    assert month.weeks[0] == (None, None, None, None, None, None, dt.date(2026, 11, 1)), "Monday first"
    assert all(len(week) == 7 for week in month.weeks)
    assert not month.can_pick(dt.date(2026, 11, 21)) and month.can_pick(TODAY)
    assert month.previous is None and month.following == "2026-12"
    assert len(f"jf:day:{Step.START}:{day_token(TODAY)}".encode()) < 64

    december = calendar_month(Step.START, new_draft(), TODAY, "2026-12")
    assert december.previous == "2026-11" and december.following == "2027-01"
    for forged in ("2026-10", "2029-01", "2026-13", "nonsense"):
        with pytest.raises(InvalidInput):
            calendar_month(Step.START, new_draft(), TODAY, forged)

    end = calendar_month(Step.END, draft_with_dates(dt.date(2027, 3, 30)), TODAY)
    assert (end.year, end.month, end.previous) == (2027, 3, None), "the end's calendar opens at the start"
    assert not end.can_pick(dt.date(2027, 3, 29)) and end.can_pick(dt.date(2027, 3, 30))


def test_a_tapped_day_is_checked_like_a_typed_one() -> None:
    draft = draft_with_dates(dt.date(2026, 12, 5))
    assert answer_day(draft, Step.END, "20261207", TODAY)["ends_at"] == "2026-12-07"
    for token in ("20261204", "2026120", "nonsense", "20261232"):
        with pytest.raises(InvalidInput):
            answer_day(draft, Step.END, token, TODAY)


# --- participants -----------------------------------------------------------------------------------


def test_participants_are_counted_with_plus_minus_and_toggle() -> None:
    draft = new_draft()
    assert draft["participants"] == {"adult": 1, "child": 0, "infant": 0}
    draft = change_count(change_count(draft, "adult:+"), "child:t")
    assert draft["participants"] == {"adult": 2, "child": 1, "infant": 0}
    assert change_count(draft, "child:t")["participants"]["child"] == 0
    assert change_count(draft, "infant:-")["participants"]["infant"] == 0, "never below zero"
    for forged in ("pet:+", "adult:*", "adult", ""):
        with pytest.raises(InvalidInput):
            change_count(draft, forged)
    crowded = {**draft, "participants": {"adult": MAX_PER_TYPE, "child": 0, "infant": 0}}
    with pytest.raises(InvalidInput) as refused:
        change_count(crowded, "adult:+")
    assert refused.value.key == "journeys.too_many"


def test_at_least_one_participant() -> None:
    nobody = change_count(new_draft(), "adult:-")
    with pytest.raises(InvalidInput) as refused:
        check_participants(nobody)
    assert refused.value.key == "journeys.no_participants"
    assert check_participants(change_count(nobody, "infant:+")) == ["infant"]


def test_participants_are_stored_one_entry_per_person_and_conditions_still_hold() -> None:
    stored = participants_of({"adult": 2, "child": 1, "infant": 0})
    assert stored == ["adult", "adult", "child"]
    assert counts_of(stored) == {"adult": 2, "child": 1, "infant": 0}
    journey = GearJourney(
        starts_at=TODAY, ends_at=TODAY, participants=stored, weather=None, latitude=0, longitude=0
    )
    facts = facts_of(journey)
    assert {p.value for p in facts.participants} == {"adult", "child"}


def test_journey_values_round_the_coordinates_and_keep_the_forecast_only_when_new() -> None:
    draft = {
        **draft_with_dates(dt.date(2026, 12, 1), dt.date(2026, 12, 3)),
        "destination": "Oslo, Norway",
        "latitude": 59.912731234,
        "longitude": 10.74609,
    }
    values = journey_values(draft, None)
    assert values["latitude"] == Decimal("59.912731") and "weather" not in values
    assert values["participants"] == ["adult"] and values["ends_at"] == dt.date(2026, 12, 3)
    assert journey_values(draft, MILD)["weather"]["source"] == "climate"


# --- weather ----------------------------------------------------------------------------------------


def test_the_users_answer_is_a_forecast_of_their_own() -> None:
    draft = answer_temperature(new_draft(), "cold")
    forecast = answer_rain(draft, "y")
    assert forecast.source is WeatherSource.USER
    assert forecast.average_temp_celsius <= 10 and forecast.max_precipitation_chance >= 40
    assert answer_rain(answer_temperature(new_draft(), "warm"), "n").max_precipitation_chance == 0
    with pytest.raises(InvalidInput):
        answer_temperature(new_draft(), "scorching")
    with pytest.raises(InvalidInput):
        answer_rain(new_draft(), "y")  # no temperature yet
    with pytest.raises(InvalidInput):
        answer_rain(draft, "maybe")


def test_weather_and_reason_texts_carry_the_numbers() -> None:
    assert weather_text(COLD_AND_WET) == ("journeys.weather.forecast", {"temp": "3.3", "rain": "55"})
    assert weather_text(None) == ("journeys.weather.none", {})
    rain = reason_text("rain-expected", COLD_AND_WET)
    assert rain.key == "packing.reason.rain-expected" and (rain.values["rain"], rain.values["wet"]) == (
        "55",
        "40",
    )
    assert reason_text("child-specific", None).key == "packing.reason.child-specific"
    assert reason_text("no-such-thing", COLD_AND_WET) == Label(
        "packing.reason.unknown", {"value": "no-such-thing"}
    )


def test_pdf_file_names_are_plain() -> None:
    day = dt.date(2026, 12, 1)
    assert pdf_file_name("São Paulo, Brazil", day) == "aimtrack-paklijst-sao-paulo-brazil-2026-12-01.pdf"
    assert pdf_file_name("📍 52.37, 4.89", day) == "aimtrack-paklijst-52-37-4-89-2026-12-01.pdf"
    assert pdf_file_name("../../etc/passwd", day) == "aimtrack-paklijst-etc-passwd-2026-12-01.pdf"
    assert pdf_file_name("東京", day) == "aimtrack-paklijst-journey-2026-12-01.pdf"
    assert len(pdf_file_name("x" * 300, day)) < 80


def test_journeys_are_upcoming_by_start_then_past_most_recent_first() -> None:
    def journey(number: int, start: int, end: int) -> GearJourney:
        return GearJourney(
            id=number, starts_at=TODAY + dt.timedelta(days=start), ends_at=TODAY + dt.timedelta(days=end)
        )

    upcoming, past = split_upcoming(
        [journey(1, 10, 12), journey(2, -30, -28), journey(3, -2, 0), journey(4, -10, -5), journey(5, 1, 1)],
        TODAY,
    )
    assert [j.id for j in upcoming] == [3, 5, 1], "a journey under way is still upcoming"
    assert [j.id for j in past] == [4, 2]


# --- the daily re-check -----------------------------------------------------------------------------


def test_flips_name_the_weather_conditions_that_change() -> None:
    journey = GearJourney(starts_at=TODAY, ends_at=TODAY, participants=["adult"], latitude=0, longitude=0)
    assert flips(MILD, COLD_AND_WET, journey) == {
        GearProperty.COLD_WEATHER: True,
        GearProperty.RAIN_EXPECTED: True,
    }
    assert flips(COLD_AND_WET, WeatherForecast(25, 10, WeatherSource.FORECAST), journey) == {
        GearProperty.WARM_WEATHER: True,
        GearProperty.COLD_WEATHER: False,
        GearProperty.RAIN_EXPECTED: False,
    }
    assert flips(MILD, WeatherForecast(16, 39, WeatherSource.FORECAST), journey) == {}
    assert flips(None, COLD_AND_WET, journey) == {
        GearProperty.COLD_WEATHER: True,
        GearProperty.RAIN_EXPECTED: True,
    }


def test_an_offered_forecast_is_kept_beside_the_stored_one() -> None:
    weather = with_offered(MILD.to_json(), COLD_AND_WET)
    journey = GearJourney(weather=weather)
    assert WeatherForecast.from_json(weather) == MILD, "the list's forecast is unchanged"
    assert offered(journey) == COLD_AND_WET
    assert offered(GearJourney(weather=MILD.to_json())) is None


# --- storage ----------------------------------------------------------------------------------------


async def _locker(db: Database, user_id: int) -> None:
    async with db.session() as session:
        session.add(User(id=user_id))
        await session.flush()
        clothing = GearCategory(user_id=user_id, name="Clothing")
        session.add_all(
            [
                GearItem(user_id=user_id, name="Socks", category=clothing, quantity_per_day=1),
                GearItem(
                    user_id=user_id, name="Thermal layers", category=clothing, properties=["cold-weather"]
                ),
                GearItem(user_id=user_id, name="Rain jacket", properties=["rain-expected"]),
                GearItem(user_id=user_id, name="Sunscreen", properties=["warm-weather"]),
            ]
        )


async def _journey(db: Database, user_id: int, weather: WeatherForecast, *, start: int = 3) -> int:
    async with db.session() as session:
        journey = await create_journey(
            session,
            user_id,
            destination="Oslo, Norway",
            latitude=Decimal("59.91"),
            longitude=Decimal("10.75"),
            starts_at=TODAY + dt.timedelta(days=start),
            ends_at=TODAY + dt.timedelta(days=start + 1),
            participants=["adult"],
            weather=weather.to_json(),
            id=666,  # not a column the caller may set: ignored
        )
        await regenerate(session, journey)
        assert journey.id != 666
        return journey.id


async def test_toggling_is_scoped_to_the_users_journeys(db: Database) -> None:
    await _locker(db, 1)
    await _locker(db, 2)
    mine, theirs = await _journey(db, 1, MILD), await _journey(db, 2, MILD)
    async with db.session() as session:
        [line] = [row for row in await checklist_rows(session, 1, mine) if row.name == "Socks"]
        [their_line] = await checklist_rows(session, 2, theirs)
        assert await toggle_packed(session, 1, line.id, "d") == mine
        assert await toggle_packed(session, 1, their_line.id, "d") is None
        assert await toggle_packed(session, 1, 999_999, "r") is None
        assert await journey_progress(session, 1, mine) == (1, 0, 1)
        assert await journey_progress(session, 1, theirs) == (0, 0, 0), "another user's list counts as empty"
        assert await checklist_rows(session, 1, theirs) == []
        assert await journey_item(session, 1, their_line.id) is None
    async with db.session() as session:
        assert (await session.get(GearJourneyItem, their_line.id)).packed_for_departure is False
        assert await toggle_packed(session, 1, line.id, "d") == mine
        assert (await session.get(GearJourneyItem, line.id)).packed_for_departure is False


async def test_checklist_rows_carry_category_names_and_reasons(db: Database) -> None:
    await _locker(db, 1)
    journey_id = await _journey(db, 1, COLD_AND_WET)
    async with db.session() as session:
        rows = {row.name: row for row in await checklist_rows(session, 1, journey_id, reasons=True)}
        line = await journey_item(session, 1, rows["Rain jacket"].id)
    assert set(rows) == {"Socks", "Thermal layers", "Rain jacket"}
    assert rows["Socks"].category == "Clothing" and rows["Socks"].quantity == 2
    assert rows["Rain jacket"].category is None and rows["Rain jacket"].reasons == ["rain-expected"]
    assert line.name == "Rain jacket" and line.weather["source"] == "forecast"


async def test_update_list_and_delete_are_scoped_and_delete_cascades(db: Database) -> None:
    await _locker(db, 1)
    await _locker(db, 2)
    later, sooner = await _journey(db, 1, MILD, start=30), await _journey(db, 1, MILD, start=2)
    theirs = await _journey(db, 2, MILD)
    async with db.session() as session:
        assert [j.id for j in await list_journeys(session, 1)] == [sooner, later]
        assert await update_journey(session, 1, theirs, destination="Mine now") is None
        updated = await update_journey(session, 1, sooner, destination="Bergen, Norway", id=999)
        assert updated.destination == "Bergen, Norway" and updated.id == sooner
        assert not await delete_journey(session, 1, theirs)
        assert await delete_journey(session, 1, later)
    async with db.session() as session:
        assert await checklist_rows(session, 1, later) == []
        assert [j.id for j in await list_journeys(session, 2)] == [theirs]


async def test_preview_changes_compares_the_list_with_a_new_forecast(db: Database) -> None:
    await _locker(db, 1)
    journey_id = await _journey(db, 1, MILD)
    async with db.session() as session:
        journey = await session.get_one(GearJourney, journey_id)
        changes = await preview_changes(session, journey, COLD_AND_WET)
        same = await preview_changes(session, journey, MILD)
        warm = await preview_changes(session, journey, WeatherForecast(25, 0, WeatherSource.FORECAST))
    assert (changes.added, changes.removed) == (("Rain jacket", "Thermal layers"), ())
    assert (same.added, same.removed) == ((), ())
    assert (warm.added, warm.removed) == (("Sunscreen",), ())


# --- use cases --------------------------------------------------------------------------------------


async def test_a_tap_counts_only_on_the_users_own_line_as_they_saw_it(db: Database) -> None:
    """One transaction flips and reads back; another user's line, or a line that is not the one the tapped
    row showed (a list made again), is refused and nothing stays written."""
    await _locker(db, 1)
    await _locker(db, 2)
    mine, theirs = await _journey(db, 1, MILD), await _journey(db, 2, MILD)
    uow = UnitOfWork(db)
    async with db.session() as session:
        [line] = [row for row in await checklist_rows(session, 1, mine) if row.name == "Socks"]
        [their_line] = await checklist_rows(session, 2, theirs)
    view = await checklist.toggle_packed(uow, 1, line.id, Side.DEPARTURE)
    assert view is not None and view.journey.id == mine
    assert [item.packed_for_departure for item in view.items if item.id == line.id] == [True]
    assert await checklist.toggle_packed(uow, 1, their_line.id, Side.DEPARTURE) is None
    assert await checklist.toggle_packed(uow, 1, line.id, Side.RETURN, seen=lambda item: False) is None
    async with db.session() as session:
        assert (await session.get(GearJourneyItem, their_line.id)).packed_for_departure is False
        socks = await session.get(GearJourneyItem, line.id)
        assert (socks.packed_for_departure, socks.packed_for_return) == (True, False), "rolled back"


async def test_saving_a_journey_makes_its_list_again_and_is_scoped(db: Database) -> None:
    await _locker(db, 1)
    await _locker(db, 2)
    mine, theirs = await _journey(db, 1, MILD), await _journey(db, 2, MILD)
    uow = UnitOfWork(db)
    saved = await journeys.save_journey(uow, 1, mine, {"weather": COLD_AND_WET.to_json()})
    assert saved is not None and saved.forecast == COLD_AND_WET
    view = await checklist.checklist(uow, 1, mine)
    assert {item.name for item in view.items} == {"Socks", "Thermal layers", "Rain jacket"}
    assert await journeys.save_journey(uow, 1, theirs, {"destination": "Mine now"}) is None
    assert (await journeys.get_journey(uow, 2, theirs)).destination == "Oslo, Norway"
    assert await journeys.delete_journey(uow, 1, theirs) is None
    assert await checklist.checklist(uow, 1, theirs) is None
