"""The daily sweep of stored files: every file under the attachments folder that no row references any
more and that is older than an hour (a younger one may be an upload whose row is not written yet) is
removed, once a day across every bot process (services/job_runs.py). The rule for which files stay is
`services.attachments`; this module only schedules it.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import Application

from handlers.context import RUNTIME, BotContext
from services import attachments, job_runs
from services.preferences import DEFAULT_TIME_ZONE, local_now, zone_of
from services.runtime import Runtime

logger = logging.getLogger(__name__)

SWEEP_JOB = "file_sweep"
SWEEP_TIME = dt.time(4, 30, tzinfo=zone_of(DEFAULT_TIME_ZONE))  # a quiet hour


def schedule(application: Application) -> None:
    runtime: Runtime = application.bot_data[RUNTIME]
    application.job_queue.run_daily(sweep_files, SWEEP_TIME, name=SWEEP_JOB)
    if runtime.settings.aimtrack_jobs_at_start:
        application.job_queue.run_once(sweep_files, 0, name=f"{SWEEP_JOB}:at-start")


async def sweep_files(context: BotContext) -> None:
    """Once a day across every bot process: remove the files no row references."""
    runtime = context.runtime
    today = job_runs.day(local_now(DEFAULT_TIME_ZONE))
    if not await job_runs.claim(context.uow, runtime.audience.job(SWEEP_JOB), today):
        return
    removed = await attachments.sweep_orphans(context.uow, runtime.settings.aimtrack_data_dir)
    logger.info("File sweep: removed %s file(s) no row references", removed)
