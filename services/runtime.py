"""What handlers and jobs need besides Telegram: settings, the database, access, and the outside services.

The application factory builds one per process; handlers reach it through their context.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.access import AccessControl
from core.audience import EVERYONE, Audience
from core.settings import Settings
from services.coach.coach import ShooterCoach
from services.geocoding import Geocoder
from services.weather import OpenMeteo
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    access: AccessControl
    geocoder: Geocoder
    weather: OpenMeteo | None  # None: WEATHER_PROVIDER=manual, always ask the user
    coach: ShooterCoach
    audience: Audience = EVERYONE  # whom the scheduled jobs write to (Telegram and Matrix side by side)
