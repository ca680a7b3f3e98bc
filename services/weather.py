"""The weather a packing list is made for, from Open-Meteo; when it cannot be had, the user is asked.

- Within the forecast horizon (16 days): the forecast API's daily mean temperature and maximum
  precipitation probability.
- Beyond it: climatology from the archive API — the same calendar days in each of the past 10 years; the mean
  temperature over all of them, and as rain chance the largest share of years in which one day of the trip
  had at least 1 mm.
- Unreachable or unreadable: `None`, and the caller asks the user (warm / mild / cold, rain yes / no).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from statistics import fmean
from typing import Any

import httpx

from services.packing.conditions import WeatherForecast, WeatherSource

logger = logging.getLogger(__name__)

FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
FORECAST_DAYS = 16
CLIMATE_YEARS = 10
RAIN_DAY_MM = 1.0

# The user's answer when no service can be reached: (temperature, rain chance) standing for each choice.
MANUAL_TEMPERATURES = {"warm": 24.0, "mild": 15.0, "cold": 5.0}
MANUAL_RAIN = {True: 80.0, False: 0.0}


class WeatherUnavailable(Exception):
    """Open-Meteo could not be reached or answered something unusable."""


def manual_forecast(temperature: str, rain: bool) -> WeatherForecast:
    return WeatherForecast(MANUAL_TEMPERATURES[temperature], MANUAL_RAIN[rain], WeatherSource.USER)


class OpenMeteo:
    """A small async client; `forecast_url`/`archive_url` point elsewhere in tests (a loopback fake)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        forecast_url: str = FORECAST_URL,
        archive_url: str = ARCHIVE_URL,
    ) -> None:
        self.client = client
        self.forecast_url = forecast_url
        self.archive_url = archive_url

    async def weather_for(
        self, latitude: float, longitude: float, starts_at: dt.date, ends_at: dt.date, *, today: dt.date
    ) -> WeatherForecast | None:
        """The forecast or the climatology for the trip, or None when neither can be had."""
        try:
            if ends_at < today + dt.timedelta(days=FORECAST_DAYS):
                return await self._forecast(latitude, longitude, max(starts_at, today), ends_at)
            return await self._climate(latitude, longitude, starts_at, ends_at, today)
        except WeatherUnavailable as exc:
            logger.warning("No weather from Open-Meteo: %s", exc)
            return None

    async def _daily(self, url: str, params: dict[str, Any]) -> dict[str, list[Any]]:
        try:
            response = await self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise WeatherUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise WeatherUnavailable(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            daily = response.json()["daily"]
            if not isinstance(daily, dict) or not daily.get("time"):
                raise WeatherUnavailable("no daily values")
            return daily
        except (ValueError, KeyError) as exc:
            raise WeatherUnavailable(f"unreadable answer: {exc}") from exc

    async def _forecast(
        self, latitude: float, longitude: float, first: dt.date, last: dt.date
    ) -> WeatherForecast:
        daily = await self._daily(
            self.forecast_url,
            {
                "latitude": latitude,
                "longitude": longitude,
                "daily": "temperature_2m_mean,precipitation_probability_max",
                "start_date": first.isoformat(),
                "end_date": last.isoformat(),
                "timezone": "auto",
            },
        )
        temperatures = _numbers(daily.get("temperature_2m_mean"))
        chances = _numbers(daily.get("precipitation_probability_max"))
        if not temperatures:
            raise WeatherUnavailable("no temperatures in the forecast")
        return WeatherForecast(
            round(fmean(temperatures), 1), max(chances, default=0.0), WeatherSource.FORECAST
        )

    async def _climate(
        self, latitude: float, longitude: float, starts_at: dt.date, ends_at: dt.date, today: dt.date
    ) -> WeatherForecast:
        years = [year for year in range(today.year - CLIMATE_YEARS, today.year) if _shift(ends_at, year)]
        answers = await asyncio.gather(
            *(self._past_year(latitude, longitude, starts_at, ends_at, year) for year in years),
            return_exceptions=True,
        )
        seasons = [answer for answer in answers if isinstance(answer, dict)]
        if not seasons:
            failure = next((answer for answer in answers if isinstance(answer, BaseException)), None)
            raise WeatherUnavailable(f"no archive years: {failure}")
        temperatures = [value for season in seasons for value in _numbers(season.get("temperature_2m_mean"))]
        if not temperatures:
            raise WeatherUnavailable("no temperatures in the archive")
        return WeatherForecast(round(fmean(temperatures), 1), _rain_chance(seasons), WeatherSource.CLIMATE)

    async def _past_year(
        self, latitude: float, longitude: float, starts_at: dt.date, ends_at: dt.date, year: int
    ) -> dict[str, list[Any]]:
        first = _shift(starts_at, year) or starts_at.replace(year=year, day=28)
        last = _shift(ends_at, year) or ends_at.replace(year=year, day=28)
        if last < first:  # the trip crosses New Year: its end falls in the following year
            last = _shift(ends_at, year + 1) or ends_at.replace(year=year + 1, day=28)
        return await self._daily(
            self.archive_url,
            {
                "latitude": latitude,
                "longitude": longitude,
                "daily": "temperature_2m_mean,precipitation_sum",
                "start_date": first.isoformat(),
                "end_date": last.isoformat(),
                "timezone": "auto",
            },
        )


def _shift(day: dt.date, year: int) -> dt.date | None:
    """The same calendar day in another year (None for 29 February in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def _numbers(values: list[Any] | None) -> list[float]:
    return [float(value) for value in values or () if value is not None]


def _rain_chance(seasons: list[dict[str, list[Any]]]) -> float:
    """Per day of the trip, the share of years with at least 1 mm; the largest of those, in percent."""
    length = max(len(season.get("precipitation_sum") or ()) for season in seasons)
    best = 0.0
    for index in range(length):
        values = [
            season["precipitation_sum"][index]
            for season in seasons
            if index < len(season.get("precipitation_sum") or ())
        ]
        known = [value for value in values if value is not None]
        if known:
            best = max(best, 100 * sum(value >= RAIN_DAY_MM for value in known) / len(known))
    return round(best, 1)
