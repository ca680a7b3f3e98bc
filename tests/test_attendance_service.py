"""The WM-4 attendance rules (services/attendance.py): plain functions over (date, competition) facts."""

from __future__ import annotations

import datetime as dt

import pytest

from services.attendance import (
    RenewalPlan,
    days_in_last_year,
    is_behind,
    match_days,
    plan_renewal,
    recent_pace,
    reminder_due,
    required_pace,
    summarize,
    time_left,
    year_before,
)
from storage.models import Competition

TODAY = dt.date(2026, 11, 22)
NONE, KNSA, CLUB = Competition.NONE, Competition.KNSA, Competition.CLUB


def days_ago(*offsets: int, kind: Competition = NONE) -> list[tuple[dt.date, Competition]]:
    return [(TODAY - dt.timedelta(days=offset), kind) for offset in offsets]


def plan(needed: int, days_left: int, **overrides: object) -> RenewalPlan:
    values: dict[str, object] = {
        "renewal_date": TODAY + dt.timedelta(days=days_left),
        "counted": 18 - needed,
        "needed": needed,
        "days_left": days_left,
        "passed": False,
        "window_started": True,
    }
    values.update(overrides)
    return RenewalPlan(**values)


def test_year_before_handles_a_leap_day() -> None:
    assert year_before(dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert year_before(TODAY) == dt.date(2025, 11, 22)


def test_days_count_once_and_only_within_the_last_twelve_months() -> None:
    facts = [
        *days_ago(0, 0, 10, 364),  # two sessions today count as one day
        *days_ago(365),  # 22 Nov 2025: exactly a year ago, outside the 12 months
        *days_ago(-1),  # tomorrow (never logged, but not counted if it were)
    ]
    assert days_in_last_year(facts, TODAY) == 3


def test_matches_are_distinct_days_of_this_calendar_year_per_kind() -> None:
    facts = [
        (dt.date(2026, 3, 1), KNSA),
        (dt.date(2026, 3, 1), KNSA),
        (dt.date(2026, 5, 1), KNSA),
        (dt.date(2025, 12, 31), KNSA),
        (dt.date(2026, 6, 1), CLUB),
    ]
    assert match_days(facts, 2026, KNSA) == 2
    assert match_days(facts, 2026, CLUB) == 1


def test_summary_against_the_minimum_and_the_competition_rule() -> None:
    facts = [*days_ago(*range(1, 16)), *days_ago(20, 30, kind=KNSA), *days_ago(40, 50, 60, kind=CLUB)]
    summary = summarize(facts, TODAY)
    assert summary.since == dt.date(2025, 11, 23)
    assert (summary.session_days, summary.days_short) == (20, 0)
    assert (summary.knsa_matches, summary.club_matches) == (2, 3)
    assert not summary.competition_met
    assert summary.renewal is None
    more = summarize([*facts, *days_ago(70, kind=KNSA)], TODAY)
    assert more.competition_met


def test_a_renewal_counts_only_the_days_in_its_own_twelve_months() -> None:
    renewal = TODAY + dt.timedelta(days=63)  # 24 Jan 2027: its window opens after 24 Jan 2026
    facts = days_ago(*range(0, 16), 320)  # 320 days ago is 6 Jan 2026: before that window
    result = plan_renewal(facts, TODAY, renewal)
    assert (result.counted, result.needed, result.days_left) == (16, 2, 63)
    assert result.window_started and not result.passed and result.reachable
    assert time_left(result) == ("attendance.in_weeks", {"weeks": 9})
    assert required_pace(result) == ("attendance.pace_every_weeks", {"weeks": 4}), "9 weeks / 2, rounded down"


def test_a_renewal_more_than_a_year_away_has_not_opened_its_window() -> None:
    result = plan_renewal(days_ago(1, 2), TODAY, TODAY + dt.timedelta(days=400))  # 27 Dec 2027
    assert (result.counted, result.needed, result.days_left) == (0, 18, 365)
    assert not result.window_started


def test_a_passed_renewal_date() -> None:
    result = plan_renewal(days_ago(1), TODAY, TODAY - dt.timedelta(days=1))
    assert result.passed and result.days_left == 0


@pytest.mark.parametrize(
    ("needed", "days_left", "expected"),
    [
        (0, 60, None),
        (2, 63, ("attendance.pace_every_weeks", {"weeks": 4})),
        (5, 49, ("attendance.pace_weekly", {})),
        (10, 35, ("attendance.pace_per_week", {"count": 2})),
        (3, 5, ("attendance.pace_now", {})),
        (6, 5, None),  # unreachable
    ],
)
def test_the_pace_needed(needed: int, days_left: int, expected: object) -> None:
    assert required_pace(plan(needed, days_left)) == expected


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (20, ("attendance.in_weeks", {"weeks": 2})),
        (13, ("attendance.in_days", {"days": 13})),
        (1, ("attendance.in_one_day", {})),
    ],
)
def test_time_left(days_left: int, expected: object) -> None:
    assert time_left(plan(1, days_left)) == expected


def test_recent_pace_is_session_days_per_week_over_eight_weeks() -> None:
    assert recent_pace(days_ago(0, 0, 7, 14, 55, 56), TODAY) == 4 / 8


@pytest.mark.parametrize(
    ("needed", "days_left", "pace", "behind"),
    [
        (4, 70, 0.5, False),  # 10 weeks at half a day a week brings 5 >= 4
        (6, 70, 0.5, True),  # ... but not 6: the pace falls behind
        (11, 70, 2.0, True),  # 11 needed in 10 weeks: more than one a week, whatever the pace
        (10, 70, 1.0, False),  # exactly one a week at a weekly pace
        (0, 70, 0.0, False),  # nothing needed
    ],
)
def test_the_reminder_rule(needed: int, days_left: int, pace: float, behind: bool) -> None:
    assert is_behind(plan(needed, days_left), pace) is behind


def test_the_reminder_rule_is_quiet_for_a_passed_or_far_renewal() -> None:
    assert not is_behind(plan(10, 0, passed=True), 0.0)
    assert not is_behind(plan(18, 365, window_started=False), 0.0)


def test_reminder_due_combines_the_plan_and_the_recent_pace() -> None:
    renewal = TODAY + dt.timedelta(weeks=10)
    lagging = days_ago(*range(60, 70), 3, 10)  # 12 days, 2 of them in the last 8 weeks: 6 more needed
    due = reminder_due(lagging, TODAY, renewal)
    assert due is not None and due.needed == 6
    steady = days_ago(*range(60, 70), *range(0, 56, 7))  # 18 days: nothing needed
    assert reminder_due(steady, TODAY, renewal) is None
