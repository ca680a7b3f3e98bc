"""Scheduled jobs that run once per period (a day, a week) however many bot processes serve the bot.

Every process schedules the jobs; when one fires, it first claims its period in the `job_runs` table (a
unique row: storage/job_runs.py), and only the process whose claim succeeds runs it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from services.unit_of_work import UnitOfWork
from storage.job_runs import claim_run

logger = logging.getLogger(__name__)

RUNNER = f"{socket.gethostname()}:{os.getpid()}"[:120]


def day(now: dt.datetime) -> str:
    return now.date().isoformat()


def week(now: dt.datetime) -> str:
    year, number, _ = now.isocalendar()
    return f"{year}-W{number:02d}"


async def claim(uow: UnitOfWork, name: str, period: str) -> bool:
    """True when this process is the one to run job `name` for `period`."""
    if await claim_run(uow.db, name, period, RUNNER):
        logger.info("Job %s for %s: running in this process (%s)", name, period, RUNNER)
        return True
    logger.info("Job %s for %s: already run by another process", name, period)
    return False
