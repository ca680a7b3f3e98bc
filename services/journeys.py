"""The journeys' use cases: list, card, delete, save (with a new packing list), the daily weather re-check.

Every function takes the update's unit of work and the user's id, runs in its own transaction and returns
plain data (`Journey`); a journey of another user is not found, like a missing one (None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import i18n
from core.audience import EVERYONE, Audience
from services.packing.checklist import Progress
from services.packing.conditions import GearProperty, WeatherForecast, WeatherSource
from services.packing.generator import regenerate
from services.packing.journeys import Journey, ListChanges, flips, offered, preview_changes, with_offered
from services.unit_of_work import UnitOfWork
from services.weather import FORECAST_DAYS, OpenMeteo
from storage import journeys as store
from storage.models import GearJourney
from storage.users import get_user

# A list made from these is checked again once the trip is within the forecast window.
RECHECKED_SOURCES = frozenset({WeatherSource.CLIMATE, WeatherSource.USER})


@dataclass(frozen=True)
class JourneyCard:
    journey: Journey
    progress: Progress


async def list_journeys(uow: UnitOfWork, user_id: int) -> list[Journey]:
    """The user's journeys by start date."""
    async with uow.transaction() as session:
        return [Journey.of(journey) for journey in await store.list_journeys(session, user_id)]


async def get_journey(uow: UnitOfWork, user_id: int, journey_id: int) -> Journey | None:
    async with uow.transaction() as session:
        journey = await store.get_journey(session, user_id, journey_id)
        return Journey.of(journey) if journey is not None else None


async def journey_card(uow: UnitOfWork, user_id: int, journey_id: int) -> JourneyCard | None:
    """The journey with how far its packing is (ticked for departure, for return, of all lines)."""
    async with uow.transaction() as session:
        journey = await store.get_journey(session, user_id, journey_id)
        if journey is None:
            return None
        departure, returned, total = await store.journey_progress(session, user_id, journey_id)
        return JourneyCard(Journey.of(journey), Progress(departure=departure, returned=returned, total=total))


async def delete_journey(uow: UnitOfWork, user_id: int, journey_id: int) -> Journey | None:
    """Delete the journey and its packing list; the journey as it was, or None if the user has no such one."""
    async with uow.transaction() as session:
        journey = await store.get_journey(session, user_id, journey_id)
        if journey is None:
            return None
        deleted = Journey.of(journey)
        if not await store.delete_journey(session, user_id, journey_id):
            return None
        return deleted


async def save_journey(
    uow: UnitOfWork, user_id: int, journey_id: int | None, values: Mapping[str, Any]
) -> Journey | None:
    """Write a new journey (`journey_id` None) or the changed columns of one, and make its packing list again,
    in one transaction: a list always matches its journey. None when the journey is gone (or not theirs)."""
    async with uow.transaction() as session:
        journey: GearJourney | None
        if journey_id is None:
            journey = await store.create_journey(session, user_id, **values)
        else:
            journey = await store.update_journey(session, user_id, journey_id, **values)
        if journey is None:
            return None
        await regenerate(session, journey)
        return Journey.of(journey)


@dataclass(frozen=True)
class Regenerated:
    journey: Journey | None  # None: not (or no longer) this user's, or no forecast
    no_forecast: bool = False  # the weather service gave no forecast: nothing was changed


async def regenerate_with_forecast(
    uow: UnitOfWork, weather: OpenMeteo | None, user_id: int, journey_id: int, today: dt.date
) -> Regenerated:
    """Fetch the forecast again (nothing is kept behind a button), store it and make the list again."""
    journey = await get_journey(uow, user_id, journey_id)
    if journey is None:
        return Regenerated(None)
    forecast = None
    if weather is not None:
        forecast = await weather.weather_for(
            journey.latitude, journey.longitude, journey.starts_at, journey.ends_at, today=today
        )
    if forecast is None:
        return Regenerated(None, no_forecast=True)
    return Regenerated(await save_journey(uow, user_id, journey_id, {"weather": forecast.to_json()}))


# --- the daily re-check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeatherNews:
    """A journey whose list would change under the forecast: what to tell its user, in their language."""

    journey: Journey
    forecast: WeatherForecast
    flipped: dict[GearProperty, bool]
    changes: ListChanges
    language: str


async def journeys_to_recheck(
    uow: UnitOfWork, today: dt.date, audience: Audience = EVERYONE
) -> list[Journey]:
    """Every reached user's journeys that end within the forecast window and were planned without a
    forecast (from climate, or the user's own answer): the daily job runs for all users at once."""
    last = today + dt.timedelta(days=FORECAST_DAYS - 1)
    async with uow.transaction() as session:
        journeys = [Journey.of(j) for j in await store.journeys_ending_between(session, today, last)]
    return [
        journey
        for journey in journeys
        if audience.reaches(journey.user_id)
        and (journey.forecast is None or journey.forecast.source in RECHECKED_SOURCES)
    ]


async def recheck(
    uow: UnitOfWork, weather: OpenMeteo, journey: Journey, today: dt.date
) -> WeatherNews | None:
    """The news for the journey's user when a weather condition (warm, cold, rain) flips under the forecast.

    Without a flip the forecast is stored silently (the list already matches it), so the journey is not
    checked again. News the user was told already (the offered forecast flips the same) is not news.
    """
    forecast = await weather.weather_for(
        journey.latitude, journey.longitude, journey.starts_at, journey.ends_at, today=today
    )
    if forecast is None or forecast.source is not WeatherSource.FORECAST:
        return None
    stored = journey.forecast
    flipped = flips(stored, forecast, journey)
    told = offered(journey)
    if told is not None and flips(stored, told, journey) == flipped:
        return None
    async with uow.transaction() as session:
        if not flipped:
            await store.update_journey(session, journey.user_id, journey.id, weather=forecast.to_json())
            return None
        changes = await preview_changes(session, journey, forecast)
        user = await get_user(session, journey.user_id)
    language = i18n.resolve_language(user.language, user.telegram_language) if user else i18n.DEFAULT_LANGUAGE
    return WeatherNews(journey, forecast, flipped, changes, language)


async def mark_offered(uow: UnitOfWork, news: WeatherNews) -> None:
    """Remember that the user was told about this forecast (beside the stored one), so it is told once."""
    journey = news.journey
    async with uow.transaction() as session:
        await store.update_journey(
            session, journey.user_id, journey.id, weather=with_offered(journey.weather, news.forecast)
        )
