"""The `job_runs` rows: a scheduled job claims its period before it runs, so it runs once per period however
many bot processes share the database."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import JobRun


async def claim_run(db: Database, name: str, period: str, runner: str) -> bool:
    """Insert the (name, period) row; False when it exists: another process ran (or runs) the job.

    Its own transaction: on PostgreSQL a second insert of the same row waits for the first to commit, then
    fails on the unique constraint, so exactly one claim of a period succeeds.
    """
    try:
        async with db.session() as session:
            session.add(JobRun(name=name, period=period, runner=runner))
    except IntegrityError:
        return False
    return True
