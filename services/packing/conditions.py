"""The packing conditions: one class per `GearProperty`, one contract, one registry.

An item with properties is packed only when every one of its conditions holds (AND). Conditions read the
journey's facts, not the database, so they are plain functions of their input and trivially testable.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any, Protocol

WARM_FROM_CELSIUS = 20.0
COLD_UP_TO_CELSIUS = 10.0
RAIN_FROM_PERCENT = 40.0


class GearProperty(enum.StrEnum):
    WARM_WEATHER = "warm-weather"
    COLD_WEATHER = "cold-weather"
    RAIN_EXPECTED = "rain-expected"
    CHILD_SPECIFIC = "child-specific"
    ADULT_SPECIFIC = "adult-specific"
    INFANT_SPECIFIC = "infant-specific"


class Participant(enum.StrEnum):
    ADULT = "adult"
    CHILD = "child"
    INFANT = "infant"


class WeatherSource(enum.StrEnum):
    FORECAST = "forecast"  # Open-Meteo forecast, within 16 days
    CLIMATE = "climate"  # the same calendar days of past years (archive)
    USER = "user"  # the user's own answer when no service could be reached


@dataclass(frozen=True)
class WeatherForecast:
    """What the conditions need to know about the weather: the trip's mean temperature and its rain chance."""

    average_temp_celsius: float
    max_precipitation_chance: float  # percent, 0–100
    source: WeatherSource

    def to_json(self) -> dict[str, object]:
        return {
            "average_temp_celsius": self.average_temp_celsius,
            "max_precipitation_chance": self.max_precipitation_chance,
            "source": self.source.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> WeatherForecast | None:
        """The forecast `to_json` wrote (a JSON column: its values are untyped until read here)."""
        if not data:
            return None
        return cls(
            average_temp_celsius=float(data["average_temp_celsius"]),
            max_precipitation_chance=float(data["max_precipitation_chance"]),
            source=WeatherSource(str(data["source"])),
        )


@dataclass(frozen=True)
class JourneyFacts:
    """A journey as the conditions and the generator see it."""

    starts_at: dt.date
    ends_at: dt.date
    participants: frozenset[Participant]
    forecast: WeatherForecast | None

    @property
    def days(self) -> int:
        """Counted inclusively: a trip that starts and ends on the same day is one day."""
        return (self.ends_at - self.starts_at).days + 1


class PackingCondition(Protocol):
    def should_be_included(self, journey: JourneyFacts) -> bool: ...


class WarmWeatherCondition:
    def should_be_included(self, journey: JourneyFacts) -> bool:
        return journey.forecast is not None and journey.forecast.average_temp_celsius >= WARM_FROM_CELSIUS


class ColdWeatherCondition:
    def should_be_included(self, journey: JourneyFacts) -> bool:
        return journey.forecast is not None and journey.forecast.average_temp_celsius <= COLD_UP_TO_CELSIUS


class RainExpectedCondition:
    def should_be_included(self, journey: JourneyFacts) -> bool:
        return journey.forecast is not None and journey.forecast.max_precipitation_chance >= RAIN_FROM_PERCENT


@dataclass(frozen=True)
class ParticipantCondition:
    participant: Participant

    def should_be_included(self, journey: JourneyFacts) -> bool:
        return self.participant in journey.participants


CONDITIONS: dict[GearProperty, PackingCondition] = {
    GearProperty.WARM_WEATHER: WarmWeatherCondition(),
    GearProperty.COLD_WEATHER: ColdWeatherCondition(),
    GearProperty.RAIN_EXPECTED: RainExpectedCondition(),
    GearProperty.CHILD_SPECIFIC: ParticipantCondition(Participant.CHILD),
    GearProperty.ADULT_SPECIFIC: ParticipantCondition(Participant.ADULT),
    GearProperty.INFANT_SPECIFIC: ParticipantCondition(Participant.INFANT),
}


def condition_for(prop: GearProperty) -> PackingCondition:
    return CONDITIONS[prop]


def all_hold(properties: list[str] | None, journey: JourneyFacts) -> bool:
    """AND over the item's properties; no properties means always packed, an unknown one never holds."""
    for value in properties or ():
        try:
            prop = GearProperty(value)
        except ValueError:
            return False
        if not condition_for(prop).should_be_included(journey):
            return False
    return True
