"""Outside faults: Telegram answers 429 (retry_after), 500s and slowly; the AI provider and the weather
service fail or hang. The bot waits out flood control, calls again after a server error or a timeout,
tells the user when a call kept failing, keeps answering the other users while one of them waits on a slow
service, and works on afterwards without a restart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator, Fault, server_error, slow, too_many_requests
from bot.emulator.driver import EmulatedUser
from bot.retrying import RETRY_DELAYS_S
from services.coach import coach as coach_service
from services.preferences import local_now
from storage.db import Database
from storage.locker import create_item
from storage.users import ensure_user
from tests.conftest import ALICE, BOB, StartBot
from tests.fakes.anthropic_api import Fail, FakeAnthropic, Stall
from tests.fakes.open_meteo import FakeOpenMeteo

HELP = "What I can do"
ERROR = "something went wrong on my side"
HANG = 120.0  # longer than any timeout of the bot: a service that does not answer
ATTEMPTS = len(RETRY_DELAYS_S) + 1  # of one Bot API call with transient failures
TODAY = local_now(None).date()


def sent(emulator: BotApiEmulator, method: str) -> int:
    return sum(name == method for name, _ in emulator.calls)


async def test_flood_control_is_waited_out(bot: AimTrackApplication, emulator: BotApiEmulator) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    emulator.inject("sendMessage", too_many_requests(retry_after=1))
    reply = await alice.ask("/help", timeout=30)
    assert HELP in reply.text, "the answer was sent again after retry_after, not replaced by an error"
    assert [(method, error.code) for method, _, error in emulator.errors] == [("sendMessage", 429)]
    assert sent(emulator, "sendMessage") == 2


async def test_server_errors_are_told_and_survived(
    bot: AimTrackApplication, emulator: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    polls = sent(emulator, "getUpdates")
    emulator.inject("getUpdates", server_error(502), times=2)
    emulator.inject("getUpdates", server_error(500), times=1, after=2)
    await emulator.state.wait_for(lambda: sent(emulator, "getUpdates") > polls + 3, 30)
    assert HELP in (await alice.ask("/help", timeout=30)).text, "polling recovered"

    emulator.inject("sendMessage", server_error(), times=ATTEMPTS)
    assert ERROR in (await alice.ask("/help", timeout=60)).text, "the user hears that it kept failing"
    assert "Unhandled error" in caplog.text
    assert HELP in (await alice.ask("/help", timeout=30)).text, "and the next update is answered"


async def test_a_server_error_or_a_timeout_is_retried(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    emulator.inject("sendMessage", server_error(500))
    emulator.inject("sendMessage", server_error(502))  # right after it
    assert HELP in (await alice.ask("/help", timeout=30)).text, "the step is taken, not aborted"
    assert [(method, error.code) for method, _, error in emulator.errors] == [
        ("sendMessage", 500),
        ("sendMessage", 502),
    ]
    assert sent(emulator, "sendMessage") == 3

    settings_message = await alice.ask("/settings", timeout=30)
    emulator.inject("answerCallbackQuery", server_error(503))
    emulator.inject("editMessageText", slow(HANG))  # the read timeout, then the call again
    await alice.tap(settings_message, "🌐 Language")
    assert "Nederlands" in str((await alice.next_edit(timeout=60)).buttons)
    assert len(alice.callback_answers) == 1


async def test_a_refusal_is_not_retried(bot: AimTrackApplication, emulator: BotApiEmulator) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    emulator.inject("sendMessage", Fault(403, "Forbidden: bot was blocked by the user"))
    assert ERROR in (await alice.ask("/help", timeout=30)).text
    assert sent(emulator, "sendMessage") == 2, "the refused answer once, then the error message"


async def test_a_screen_whose_message_is_gone_comes_as_a_new_message(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    settings_message = await alice.ask("/settings", timeout=30)
    emulator.inject("editMessageText", Fault(400, "Bad Request: message to edit not found"))
    await alice.tap(settings_message, "🌐 Language")
    languages = await alice.next_message(timeout=30)
    assert "Nederlands" in str(languages.buttons), "the next screen, as a new message"
    await alice.tap(languages, "Nederlands")
    assert (await alice.next_edit(timeout=30)).message_id == languages.message_id


async def test_a_hanging_call_holds_up_only_its_own_chat(
    bot: AimTrackApplication, emulator: BotApiEmulator
) -> None:
    alice, bob = emulator.user(ALICE, first_name="Alice"), emulator.user(BOB, first_name="Bob")
    emulator.inject("sendMessage", slow(HANG))
    await alice.send_text("/help")
    await emulator.state.wait_for(lambda: emulator.state.in_flight > 0, 30)
    assert HELP in (await bob.ask("/help", timeout=30)).text
    assert alice.messages == [], "Bob was answered while Alice's answer hung"
    # The bot gives up on the hanging call (its read timeout), calls again, and goes on.
    assert HELP in (await alice.next_message(timeout=60)).text
    assert HELP in (await alice.ask("/help", timeout=30)).text


async def test_slow_answers_arrive_in_order(bot: AimTrackApplication, emulator: BotApiEmulator) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    emulator.inject("sendMessage", slow(1.0), times=2)
    await alice.send_text("/help")
    await alice.send_text("/cancel")
    assert HELP in (await alice.next_message(timeout=30)).text
    assert "nothing to cancel" in (await alice.next_message(timeout=30)).text
    assert not emulator.errors


@pytest.fixture
async def anthropic() -> AsyncIterator[FakeAnthropic]:
    fake = FakeAnthropic()
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_failing_or_hanging_ai_blocks_nobody_and_recovers(
    start_bot: StartBot,
    emulator: BotApiEmulator,
    anthropic: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(coach_service, "SDK_RETRIES", 0)
    await start_bot(
        anthropic_api_key="sk-test",
        anthropic_base_url=anthropic.base_url,
        ai_model="claude-test",
        ai_timeout_s=5,
    )
    alice, bob = emulator.user(ALICE, first_name="Alice"), emulator.user(BOB, first_name="Bob")

    anthropic.script = [Stall(HANG)]
    await alice.send_text("How is my grip?")
    await emulator.state.wait_for(lambda: len(anthropic.requests) == 1, 30)
    assert HELP in (await bob.ask("/help", timeout=30)).text
    assert "Keep your grip firm." in (await bob.ask("And my stance?", timeout=30)).text
    assert alice.messages == [], "Bob was answered, by the coach too, while Alice's question hung"
    assert "cannot answer right now (APITimeoutError" in (await alice.next_message(timeout=60)).text

    anthropic.script = [Fail(500)]
    assert "cannot answer right now (InternalServerError" in (await alice.ask("Again?", timeout=30)).text
    assert "Keep your grip firm." in (await alice.ask("And now?", timeout=30)).text, "recovered"


async def plan_journey(alice: EmulatedUser) -> None:
    """/journey to a shared location, tomorrow, one adult: the weather is fetched after "Done"."""
    await alice.ask("/journey", timeout=30)
    await alice.send_location(59.91, 10.75)
    await alice.next_message(timeout=30)
    day = (TODAY + dt.timedelta(days=1)).isoformat()
    await alice.ask(day, timeout=30)
    people = await alice.ask(day, timeout=30)
    await alice.tap(people, "✅ Done")


async def test_a_failing_or_hanging_weather_service_blocks_nobody_and_recovers(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database, open_meteo: FakeOpenMeteo
) -> None:
    application = await start_bot()
    weather = application.runtime.weather
    weather.forecast_url, weather.archive_url = open_meteo.forecast_url, open_meteo.archive_url
    weather.client.timeout = 5.0  # the bot's own client, with a shorter wait for this test
    async with db.session() as session:
        await ensure_user(session, ALICE, "Alice")
        await create_item(session, ALICE, name="Socks", quantity_per_day=1.0, quantity=1)
    alice, bob = emulator.user(ALICE, first_name="Alice"), emulator.user(BOB, first_name="Bob")

    open_meteo.stall = HANG
    await plan_journey(alice)
    await emulator.state.wait_for(lambda: len(open_meteo.requests) == 1, 30)
    edits = len(emulator.state.chat(ALICE).edits)
    assert HELP in (await bob.ask("/help", timeout=30)).text
    assert len(emulator.state.chat(ALICE).edits) == edits, "Bob was answered while Alice's forecast hung"
    asked = await alice.next_edit(timeout=60)
    assert "couldn't get a weather forecast" in asked.text, "after the hang, the bot asks Alice instead"
    await alice.tap(asked, "❄️ Cold (10 °C or less)")
    rain = await alice.next_edit(timeout=30)
    await alice.tap(rain, "🌧 Yes")
    assert "is saved" in (await alice.next_edit(timeout=30)).text
    await alice.next_message(timeout=30)

    open_meteo.stall, open_meteo.failing = 0.0, True
    await plan_journey(alice)
    assert "couldn't get a weather forecast" in (await alice.next_edit(timeout=30)).text
    await alice.ask("/cancel", timeout=30)

    open_meteo.failing = False
    await plan_journey(alice)
    assert "is saved" in (await alice.next_edit(timeout=30)).text, "the forecast is used again"
    assert "Socks × 1" in str((await alice.next_message(timeout=30)).buttons)
