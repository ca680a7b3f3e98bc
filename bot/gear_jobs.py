"""The daily weather re-check of journeys (issue 4): a list made from climate or from the user's answer is
checked again once the trip enters the forecast window.

When a weather condition (warm, cold, rain) would flip under the forecast, the user is told which items
would be added or removed, with a button (`pk:regen:<journey id>`) that fetches the forecast again, stores
it and makes the list again. When nothing would flip, the forecast is stored silently (the list already
matches it), so the journey is not checked again. A forecast the user was told about is kept beside the
stored one (`weather.offered`), so the same news is not sent every morning.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application

from core import i18n
from core.audience import EVERYONE, Audience
from handlers.context import BotContext
from handlers.packing_list import regen_callback
from handlers.texts import render
from services import job_runs
from services.packing.conditions import GearProperty, WeatherForecast, WeatherSource
from services.packing.journeys import (
    ListChanges,
    Text,
    flips,
    offered,
    preview_changes,
    weather_text,
    with_offered,
)
from services.preferences import DEFAULT_TIME_ZONE, local_now
from services.texts import Label
from services.weather import FORECAST_DAYS, OpenMeteo
from storage.db import Database
from storage.journeys import journeys_ending_between, update_journey
from storage.models import GearJourney
from storage.users import get_user

logger = logging.getLogger(__name__)

RECHECK_JOB = "gear-weather-recheck"
RECHECK_TIME = dt.time(7, 0, tzinfo=ZoneInfo(DEFAULT_TIME_ZONE))
RECHECKED_SOURCES = frozenset({WeatherSource.CLIMATE, WeatherSource.USER})


def recheck_texts(
    journey: GearJourney, forecast: WeatherForecast, flipped: dict[GearProperty, bool], changes: ListChanges
) -> list[Text]:
    texts: list[Text] = [
        (
            "packing.recheck.title",
            {"destination": journey.destination, "start": journey.starts_at, "end": journey.ends_at},
        ),
        weather_text(forecast),
    ]
    texts += [
        (
            "packing.recheck.now_expected" if holds else "packing.recheck.no_longer_expected",
            {"condition": Label(f"packing.condition.{prop}")},
        )
        for prop, holds in flipped.items()
    ]
    if changes.added:
        texts.append(("packing.recheck.added", {"names": ", ".join(changes.added)}))
    if changes.removed:
        texts.append(("packing.recheck.removed", {"names": ", ".join(changes.removed)}))
    if not (changes.added or changes.removed):
        texts.append(("packing.recheck.no_items", {}))
    texts.append(("packing.recheck.question", {}))
    return texts


async def recheck_journeys(
    db: Database, weather: OpenMeteo, bot: Bot, *, today: dt.date, audience: Audience = EVERYONE
) -> int:
    """Check every journey that ends within the forecast window and was planned without a forecast;
    returns how many messages were sent."""
    async with db.session() as session:
        journeys = await journeys_ending_between(session, today, today + dt.timedelta(days=FORECAST_DAYS - 1))
    sent = 0
    for journey in journeys:
        if not audience.reaches(journey.user_id):
            continue
        stored = WeatherForecast.from_json(journey.weather)
        if stored is not None and stored.source not in RECHECKED_SOURCES:
            continue
        forecast = await weather.weather_for(
            float(journey.latitude), float(journey.longitude), journey.starts_at, journey.ends_at, today=today
        )
        if forecast is None or forecast.source is not WeatherSource.FORECAST:
            continue
        if await _recheck(db, bot, journey, stored, forecast):
            sent += 1
    return sent


async def _recheck(
    db: Database, bot: Bot, journey: GearJourney, stored: WeatherForecast | None, forecast: WeatherForecast
) -> bool:
    flipped = flips(stored, forecast, journey)
    told = offered(journey)
    if told is not None and flips(stored, told, journey) == flipped:
        return False  # the user heard this already and kept their list
    if not flipped:
        async with db.session() as session:
            await update_journey(session, journey.user_id, journey.id, weather=forecast.to_json())
        return False
    async with db.session() as session:
        changes = await preview_changes(session, journey, forecast)
        user = await get_user(session, journey.user_id)
    language = i18n.resolve_language(user.language, user.telegram_language) if user else i18n.DEFAULT_LANGUAGE
    text = render(language, recheck_texts(journey, forecast, flipped, changes))
    button = InlineKeyboardButton(
        i18n.translate(language, "packing.recheck.button"), callback_data=regen_callback(journey.id)
    )
    try:
        await bot.send_message(journey.user_id, text, reply_markup=InlineKeyboardMarkup([[button]]))
    except TelegramError as error:  # blocked the bot, deleted the chat: try again tomorrow
        logger.warning("Could not tell user %s about journey %s: %s", journey.user_id, journey.id, error)
        return False
    async with db.session() as session:
        await update_journey(
            session, journey.user_id, journey.id, weather=with_offered(journey.weather, forecast)
        )
    return True


async def daily_recheck(context: BotContext) -> None:
    """Once a day across every bot process (services/job_runs.py)."""
    runtime = context.runtime
    if runtime.weather is None:  # WEATHER_PROVIDER=manual: there is no forecast to compare with
        return
    now = local_now(DEFAULT_TIME_ZONE)
    if not await job_runs.claim(runtime.db, runtime.audience.job(RECHECK_JOB), job_runs.day(now)):
        return
    sent = await recheck_journeys(
        runtime.db, runtime.weather, context.bot, today=now.date(), audience=runtime.audience
    )
    logger.info("Weather re-check of journeys: %d message(s) sent", sent)


def schedule(application: Application) -> None:
    application.job_queue.run_daily(daily_recheck, time=RECHECK_TIME, name=RECHECK_JOB)
    if application.runtime.settings.aimtrack_jobs_at_start:
        application.job_queue.run_once(daily_recheck, 0, name=f"{RECHECK_JOB}:at-start")
