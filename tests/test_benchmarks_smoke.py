"""The benchmark harness on tiny sizes, so that it cannot rot (the benchmarks are not run in CI)."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import BENCHMARKS, main, parse
from benchmarks.harness import percentile


def test_the_harness_runs_every_benchmark_and_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--taps", "3", "--repeats", "1"]) == 0
    table = capsys.readouterr().out
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert {row.split("|")[1].strip() for row in rows} == {"1", "2", "3", "4", "5", "6"}
    assert all(row.count("|") == 7 for row in rows), "every row has its six columns"
    assert "Machine: CPU:" in table and "cores:" in table and "Python:" in table


def test_sizes_and_choices_come_from_the_command_line() -> None:
    sizes, only, profile = parse(["--quick", "--users", "7", "--only", "taps,load", "--profile"])
    assert (sizes.users, sizes.taps, only, profile) == (7, 10, ["taps", "load"], True)
    assert parse([])[1] == list(BENCHMARKS)
    with pytest.raises(SystemExit):
        parse(["--only", "nothing"])


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile([3.0], 0.99)) == (50.0, 99.0, 3.0)
