"""The daily weather re-check of journeys: a list made from climate or from the user's answer is checked
again once the trip enters the forecast window.

When a weather condition (warm, cold, rain) would flip under the forecast, the user is told which items
would be added or removed, with the packing list's "Update the list" button (`pk:regen:<journey id>`) that
fetches the forecast again, stores it and makes the list again. What is checked, and when the news is not
news, is `services.journeys` (`journeys_to_recheck`, `recheck`); this module words the message and sends it.
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
from services import job_runs, journeys
from services.journeys import WeatherNews
from services.packing.journeys import Text, weather_text
from services.preferences import DEFAULT_TIME_ZONE, local_now
from services.texts import Label
from services.unit_of_work import UnitOfWork
from services.weather import OpenMeteo

logger = logging.getLogger(__name__)

RECHECK_JOB = "gear-weather-recheck"
RECHECK_TIME = dt.time(7, 0, tzinfo=ZoneInfo(DEFAULT_TIME_ZONE))


def recheck_texts(news: WeatherNews) -> list[Text]:
    journey, changes = news.journey, news.changes
    texts: list[Text] = [
        (
            "packing.recheck.title",
            {"destination": journey.destination, "start": journey.starts_at, "end": journey.ends_at},
        ),
        weather_text(news.forecast),
    ]
    texts += [
        (
            "packing.recheck.now_expected" if holds else "packing.recheck.no_longer_expected",
            {"condition": Label(f"packing.condition.{prop}")},
        )
        for prop, holds in news.flipped.items()
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
    uow: UnitOfWork, weather: OpenMeteo, bot: Bot, *, today: dt.date, audience: Audience = EVERYONE
) -> int:
    """Check every journey that ends within the forecast window and was planned without a forecast;
    returns how many messages were sent."""
    sent = 0
    for journey in await journeys.journeys_to_recheck(uow, today, audience):
        news = await journeys.recheck(uow, weather, journey, today)
        if news is not None and await _tell(bot, news):
            await journeys.mark_offered(uow, news)
            sent += 1
    return sent


async def _tell(bot: Bot, news: WeatherNews) -> bool:
    journey, language = news.journey, news.language
    text = render(language, recheck_texts(news))
    button = InlineKeyboardButton(
        i18n.translate(language, "packing.recheck.button"), callback_data=regen_callback(journey.id)
    )
    try:
        await bot.send_message(journey.user_id, text, reply_markup=InlineKeyboardMarkup([[button]]))
    except TelegramError as error:  # blocked the bot, deleted the chat: try again tomorrow
        logger.warning("Could not tell user %s about journey %s: %s", journey.user_id, journey.id, error)
        return False
    return True


async def daily_recheck(context: BotContext) -> None:
    """Once a day across every bot process (services/job_runs.py)."""
    runtime = context.runtime
    if runtime.weather is None:  # WEATHER_PROVIDER=manual: there is no forecast to compare with
        return
    now = local_now(DEFAULT_TIME_ZONE)
    if not await job_runs.claim(context.uow, runtime.audience.job(RECHECK_JOB), job_runs.day(now)):
        return
    sent = await recheck_journeys(
        context.uow, runtime.weather, context.bot, today=now.date(), audience=runtime.audience
    )
    logger.info("Weather re-check of journeys: %d message(s) sent", sent)


def schedule(application: Application) -> None:
    application.job_queue.run_daily(daily_recheck, time=RECHECK_TIME, name=RECHECK_JOB)
    if application.runtime.settings.aimtrack_jobs_at_start:
        application.job_queue.run_once(daily_recheck, 0, name=f"{RECHECK_JOB}:at-start")
