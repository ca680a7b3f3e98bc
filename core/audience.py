"""Whom an Application's scheduled jobs write to, when Telegram and Matrix serve from one process.

Each transport runs its own jobs for its own users: Telegram's for every user with a Telegram id (a user
who linked Matrix too is reminded there), Matrix's for the Matrix-only ones. Matrix's jobs claim their runs
under names of their own (services/job_runs.py), so both run once per period. A bot with one transport reaches
everyone under the plain names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Matrix-only users' logbooks get ids from here up, above every Telegram user id (those stay below 2^53),
# so the two never meet unless a person links them on purpose.
FIRST_MATRIX_USER_ID = 9_000_000_000_000_000


class Reach(StrEnum):
    EVERYONE = "everyone"
    TELEGRAM = "telegram"
    MATRIX_ONLY = "matrix"


@dataclass(frozen=True)
class Audience:
    reach: Reach = Reach.EVERYONE

    def reaches(self, user_id: int) -> bool:
        if self.reach is Reach.EVERYONE:
            return True
        return (user_id >= FIRST_MATRIX_USER_ID) == (self.reach is Reach.MATRIX_ONLY)

    def job(self, name: str) -> str:
        """The name a job's runs are claimed under."""
        return f"{name}:matrix" if self.reach is Reach.MATRIX_ONLY else name


EVERYONE = Audience()
TELEGRAM_SIDE = Audience(Reach.TELEGRAM)
MATRIX_SIDE = Audience(Reach.MATRIX_ONLY)
