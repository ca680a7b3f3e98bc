"""End to end: the packing list message (boxes, pages, Why?, the PDF) and the daily weather re-check."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import MessageView
from handlers.packing_recheck import recheck_journeys
from services.packing.checklist import MAX_BUTTONS
from services.unit_of_work import UnitOfWork
from storage.db import Database
from tests.conftest import ALICE, BOB
from tests.fakes.open_meteo import FakeOpenMeteo
from tests.test_journeys import (
    TODAY,
    create_by_location,
    data_of,
    gear_bot_fixture,  # noqa: F401 (a fixture)
    journeys_of,
    labels,
    list_items,
    seed_journey,
    seed_locker,
)

CHANGED = "This list has changed — open it again from /journeys"
MILD_AND_DRY = {"average_temp_celsius": 15.0, "max_precipitation_chance": 0.0, "source": "climate"}


def row_of(message: MessageView, journey_item_id: int) -> list[tuple[str, str | None]]:
    return next(row for row in message.buttons if row[0][1] == f"pk:n:{journey_item_id}")


def api_calls(emulator: BotApiEmulator, method: str) -> int:
    return sum(name == method for name, _ in emulator.calls)


async def test_tapping_boxes_writes_the_state_and_edits_the_list(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    packing = await create_by_location(alice)
    [journey] = await journeys_of(db, ALICE)
    items = await list_items(db, journey.id)
    socks, passport = items["Socks"].id, items["Passport"].id

    await alice.tap(packing, "x", data=f"pk:{socks}:d")
    edited = await alice.next_edit()
    assert alice.callback_answers[-1].get("text") is None
    assert row_of(edited, socks) == [
        ("Socks × 3", f"pk:n:{socks}"),
        ("☑ departure", f"pk:{socks}:d"),
        ("☐ return", f"pk:{socks}:r"),
    ]
    assert "Departure 1/4 · Return 0/4" in edited.text
    await alice.tap(edited, "x", data=f"pk:{passport}:r")
    edited = await alice.next_edit()
    assert "Departure 1/4 · Return 1/4" in edited.text
    assert row_of(edited, passport)[1:] == [
        ("☐ departure", f"pk:{passport}:d"),
        ("☑ return", f"pk:{passport}:r"),
    ]

    items = await list_items(db, journey.id)
    assert items["Socks"].packed_for_departure and not items["Socks"].packed_for_return
    assert items["Passport"].packed_for_return and not items["Passport"].packed_for_departure

    # A second tap unticks it again.
    await alice.tap(edited, "x", data=f"pk:{socks}:d")
    edited = await alice.next_edit()
    assert row_of(edited, socks)[1] == ("☐ departure", f"pk:{socks}:d")
    assert not (await list_items(db, journey.id))["Socks"].packed_for_departure

    # The name says why the line is there; headers only label.
    await alice.tap(edited, "Rain jacket × 1")
    await alice.tap(edited, "— Clothing —")
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers[-2:]] == [
        "Rain jacket × 1: rain (55 % ≥ 40 %)",
        None,
    ]
    assert not emulator.errors, "no identical edit was sent"


async def test_a_120_item_list_is_paged(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    locker = [(f"Item {n:03d}", f"Category {n % 4}", None, 0.0, 1) for n in range(120)]
    await seed_locker(db, ALICE, locker)
    alice = emulator.user(ALICE, first_name="Alice")
    first = await create_by_location(alice)
    assert "Departure 0/120" in first.text
    assert labels(first)[-3:] == ["1/4", "▶", "❓ Why?"], "no ◀ on the first page"

    pages = [first]
    edits = api_calls(emulator, "editMessageReplyMarkup")
    while "▶" in labels(pages[-1]):
        await alice.tap(pages[-1], "▶")
        pages.append(await alice.next_edit())
    assert api_calls(emulator, "editMessageReplyMarkup") == edits + 3, "paging edits only the keyboard"
    assert all(page.text == first.text for page in pages)
    assert all(sum(len(row) for row in page.buttons) <= MAX_BUTTONS for page in pages)
    assert labels(pages[-1])[-3:] == ["◀", "4/4", "❓ Why?"]
    names = [label for page in pages for label in labels(page) if label.startswith("Item")]
    assert sorted(names) == [f"Item {n:03d} × 1" for n in range(120)], "every item once, on one page"

    # A tap on the last page keeps that page in view.
    [journey] = await journeys_of(db, ALICE)
    last = (await list_items(db, journey.id))["Item 119"].id
    await alice.tap(pages[-1], "x", data=f"pk:{last}:r")
    toggled = await alice.next_edit()
    assert "4/4" in labels(toggled) and row_of(toggled, last)[2] == ("☑ return", f"pk:{last}:r")
    assert "Return 1/120" in toggled.text

    await alice.tap(toggled, "◀")
    assert "3/4" in labels(await alice.next_edit())
    # A page that no longer exists (the list got shorter) shows the last one.
    await alice.tap(toggled, "x", data=f"pk:pg:{journey.id}:99")
    assert "4/4" in labels(await alice.next_edit())
    assert not emulator.errors


async def test_forged_packing_buttons_for_another_users_list_change_nothing(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, BOB)
    bobs = await seed_journey(db, BOB, weather=MILD_AND_DRY)
    bob_item = next(iter((await list_items(db, bobs)).values())).id
    alice = emulator.user(ALICE, first_name="Alice")
    message = await alice.ask("/journeys")
    forged = [
        f"pk:{bob_item}:d",
        f"pk:{bob_item}:r",
        f"pk:n:{bob_item}",
        f"pk:pg:{bobs}:1",
        f"pk:why:{bobs}",
        f"pk:pdf:{bobs}",
        f"pk:open:{bobs}",
        f"pk:regen:{bobs}",
    ]
    for data in [*forged, "pk:1:x", "pk:why:abc"]:
        await alice.tap(message, "x", data=data)
    await emulator.settle()
    assert [answer.get("text") for answer in alice.callback_answers] == [CHANGED] * len(forged) + [
        "That button is no longer valid."
    ] * 2
    assert len(alice.messages) == 1, "no list, no Why?, no PDF was sent"
    items = await list_items(db, bobs)
    assert not any(item.packed_for_departure or item.packed_for_return for item in items.values())
    [journey] = await journeys_of(db, BOB)
    assert journey.weather == MILD_AND_DRY


async def test_why_explains_the_conditions_and_the_forecast(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    packing = await create_by_location(alice)
    await alice.tap(packing, "❓ Why?")
    why = await alice.next_message()
    assert "Why these items?" in why.text
    assert "3.3 °C on average, rain chance up to 55 % (weather forecast)" in why.text
    assert "• Rain jacket: rain (55 % ≥ 40 %)" in why.text
    assert "• Thermal layers: cold (3.3 °C ≤ 10 °C)" in why.text
    assert "Passport" not in why.text, "items without conditions are not listed one by one"


async def test_the_packing_list_as_a_pdf_document(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    alice = emulator.user(ALICE, first_name="Alice")
    await create_by_location(alice)
    [journey] = await journeys_of(db, ALICE)
    overview = await alice.ask("/journeys")
    await alice.tap(overview, labels(overview)[0])
    card = await alice.next_edit()
    await alice.tap(card, "📄 PDF")
    sheet = await alice.next_message()
    assert sheet.document is not None
    assert sheet.document.name == f"aimtrack-paklijst-59-91-10-75-{journey.starts_at.isoformat()}.pdf"
    assert sheet.document.data.startswith(b"%PDF")
    assert "upload_document" in alice.chat_actions
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.document.data)).pages)
    assert "Thermal layers × 2" in text and "Rain jacket × 1" in text and "Uncategorised" in text


async def test_the_daily_job_tells_when_a_condition_flips_and_updates_on_request(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database, open_meteo: FakeOpenMeteo
) -> None:
    await seed_locker(db, ALICE)
    planned = await seed_journey(db, ALICE, starts_in=3, weather=MILD_AND_DRY)
    forecast = {"average_temp_celsius": 3.3, "max_precipitation_chance": 55.0, "source": "forecast"}
    checked = await seed_journey(db, ALICE, destination="Checked", starts_in=4, weather=forecast)
    beyond = await seed_journey(db, ALICE, destination="Later", starts_in=20, weather=MILD_AND_DRY)
    assert set(await list_items(db, planned)) == {"Passport", "Socks"}
    alice = emulator.user(ALICE, first_name="Alice")
    weather = gear_bot.runtime.weather

    assert await recheck_journeys(UnitOfWork(db), weather, gear_bot.bot, today=TODAY) == 1
    news = await alice.next_message()
    assert "New forecast for Oslo, Norway" in news.text
    assert "Cold weather: now expected" in news.text and "Rain: now expected" in news.text
    assert "The list would get: Rain jacket, Thermal layers" in news.text
    assert (
        labels(news) == ["🔄 Update the list"]
        and data_of(news, "🔄 Update the list") == f"pk:regen:{planned}"
    )
    assert len(open_meteo.requests) == 1, "only the journey planned without a forecast, within 16 days"

    # The same news is not sent again the next morning; the list is unchanged until the user asks.
    assert await recheck_journeys(UnitOfWork(db), weather, gear_bot.bot, today=TODAY) == 0
    assert set(await list_items(db, planned)) == {"Passport", "Socks"}

    await alice.tap(news, "🔄 Update the list")
    done = await alice.next_edit()
    assert "now follows the new forecast" in done.text and not done.buttons
    updated = await alice.next_message()
    assert "Thermal layers × 2" in labels(updated)
    assert set(await list_items(db, planned)) == {"Passport", "Socks", "Thermal layers", "Rain jacket"}
    weathers = {journey.id: journey.weather for journey in await journeys_of(db, ALICE)}
    assert weathers[planned] == forecast, "the new forecast is stored (and the offer is gone)"
    assert weathers[checked] == forecast and weathers[beyond] == MILD_AND_DRY


async def test_the_daily_job_stores_a_forecast_that_changes_nothing_without_a_message(
    gear_bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_locker(db, ALICE)
    cold_and_wet = {"average_temp_celsius": 5.0, "max_precipitation_chance": 80.0, "source": "user"}
    journey_id = await seed_journey(db, ALICE, starts_in=3, weather=cold_and_wet)
    assert await recheck_journeys(UnitOfWork(db), gear_bot.runtime.weather, gear_bot.bot, today=TODAY) == 0
    [journey] = await journeys_of(db, ALICE)
    assert journey.id == journey_id and journey.weather["source"] == "forecast"
    assert await recheck_journeys(UnitOfWork(db), gear_bot.runtime.weather, gear_bot.bot, today=TODAY) == 0
    await emulator.settle()
    assert emulator.user(ALICE).messages == []


def test_the_daily_job_is_scheduled(gear_bot: AimTrackApplication) -> None:
    [job] = gear_bot.job_queue.get_jobs_by_name("gear-weather-recheck")
    runs_at = job.next_t.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert (runs_at.hour, runs_at.minute) == (7, 0)


@pytest.mark.parametrize(("ends_in", "checked"), [(0, True), (15, True), (16, False)])
async def test_the_daily_job_looks_16_days_ahead(
    gear_bot: AimTrackApplication,
    emulator: BotApiEmulator,
    db: Database,
    open_meteo: FakeOpenMeteo,
    ends_in: int,
    checked: bool,
) -> None:
    emulator.user(ALICE, first_name="Alice")
    await seed_locker(db, ALICE)
    await seed_journey(db, ALICE, starts_in=ends_in, days=1, weather=MILD_AND_DRY)
    told = await recheck_journeys(UnitOfWork(db), gear_bot.runtime.weather, gear_bot.bot, today=TODAY)
    assert (told, len(open_meteo.requests)) == ((1, 1) if checked else (0, 0))


async def test_the_daily_job_tries_again_when_the_user_cannot_be_told(
    gear_bot: AimTrackApplication, db: Database
) -> None:
    await seed_locker(db, ALICE)
    await seed_journey(db, ALICE, starts_in=3, weather=MILD_AND_DRY)  # Alice never opened a chat
    assert await recheck_journeys(UnitOfWork(db), gear_bot.runtime.weather, gear_bot.bot, today=TODAY) == 0
    [journey] = await journeys_of(db, ALICE)
    assert journey.weather == MILD_AND_DRY, "nothing is marked as told"
