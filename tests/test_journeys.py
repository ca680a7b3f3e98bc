"""End to end: /journey and /journeys through the emulator, with Open-Meteo on loopback.

Dates are relative to today (the forecast fake's days are moved to start today), so these tests keep
passing on any day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from conversations.journey import FORM
from core.settings import WeatherProvider
from services.geocoding import OfflineGazetteer
from services.packing.generator import regenerate
from services.packing.journeys import new_draft
from services.preferences import local_now
from services.weather import OpenMeteo
from storage.db import Database
from storage.models import GearCategory, GearItem, GearJourney, GearJourneyItem, User
from tests.conftest import ALICE, BOB, StartBot
from tests.fakes.open_meteo import FakeOpenMeteo

TODAY = local_now(None).date()  # the bot's "today" for users without a time zone of their own
GAZETTEER = OfflineGazetteer()  # its index is built once for the whole run

# (name, category, properties, quantity per day, quantity)
LOCKER: list[tuple[str, str | None, list[str] | None, float, int]] = [
    ("Passport", "Documents", None, 0, 1),
    ("Socks", "Clothing", None, 1, 1),
    ("Thermal layers", "Clothing", ["cold-weather"], 0, 2),
    ("Sunscreen", "Toiletries", ["warm-weather"], 0, 1),
    ("Rain jacket", None, ["rain-expected"], 0, 1),
    ("Colouring book", None, ["child-specific"], 0, 1),
]


@pytest.fixture(name="gear_bot")
async def gear_bot_fixture(start_bot: StartBot, open_meteo: FakeOpenMeteo) -> AimTrackApplication:
    application = await start_bot()
    await application.runtime.weather.client.aclose()
    application.runtime.weather = OpenMeteo(
        httpx.AsyncClient(timeout=5), forecast_url=open_meteo.forecast_url, archive_url=open_meteo.archive_url
    )
    application.runtime.geocoder = GAZETTEER
    return application


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def data_of(message: MessageView, label: str) -> str:
    return next(data for row in message.buttons for text, data in row if text == label)


async def _ensure_user(session: AsyncSession, user_id: int) -> None:
    if await session.get(User, user_id) is None:
        session.add(User(id=user_id))
        await session.flush()


async def seed_locker(
    db: Database, user_id: int, items: Sequence[tuple[str, str | None, list[str] | None, float, int]] = LOCKER
) -> None:
    async with db.session() as session:
        await _ensure_user(session, user_id)
        categories: dict[str, GearCategory] = {}
        for name, category, properties, per_day, quantity in items:
            if category and category not in categories:
                categories[category] = GearCategory(user_id=user_id, name=category)
                session.add(categories[category])
            session.add(
                GearItem(
                    user_id=user_id,
                    name=name,
                    category=categories.get(category) if category else None,
                    properties=properties,
                    quantity_per_day=per_day,
                    quantity=quantity,
                )
            )


async def seed_journey(
    db: Database,
    user_id: int,
    *,
    destination: str = "Oslo, Norway",
    starts_in: int = 3,
    days: int = 3,
    weather: dict | None = None,
    participants: Sequence[str] = ("adult",),
) -> int:
    """A journey with its generated list, written as the form would."""
    async with db.session() as session:
        await _ensure_user(session, user_id)
        journey = GearJourney(
            user_id=user_id,
            destination=destination,
            latitude=Decimal("59.91"),
            longitude=Decimal("10.75"),
            starts_at=TODAY + dt.timedelta(days=starts_in),
            ends_at=TODAY + dt.timedelta(days=starts_in + days - 1),
            participants=list(participants),
            weather=weather,
        )
        session.add(journey)
        await session.flush()
        await regenerate(session, journey)
        return journey.id


async def journeys_of(db: Database, user_id: int) -> list[GearJourney]:
    async with db.session() as session:
        return list(await session.scalars(select(GearJourney).where(GearJourney.user_id == user_id)))


async def list_items(db: Database, journey_id: int) -> dict[str, GearJourneyItem]:
    async with db.session() as session:
        rows = await session.execute(
            select(GearItem.name, GearJourneyItem)
            .join(GearItem, GearItem.id == GearJourneyItem.item_id)
            .where(GearJourneyItem.journey_id == journey_id)
        )
        return {name: item for name, item in rows}


async def count_rows(db: Database, model: type) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def create_by_location(
    user: EmulatedUser,
    *,
    starts_in: int = 3,
    days: int = 3,
    latitude: float = 59.91,
    longitude: float = 10.75,
) -> MessageView:
    """/journey with a shared location and typed dates, one adult; returns the packing list message."""
    await user.ask("/journey")
    await user.send_location(latitude, longitude)
    await user.next_message()
    start = TODAY + dt.timedelta(days=starts_in)
    await user.ask(start.isoformat())
    people = await user.ask((start + dt.timedelta(days=days - 1)).isoformat())
    await user.tap(people, "✅ Done")
    saved = await user.next_edit()
    assert "is saved" in saved.text, saved.text
    return await user.next_message()


async def test_a_journey_by_typed_place_with_the_forecast(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, open_meteo: FakeOpenMeteo
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    assert "Where are you going?" in (await alice.ask("/journey")).text

    assert "couldn't find “Xyzzyville”" in (await alice.ask("Xyzzyville")).text
    choices = await alice.ask("Oslo")
    assert labels(choices) == ["Oslo, Norway"]
    await alice.tap(choices, "Oslo, Norway")
    start_question = await alice.next_edit()
    assert "Destination: Oslo, Norway" in start_question.text and "When do you leave?" in start_question.text

    # Dates: unreadable, in the past, then a good one; the end before the start, then a good one.
    assert "can't read “someday”" in (await alice.ask("someday")).text
    yesterday = TODAY - dt.timedelta(days=1)
    assert "has already passed" in (await alice.ask(yesterday.isoformat())).text
    start = TODAY + dt.timedelta(days=2)
    end_question = await alice.ask(start.isoformat())
    assert "when do you come back?" in end_question.text
    assert "can't come back" in (await alice.ask((start - dt.timedelta(days=1)).isoformat())).text
    people = await alice.ask((start + dt.timedelta(days=2)).isoformat())
    assert "Who is coming along?" in people.text
    assert labels(people)[:3] == ["−", "👤 Adults: 1", "+"]

    # Zero participants are refused; then one adult and one child.
    await alice.tap(people, "−")
    people = await alice.next_edit()
    await alice.tap(people, "✅ Done")
    await emulator.settle()
    assert alice.callback_answers[-1]["text"] == "Somebody has to go: add at least one person."
    await alice.tap(people, "+")
    people = await alice.next_edit()
    await alice.tap(people, "🧒 Children: 0")
    people = await alice.next_edit()
    assert "🧒 Children: 1" in labels(people)
    await alice.tap(people, "✅ Done")
    assert "is saved" in (await alice.next_edit()).text
    packing = await alice.next_message()

    [journey] = await journeys_of(db, ALICE)
    assert journey.destination == "Oslo, Norway" and float(journey.latitude) == pytest.approx(59.91, abs=0.01)
    assert (journey.starts_at, journey.ends_at) == (start, start + dt.timedelta(days=2))
    assert journey.participants == ["adult", "child"]
    # Days 2–4 of the stored forecast: 3.3, 3.5, 3.4 °C; 70, 55, 20 %.
    assert journey.weather == {
        "average_temp_celsius": 3.4,
        "max_precipitation_chance": 70.0,
        "source": "forecast",
    }
    assert any(kind == "forecast" for kind, _ in open_meteo.requests)

    items = await list_items(db, journey.id)
    assert set(items) == {"Passport", "Socks", "Thermal layers", "Rain jacket", "Colouring book"}
    assert items["Socks"].quantity == 3 and items["Thermal layers"].quantity == 2
    assert items["Rain jacket"].reasons == ["rain-expected"]
    assert "Oslo, Norway" in packing.text and "Departure 0/5 · Return 0/5" in packing.text
    assert labels(packing)[:4] == ["— Clothing —", "Socks × 3", "☐ departure", "☐ return"]
    assert labels(packing)[-1] == "❓ Why?"


async def test_a_journey_by_shared_location_with_calendar_dates(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, open_meteo: FakeOpenMeteo
) -> None:
    await seed_locker(db, ALICE)
    # The end date lies beyond the forecast's 16 days on some days of the month and not on others: without
    # weather from the fake, the flow is the same on every day the suite runs.
    open_meteo.failing = True
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/journey")
    await alice.send_location(52.3702, 4.8952)
    start_question = await alice.next_message()
    assert "Destination: 📍 52.37, 4.90" in start_question.text
    assert all(len(data.encode()) <= 64 for row in start_question.buttons for _, data in row)

    # Days before today cannot be picked; today can. The end calendar opens at the start's month.
    assert str(TODAY.day) in labels(start_question)
    await alice.tap(start_question, str(TODAY.day))
    end_question = await alice.next_edit()
    assert "when do you come back?" in end_question.text
    await alice.tap(end_question, "▶")
    next_month = await alice.next_edit()
    await alice.tap(next_month, "2")
    people = await alice.next_edit()
    await alice.tap(people, "✅ Done")
    await alice.tap(await alice.next_edit(), "🌤 Mild")
    await alice.tap(await alice.next_edit(), "🌧 Yes")
    assert "is saved" in (await alice.next_edit()).text
    await alice.next_message()

    [journey] = await journeys_of(db, ALICE)
    following = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=2)
    assert (journey.starts_at, journey.ends_at) == (TODAY, following)
    assert journey.destination == "📍 52.37, 4.90"
    assert journey.participants == ["adult"]


async def test_a_shared_venue_is_named_by_its_title(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/journey")
    location = {"latitude": 52.39, "longitude": 4.6}
    venue = {"location": location, "title": "Camping De Lakens", "address": "Zeeweg 60, Bloemendaal"}
    emulator.state.user_message(emulator.state.chat(ALICE), {"venue": venue, "location": location})
    assert "Destination: Camping De Lakens" in (await alice.next_message()).text


async def test_without_a_forecast_the_user_is_asked_and_the_list_follows_the_answer(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, open_meteo: FakeOpenMeteo
) -> None:
    await seed_locker(db, ALICE)
    open_meteo.failing = True
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/journey")
    await alice.send_location(59.91, 10.75)
    await alice.next_message()
    await alice.ask((TODAY + dt.timedelta(days=1)).isoformat())
    people = await alice.ask((TODAY + dt.timedelta(days=1)).isoformat())
    await alice.tap(people, "✅ Done")
    asked = await alice.next_edit()
    assert "couldn't get a weather forecast" in asked.text
    assert labels(asked) == ["☀️ Warm (20 °C or more)", "🌤 Mild", "❄️ Cold (10 °C or less)"]
    assert "use the buttons" in (await alice.ask("hot!")).text
    await alice.tap(asked, "☀️ Warm (20 °C or more)")
    rain = await alice.next_edit()
    assert rain.text == "Do you expect rain?"
    await alice.tap(rain, "🌧 Yes")
    assert "is saved" in (await alice.next_edit()).text
    packing = await alice.next_message()

    [journey] = await journeys_of(db, ALICE)
    assert journey.weather["source"] == "user"
    assert set(await list_items(db, journey.id)) == {"Passport", "Socks", "Sunscreen", "Rain jacket"}
    assert "Sunscreen × 1" in labels(packing) and "Thermal layers × 2" not in labels(packing)


async def test_journeys_list_upcoming_first_then_past_and_the_card(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    later = await seed_journey(db, ALICE, destination="Rome, Italy", starts_in=30)
    await seed_journey(db, ALICE, destination="Paris, France", starts_in=-20)
    sooner = await seed_journey(
        db,
        ALICE,
        destination="Oslo, Norway",
        starts_in=3,
        participants=["adult", "adult", "child"],
        weather={"average_temp_celsius": 3.4, "max_precipitation_chance": 70, "source": "forecast"},
    )
    await seed_journey(db, BOB, destination="Bob's trip")
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await alice.ask("/journeys")
    assert "2 upcoming, 1 past" in overview.text
    assert [label.split(" · ")[0] for label in labels(overview)] == [
        "🧳 Oslo, Norway",
        "🧳 Rome, Italy",
        "🕘 Paris, France",
        "➕ New journey",
    ]
    assert data_of(overview, labels(overview)[1]) == f"jr:card:{later}"

    await alice.tap(overview, labels(overview)[0])
    card = await alice.next_edit()
    assert "Oslo, Norway" in card.text and "(3 days)" in card.text
    assert "2 × adult, 1 × child" in card.text
    assert "3.4 °C on average, rain chance up to 70 % (weather forecast)" in card.text
    assert "Packed: 0/5 for departure, 0/5 for return" in card.text
    assert labels(card) == ["📋 Packing list", "📄 PDF", "✏️ Edit", "🗑 Delete", "« Journeys"]
    await alice.tap(card, "📋 Packing list")
    packing = await alice.next_message()
    assert data_of(packing, "❓ Why?") == f"pk:why:{sooner}"

    menu = await alice.ask("/start")
    assert {"🧳 New journey", "🗺 Journeys"} <= set(labels(menu))
    await alice.tap(menu, "🗺 Journeys")
    assert "2 upcoming, 1 past" in (await alice.next_message()).text
    await alice.tap(menu, "🧳 New journey")
    assert "Where are you going?" in (await alice.next_message()).text


async def test_editing_the_dates_warns_resets_progress_and_makes_the_list_again(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    packing = await create_by_location(alice, starts_in=3, days=3)
    [journey] = await journeys_of(db, ALICE)
    old_items = await list_items(db, journey.id)
    await alice.tap(packing, "☐ departure")
    await alice.next_edit()
    await alice.tap(packing, "x", data=f"pk:{old_items['Passport'].id}:r")
    await alice.next_edit()

    card_message = await alice.ask("/journeys")
    await alice.tap(card_message, labels(card_message)[0])
    card = await alice.next_edit()
    assert "Packed: 1/4 for departure, 1/4 for return" in card.text
    await alice.tap(card, "✏️ Edit")
    menu = await alice.next_edit()
    assert labels(menu) == ["📍 Destination", "📅 Dates", "👥 Participants", "« Back"]
    await alice.tap(menu, "📅 Dates")
    warning = await alice.next_edit()
    assert "progress (1/4 packed for departure, 1/4 for return) will be reset" in warning.text
    assert labels(warning) == ["Continue", "Cancel"]

    # Cancel changes nothing; Continue asks the dates again.
    await alice.tap(warning, "Cancel")
    card = await alice.next_edit()
    assert "Packed: 1/4" in card.text
    await alice.tap(card, "✏️ Edit")
    await alice.tap(await alice.next_edit(), "📅 Dates")
    await alice.tap(await alice.next_edit(), "Continue")
    assert "When do you leave?" in (await alice.next_edit()).text
    start = TODAY + dt.timedelta(days=5)
    await alice.ask(start.isoformat())
    await alice.send_text((start + dt.timedelta(days=4)).isoformat())
    assert "is updated" in (await alice.next_message()).text
    new_list = await alice.next_message()
    assert "Departure 0/4 · Return 0/4" in new_list.text and "Socks × 5" in labels(new_list)

    [journey] = await journeys_of(db, ALICE)
    assert (journey.starts_at, journey.ends_at) == (start, start + dt.timedelta(days=4))
    new_items = await list_items(db, journey.id)
    assert set(new_items) == set(old_items)
    assert not any(item.packed_for_departure or item.packed_for_return for item in new_items.values())

    # The old list's buttons name lines that are gone (SQLite may have given their ids to the new lines:
    # the tapped row said "Socks × 3", so the flip is refused all the same).
    await alice.tap(packing, "x", data=f"pk:{old_items['Socks'].id}:d")
    await emulator.settle()
    assert alice.callback_answers[-1]["text"] == "This list has changed — open it again from /journeys"
    assert not any(item.packed_for_departure for item in (await list_items(db, journey.id)).values())


async def test_editing_the_participants_keeps_the_forecast(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, open_meteo: FakeOpenMeteo
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await create_by_location(alice)
    [journey] = await journeys_of(db, ALICE)
    requests = len(open_meteo.requests)
    await alice.tap(await alice.ask("/journeys"), "x", data=f"jr:warn:{journey.id}:people")
    warning = await alice.next_edit()
    await alice.tap(warning, "Continue")
    people = await alice.next_edit()
    await alice.tap(people, "🧒 Children: 0")
    await alice.tap(await alice.next_edit(), "✅ Done")
    assert "is updated" in (await alice.next_edit()).text
    assert "Colouring book × 1" in labels(await alice.next_message())
    [updated] = await journeys_of(db, ALICE)
    assert updated.participants == ["adult", "child"] and updated.weather == journey.weather
    assert len(open_meteo.requests) == requests, "no new forecast for other participants"


async def test_deleting_a_journey_asks_first_and_removes_its_list(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    packing = await create_by_location(alice)
    overview = await alice.ask("/journeys")
    await alice.tap(overview, labels(overview)[0])
    card = await alice.next_edit()
    await alice.tap(card, "🗑 Delete")
    question = await alice.next_edit()
    assert "Delete the journey to 📍 59.91, 10.75" in question.text
    await alice.tap(question, "Keep it")
    card = await alice.next_edit()
    assert await count_rows(db, GearJourney) == 1
    await alice.tap(card, "🗑 Delete")
    await alice.tap(await alice.next_edit(), "🗑 Yes, delete")
    assert "is deleted" in (await alice.next_edit()).text
    assert await count_rows(db, GearJourney) == 0
    assert await count_rows(db, GearJourneyItem) == 0, "the list went with it (ON DELETE CASCADE)"

    await alice.tap(packing, "☐ departure")
    await alice.tap(packing, "❓ Why?")
    await emulator.settle()
    assert [answer["text"] for answer in alice.callback_answers[-2:]] == [
        "This list has changed — open it again from /journeys"
    ] * 2
    assert "no journeys yet" in (await alice.ask("/journeys")).text


async def test_forged_journey_buttons_for_another_user_change_nothing(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, BOB)
    bobs = await seed_journey(db, BOB, destination="Bob's trip")
    alice = emulator.user(ALICE, first_name="Alice")
    message = await alice.ask("/journeys")
    assert "no journeys yet" in message.text
    for data in (f"jr:card:{bobs}", f"jr:del:{bobs}", f"jr:delok:{bobs}", f"jr:warn:{bobs}:dates"):
        await alice.tap(message, "x", data=data)
    await alice.tap(message, "x", data=f"jf:edit:{bobs}:dates")
    await alice.tap(message, "x", data="jr:card:nonsense")
    await emulator.settle()
    answers = [answer.get("text") for answer in alice.callback_answers]
    assert answers == ["That journey is not in your list."] * 5 + ["That button is no longer valid."]
    [journey] = await journeys_of(db, BOB)
    assert journey.destination == "Bob's trip"
    assert "no journeys yet" in (await alice.ask("/journeys")).text


async def test_cancel_ends_the_form_and_stores_nothing(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.ask("/journey")
    await alice.send_location(59.91, 10.75)
    await alice.next_message()
    assert (await alice.ask("/cancel")).text == "Cancelled."
    assert await count_rows(db, GearJourney) == 0


async def test_with_weather_provider_manual_the_user_is_always_asked(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    application = await start_bot(weather_provider=WeatherProvider.MANUAL)
    assert application.runtime.weather is None
    bob = emulator.user(BOB, first_name="Bram", language_code="nl")
    assert "Waar ga je heen?" in (await bob.ask("/journey")).text
    await bob.send_location(59.91, 10.75)
    await bob.next_message()
    await bob.ask(TODAY.isoformat())
    people = await bob.ask(TODAY.isoformat())
    assert "👤 Volwassenen: 1" in labels(people)
    await bob.tap(people, "✅ Klaar")
    asked = await bob.next_edit()
    await bob.tap(asked, "❄️ Koud (10 °C of minder)")
    await bob.tap(await bob.next_edit(), "☀️ Nee")
    assert "is opgeslagen" in (await bob.next_edit()).text
    empty = await bob.next_message()
    assert "Niets in te pakken" in empty.text and not empty.buttons, (
        "an empty locker: an empty list, no boxes"
    )
    [journey] = await journeys_of(db, BOB)
    assert journey.weather == {"average_temp_celsius": 5.0, "max_precipitation_chance": 0.0, "source": "user"}


def test_a_journey_form_saved_before_drafts_had_versions_still_loads() -> None:
    user_data = {"journey_form": {**new_draft(), "destination": "Oslo", "latitude": 59.9, "longitude": 10.7}}
    draft = FORM.load(user_data)
    assert draft is not None and draft.to_dict() == user_data["journey_form"]
    FORM.save(user_data, draft)
    assert user_data["journey_form"]["v"] == 1
    assert FORM.load(json.loads(json.dumps(user_data))) == draft
