"""The Dutch WM-4 attendance rules over a shooter's own log, and the use cases that read it: /attendance's
overview and the weekly reminder.

A WM-4 renewal asks for at least 18 session days in the 12 months before it and, per calendar year,
3 KNSA ranking matches or 5 club matches. A day counts once, however many sessions it holds.
The facts are (date, competition) pairs, one per logged session; the rules are plain functions over them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from core import i18n
from core.audience import EVERYONE, Audience
from services.preferences import local_now
from services.texts import Text
from services.unit_of_work import UnitOfWork
from storage.attendance import session_facts, users_with_reminders
from storage.models import Competition

REQUIRED_DAYS = 18
REQUIRED_KNSA_MATCHES = 3
REQUIRED_CLUB_MATCHES = 5
RECENT_WEEKS = 8  # a reminder compares what is needed with the session days of the last 8 weeks

Fact = tuple[dt.date, Competition]


def year_before(day: dt.date) -> dt.date:
    """The same calendar day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def first_relevant_day(today: dt.date) -> dt.date:
    """The earliest session date any figure here looks at, for a renewal date not in the past."""
    return year_before(today)


def session_days(facts: Iterable[Fact], first: dt.date, last: dt.date) -> set[dt.date]:
    """The distinct days from `first` to `last` (both included) with at least one session."""
    return {day for day, _ in facts if first <= day <= last}


def match_days(facts: Iterable[Fact], year: int, kind: Competition) -> int:
    """Distinct days in `year` with a match of this kind."""
    return len({day for day, competition in facts if day.year == year and competition == kind})


def days_in_last_year(facts: Iterable[Fact], today: dt.date) -> int:
    """Distinct session days in the 12 months up to and including today."""
    return len(session_days(facts, year_before(today) + dt.timedelta(days=1), today))


@dataclass(frozen=True)
class RenewalPlan:
    """Where a shooter stands for one renewal date."""

    renewal_date: dt.date
    counted: int  # session days so far within the 12 months before the renewal date
    needed: int  # how many more it needs
    days_left: int  # days still to come (after today) that count for it
    passed: bool  # the renewal date is before today
    window_started: bool  # today is already within the 12 months that count

    @property
    def reachable(self) -> bool:
        return self.needed <= self.days_left


def plan_renewal(facts: Iterable[Fact], today: dt.date, renewal_date: dt.date) -> RenewalPlan:
    opens = year_before(renewal_date)  # the window is (opens, renewal_date]
    counted = len(session_days(facts, opens + dt.timedelta(days=1), min(today, renewal_date)))
    return RenewalPlan(
        renewal_date=renewal_date,
        counted=counted,
        needed=max(0, REQUIRED_DAYS - counted),
        days_left=max(0, (renewal_date - max(today, opens)).days),
        passed=renewal_date < today,
        window_started=today > opens,
    )


def time_left(plan: RenewalPlan) -> Text:
    """ "in 9 weeks", or in days when less than two weeks are left."""
    if plan.days_left >= 14:
        return "attendance.in_weeks", {"weeks": plan.days_left // 7}
    if plan.days_left == 1:
        return "attendance.in_one_day", {}
    return "attendance.in_days", {"days": plan.days_left}


def required_pace(plan: RenewalPlan) -> Text | None:
    """The pace that still reaches the minimum, rounded to the safe side; None if nothing is needed or
    it can no longer be reached."""
    if plan.needed == 0 or not plan.reachable:
        return None
    if plan.days_left < 7:
        return "attendance.pace_now", {}
    weeks_per_day = plan.days_left / 7 / plan.needed
    if weeks_per_day >= 2:
        return "attendance.pace_every_weeks", {"weeks": math.floor(weeks_per_day)}
    if weeks_per_day >= 1:
        return "attendance.pace_weekly", {}
    return "attendance.pace_per_week", {"count": math.ceil(plan.needed * 7 / plan.days_left)}


def recent_pace(facts: Iterable[Fact], today: dt.date) -> float:
    """Session days per week over the last `RECENT_WEEKS` weeks."""
    first = today - dt.timedelta(weeks=RECENT_WEEKS) + dt.timedelta(days=1)
    return len(session_days(facts, first, today)) / RECENT_WEEKS


def is_behind(plan: RenewalPlan, pace_per_week: float) -> bool:
    """The reminder rule. Once the renewal's 12 months have begun and days are still needed, the shooter
    is behind when either
    - more days are needed than weeks are left (it would take more than one session day a week), or
    - the recent pace, kept up until the renewal date, would not bring the days still needed.
    A renewal date in the past, or more than a year away, never warns.
    """
    if plan.passed or not plan.window_started or plan.needed == 0:
        return False
    weeks_left = plan.days_left / 7
    return plan.needed > weeks_left or pace_per_week * weeks_left < plan.needed


@dataclass(frozen=True)
class AttendanceSummary:
    today: dt.date
    since: dt.date  # the first day of the last 12 months
    session_days: int
    knsa_matches: int  # this calendar year
    club_matches: int
    renewal: RenewalPlan | None

    @property
    def days_short(self) -> int:
        return max(0, REQUIRED_DAYS - self.session_days)

    @property
    def competition_met(self) -> bool:
        return self.knsa_matches >= REQUIRED_KNSA_MATCHES or self.club_matches >= REQUIRED_CLUB_MATCHES


def summarize(facts: list[Fact], today: dt.date, renewal_date: dt.date | None = None) -> AttendanceSummary:
    return AttendanceSummary(
        today=today,
        since=year_before(today) + dt.timedelta(days=1),
        session_days=days_in_last_year(facts, today),
        knsa_matches=match_days(facts, today.year, Competition.KNSA),
        club_matches=match_days(facts, today.year, Competition.CLUB),
        renewal=plan_renewal(facts, today, renewal_date) if renewal_date else None,
    )


def reminder_due(facts: list[Fact], today: dt.date, renewal_date: dt.date) -> RenewalPlan | None:
    """The plan to warn about, or None when the shooter is on pace."""
    plan = plan_renewal(facts, today, renewal_date)
    return plan if is_behind(plan, recent_pace(facts, today)) else None


# --- use cases ---------------------------------------------------------------------------------------


async def attendance_summary(
    uow: UnitOfWork, user_id: int, today: dt.date, renewal_date: dt.date | None
) -> AttendanceSummary:
    """The user's session days and matches, and where they stand for `renewal_date` (if set)."""
    async with uow.transaction() as session:
        facts = await session_facts(session, user_id, first_relevant_day(today))
    return summarize(facts, today, renewal_date)


@dataclass(frozen=True)
class Reminder:
    """A user to warn: in their language, the plan they fall behind on and their recent session days."""

    user_id: int
    language: str
    plan: RenewalPlan
    recent_days: int


async def due_reminders(
    uow: UnitOfWork, *, now: dt.datetime | None = None, audience: Audience = EVERYONE
) -> list[Reminder]:
    """The users `audience` reaches who turned reminders on and whose pace falls behind their renewal date;
    each is judged on their own sessions and in their own time zone."""
    async with uow.transaction() as session:
        users = await users_with_reminders(session)
    due = []
    for user in users:
        if not audience.reaches(user.id) or user.renewal_date is None:
            continue
        today = local_now(user.time_zone, now=now).date()
        async with uow.transaction() as session:
            facts = await session_facts(session, user.id, first_relevant_day(today))
        plan = reminder_due(facts, today, user.renewal_date)
        if plan is None:
            continue
        language = i18n.resolve_language(user.language, user.telegram_language)
        due.append(Reminder(user.id, language, plan, round(recent_pace(facts, today) * RECENT_WEEKS)))
    return due
