"""The weather service against Open-Meteo's answers served on loopback: forecast, climatology, unreachable."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from services.packing.conditions import WeatherSource
from services.weather import OpenMeteo, manual_forecast
from tests.fakes.open_meteo import FakeOpenMeteo

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenMeteo]:
    server = FakeOpenMeteo()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def weather(fake: FakeOpenMeteo) -> AsyncIterator[OpenMeteo]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield OpenMeteo(client, forecast_url=fake.forecast_url, archive_url=fake.archive_url)


async def test_a_trip_within_16_days_uses_the_forecast(fake: FakeOpenMeteo, weather: OpenMeteo) -> None:
    fake.use("forecast", "forecast_oslo.json")
    result = await weather.weather_for(
        59.91, 10.75, dt.date(2026, 11, 23), dt.date(2026, 11, 25), today=TODAY
    )
    # 23–25 Nov in the stored forecast: 2.7, 3.3, 3.5 °C; 35, 70, 55 %.
    assert result is not None and result.source is WeatherSource.FORECAST
    assert result.average_temp_celsius == pytest.approx((2.7 + 3.3 + 3.5) / 3, abs=0.05)
    assert result.max_precipitation_chance == 70
    kind, params = fake.requests[-1]
    assert kind == "forecast" and params["start_date"] == "2026-11-23" and params["end_date"] == "2026-11-25"
    assert params["daily"] == "temperature_2m_mean,precipitation_probability_max"


async def test_a_trip_beyond_the_forecast_uses_ten_years_of_the_same_days(
    fake: FakeOpenMeteo, weather: OpenMeteo
) -> None:
    fake.use("archive", "archive_lisbon_july.json")
    result = await weather.weather_for(38.72, -9.14, dt.date(2027, 7, 8), dt.date(2027, 7, 12), today=TODAY)
    assert result is not None and result.source is WeatherSource.CLIMATE
    archive_years = sorted(params["start_date"][:4] for kind, params in fake.requests if kind == "archive")
    assert archive_years == [str(year) for year in range(2016, 2026)]
    assert all(
        params["start_date"][5:] == "07-08" and params["end_date"][5:] == "07-12"
        for _, params in fake.requests
    )
    # 10 July had >= 1 mm in 3 of the 10 years: 30 %.
    assert result.max_precipitation_chance == 30
    assert 22 < result.average_temp_celsius < 26


async def test_a_wetter_stretch_raises_the_rain_chance(fake: FakeOpenMeteo, weather: OpenMeteo) -> None:
    fake.use("archive", "archive_lisbon_july.json")
    result = await weather.weather_for(38.72, -9.14, dt.date(2027, 7, 18), dt.date(2027, 7, 22), today=TODAY)
    assert result is not None and result.max_precipitation_chance == 50  # 20 July: 5 of 10 years


async def test_an_unreachable_service_gives_no_weather(fake: FakeOpenMeteo, weather: OpenMeteo) -> None:
    fake.failing = True
    assert await weather.weather_for(59.91, 10.75, TODAY, TODAY, today=TODAY) is None
    assert (
        await weather.weather_for(38.72, -9.14, dt.date(2027, 7, 8), dt.date(2027, 7, 9), today=TODAY) is None
    )


async def test_a_closed_port_gives_no_weather() -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        weather = OpenMeteo(client, forecast_url="http://127.0.0.1:9/v1/forecast")
        assert await weather.weather_for(59.91, 10.75, TODAY, TODAY, today=TODAY) is None


def test_the_users_own_answer_becomes_a_forecast() -> None:
    answer = manual_forecast("cold", rain=True)
    assert answer.source is WeatherSource.USER
    assert answer.average_temp_celsius <= 10 and answer.max_precipitation_chance >= 40
