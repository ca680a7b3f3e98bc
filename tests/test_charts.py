"""Charts: the series they draw, and PNGs of the agreed size."""

from __future__ import annotations

import datetime as dt
import struct
import warnings

from services.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    attendance_chart,
    cumulative_days,
    date_label,
    last_months,
    rolling_mean,
    rounds_chart,
    rounds_per_month,
    score_chart,
    score_series,
    scored_distances,
)
from tests.test_export_service import ANSCHUTZ, GLOCK, NONE, entry, session

TODAY = dt.date(2026, 6, 15)
DUTCH_MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def sessions():
    return [
        session(
            1, dt.date(2026, 1, 10), NONE, entry(GLOCK, 50, score=440), entry(ANSCHUTZ, 30, 50, score=270)
        ),
        session(2, dt.date(2026, 2, 10), NONE, entry(GLOCK, 50, score=450), entry(GLOCK, 50, score=460)),
        session(3, dt.date(2026, 2, 20), NONE, entry(GLOCK, 50, distance=10, score=480)),
        session(4, dt.date(2026, 3, 1), NONE, entry(GLOCK, 20)),
        session(5, dt.date(2025, 3, 1), NONE, entry(GLOCK, 99)),
    ]


def test_score_series_per_weapon_and_distance() -> None:
    assert score_series(sessions(), 1, 25) == [(dt.date(2026, 1, 10), 440), (dt.date(2026, 2, 10), 455)]
    assert scored_distances(sessions(), 1) == [10, 25]
    assert scored_distances(sessions(), 2) == [50]
    assert rolling_mean([1, 2, 3, 4, 5, 6], window=3) == [1, 1.5, 2, 3, 4, 5]


def test_rounds_per_month_and_attendance_series() -> None:
    months = last_months(TODAY)
    assert months[0] == (2025, 7) and months[-1] == (2026, 6) and len(months) == 12
    rounds = rounds_per_month(sessions(), months)
    assert list(rounds) == ["Anschütz 1907", "Glock 17"]
    assert rounds["Glock 17"][6:9] == [50, 150, 20], "Jan, Feb, Mar 2026; March 2025 is outside"
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2025, 6, 15), dt.date(2025, 6, 16)]
    assert cumulative_days(days, TODAY) == [(dt.date(2025, 6, 16), 1), (dt.date(2026, 1, 1), 2)]


def test_date_ticks_speak_the_readers_language() -> None:
    assert date_label(dt.date(2026, 3, 1), DUTCH_MONTHS) == "mrt"
    assert date_label(dt.date(2026, 1, 1), DUTCH_MONTHS) == "jan\n2026", "the year under January"
    assert date_label(dt.date(2026, 10, 3), DUTCH_MONTHS) == "3 okt"


def test_charts_are_pngs_of_the_agreed_size() -> None:
    points = score_series(sessions(), 1, 25)
    charts = [
        score_chart(
            points,
            title="Glock 17 at 25 m",
            score_label="Score",
            mean_label="Rolling mean",
            month_names=DUTCH_MONTHS,
        ),
        rounds_chart(
            [f"{m}/{y}" for y, m in last_months(TODAY)],
            rounds_per_month(sessions(), last_months(TODAY)),
            title="Rounds per month",
            rounds_label="Rounds",
        ),
        attendance_chart(
            cumulative_days([s.date for s in sessions()], TODAY),
            TODAY,
            title="Session days",
            days_label="Session days",
            required_label="WM-4 minimum (18)",
            month_names=DUTCH_MONTHS,
        ),
        attendance_chart(
            [], TODAY, title="Nothing yet", days_label="Days", required_label="18", month_names=DUTCH_MONTHS
        ),
        rounds_chart(["Jan"], {}, title="Empty", rounds_label="Rounds"),
    ]
    assert all(png_size(chart) == (WIDTH_PX, HEIGHT_PX) for chart in charts)


def test_a_score_chart_of_one_day_has_dated_ticks_around_it() -> None:
    """One session (or two on the same day) still gets a date axis, not matplotlib's fallback warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chart = score_chart(
            [(TODAY, 440.0), (TODAY, 460.0)],
            title="Glock 17 at 25 m",
            score_label="Score",
            mean_label="Rolling mean",
            month_names=DUTCH_MONTHS,
        )
    assert png_size(chart) == (WIDTH_PX, HEIGHT_PX)
