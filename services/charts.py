"""Charts of a shooter's own log as PNG bytes: scores per session, rounds per month, attendance.

The series are plain functions over `ExportSession`s (testable without drawing). The drawing functions
import matplotlib (Agg, through `Figure`, so no global pyplot state) only when called, which keeps the
bot's start-up fast; they block: run them with `asyncio.to_thread`. Words come in from the caller.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from statistics import fmean
from typing import TYPE_CHECKING, cast

from services.attendance import REQUIRED_DAYS, year_before
from services.exports.session_export import ExportSession

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_PX, HEIGHT_PX, DPI = 1000, 600, 100
ROLLING_WINDOW = 5
Month = tuple[int, int]  # (year, month)


# --- series ------------------------------------------------------------------------------------------


def score_series(
    sessions: Iterable[ExportSession], weapon_id: int, distance_m: int
) -> list[tuple[dt.date, float]]:
    """One point per session with a score for this weapon at this distance (the mean of its entries)."""
    points = []
    for row in sorted(sessions, key=lambda s: (s.date, s.id)):
        scores = [
            e.score
            for e in row.entries
            if e.weapon_id == weapon_id and e.distance_m == distance_m and e.score is not None
        ]
        if scores:
            points.append((row.date, fmean(scores)))
    return points


def scored_distances(sessions: Iterable[ExportSession], weapon_id: int) -> list[int]:
    """The distances at which this weapon has a score, shortest first."""
    return sorted(
        {
            e.distance_m
            for row in sessions
            for e in row.entries
            if e.weapon_id == weapon_id and e.score is not None
        }
    )


def rolling_mean(values: Sequence[float], window: int = ROLLING_WINDOW) -> list[float]:
    """The mean of each value and the ones before it, at most `window` in all."""
    return [fmean(values[max(0, i - window + 1) : i + 1]) for i in range(len(values))]


def last_months(today: dt.date, count: int = 12) -> list[Month]:
    """The `count` calendar months up to and including today's, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def rounds_per_month(sessions: Iterable[ExportSession], months: Sequence[Month]) -> dict[str, list[int]]:
    """Shots fired per weapon in each of `months`; weapons without shots in them are left out."""
    index = {month: i for i, month in enumerate(months)}
    rounds: dict[str, list[int]] = {}
    for row in sessions:
        slot = index.get((row.date.year, row.date.month))
        if slot is None:
            continue
        for entry in row.entries:
            rounds.setdefault(entry.weapon, [0] * len(months))[slot] += entry.shot_count
    return dict(sorted(rounds.items(), key=lambda item: item[0].casefold()))


def cumulative_days(days: Iterable[dt.date], today: dt.date) -> list[tuple[dt.date, int]]:
    """Distinct session days in the last 12 months, counted up: (day, days so far), oldest first."""
    since = year_before(today) + dt.timedelta(days=1)
    counted = sorted({day for day in days if since <= day <= today})
    return [(day, number) for number, day in enumerate(counted, start=1)]


# --- drawing -----------------------------------------------------------------------------------------


def _figure() -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def date_label(day: dt.date, month_names: Sequence[str]) -> str:
    """A date axis tick in the reader's language: "mrt", the year under January, "3 mrt" within a month.

    (matplotlib's own month names follow the process locale, not the user's language.)"""
    name = month_names[day.month - 1]
    if day.day != 1:
        return f"{day.day} {name}"
    return f"{name}\n{day.year}" if day.month == 1 else name


def _on_axis(days: Sequence[dt.date]) -> list[float]:
    """Dates as matplotlib's axes take them: its unit converters read dates, though its hints name numbers."""
    return cast("list[float]", list(days))


def _date_axis(axes: Axes, month_names: Sequence[str]) -> None:
    """Date ticks labelled in the reader's language (matplotlib's date helpers have no type hints)."""
    from matplotlib import dates, ticker

    def label(value: float, _position: int | None) -> str:
        return date_label(dates.num2date(value).date(), month_names)

    axes.xaxis.set_major_locator(dates.AutoDateLocator(maxticks=8))
    axes.xaxis.set_major_formatter(ticker.FuncFormatter(label))


def score_chart(
    points: Sequence[tuple[dt.date, float]],
    *,
    title: str,
    score_label: str,
    mean_label: str,
    month_names: Sequence[str],
) -> bytes:
    """The score of each session as dots and its rolling mean as a line."""
    figure = _figure()
    axes = figure.add_subplot()
    days = [day for day, _ in points]
    scores = [score for _, score in points]
    axes.plot(_on_axis(days), scores, "o", color="#1f77b4", alpha=0.6, label=score_label)
    mean = rolling_mean(scores)
    axes.plot(_on_axis(days), mean, "-", color="#d62728", linewidth=2, label=mean_label)
    axes.set_title(title)
    axes.set_ylabel(score_label)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best")
    if days and min(days) == max(days):  # one day: a week around it, or matplotlib has no date ticks to pick
        week = (days[0] - dt.timedelta(days=3), days[0] + dt.timedelta(days=3))
        axes.set_xlim(*_on_axis(week))
    _date_axis(axes, month_names)
    return _png(figure)


def rounds_chart(
    months: Sequence[str], rounds: Mapping[str, Sequence[int]], *, title: str, rounds_label: str
) -> bytes:
    """Shots per month as bars stacked per weapon."""
    figure = _figure()
    axes = figure.add_subplot()
    bottom = [0] * len(months)
    for weapon, counts in rounds.items():
        axes.bar(months, counts, bottom=bottom, label=weapon)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_title(title)
    axes.set_ylabel(rounds_label)
    axes.grid(True, axis="y", alpha=0.3)
    if rounds:
        axes.legend(loc="upper left", fontsize="small")
    axes.tick_params(axis="x", labelrotation=45)
    return _png(figure)


def attendance_chart(
    points: Sequence[tuple[dt.date, int]],
    today: dt.date,
    *,
    title: str,
    days_label: str,
    required_label: str,
    month_names: Sequence[str],
) -> bytes:
    """Session days counted up over the last 12 months, against the WM-4 minimum."""
    from matplotlib import ticker

    since = year_before(today) + dt.timedelta(days=1)
    figure = _figure()
    axes = figure.add_subplot()
    days = [since, *(day for day, _ in points), today]
    counts = [0, *(count for _, count in points), points[-1][1] if points else 0]
    axes.step(
        _on_axis(days),
        counts,
        where="post",
        color="#1f77b4",
        linewidth=2,
        label=days_label,
    )
    axes.axhline(REQUIRED_DAYS, color="#d62728", linestyle="--", label=required_label)
    axes.set_xlim(*_on_axis((since, today)))
    axes.set_ylim(0, max(REQUIRED_DAYS, counts[-1]) + 2)
    axes.set_title(title)
    axes.set_ylabel(days_label)
    axes.grid(True, alpha=0.3)
    axes.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    axes.legend(loc="upper left")
    _date_axis(axes, month_names)
    return _png(figure)
