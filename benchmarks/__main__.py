"""`python -m benchmarks`: run the benchmarks of issue 8 and print the README's Markdown table.

python -m benchmarks            # the sizes of issue 8 (a few minutes)
python -m benchmarks --quick    # tiny sizes: checks that the harness works (seconds)
python -m benchmarks --only taps,load --profile   # some of them, with cProfile's top lines on stderr
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace

from benchmarks import footprint, generation, history, load, taps
from benchmarks.harness import Figure, Profiler, markdown


@dataclass(frozen=True)
class Sizes:
    taps: int = 1000
    list_items: int = 60
    users: int = 50
    rounds: int = 4
    locker: int = 10_000
    sessions: int = 2000
    repeats: int = 10
    updates: int = 10_000


QUICK = Sizes(taps=10, list_items=12, users=3, rounds=1, locker=200, sessions=40, repeats=2, updates=30)
Benchmark = Callable[[Sizes, Profiler], Awaitable[list[Figure]]]
BENCHMARKS: dict[str, Benchmark] = {
    "taps": lambda s, p: taps.run(s.taps, s.list_items, p),
    "load": lambda s, p: load.run(s.users, s.rounds, p),
    "generation": lambda s, p: generation.run(s.locker, s.repeats, p),
    "history": lambda s, p: history.run(s.sessions, s.repeats, p),
    "footprint": lambda s, p: footprint.run(s.updates, s.users, p),
}


def parse(argv: list[str] | None = None) -> tuple[Sizes, list[str], bool]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"comma-separated: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each measured part (top lines on stderr)"
    )
    for name, value in asdict(Sizes()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, help=f"default {value}")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else Sizes()
    chosen = {name: getattr(args, name) for name in asdict(sizes) if getattr(args, name) is not None}
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    return replace(sizes, **chosen), only, args.profile


async def measure(sizes: Sizes, only: list[str], profiler: Profiler) -> list[Figure]:
    figures: list[Figure] = []
    for name in only:
        figures += await BENCHMARKS[name](sizes, profiler)
    return sorted(figures, key=lambda figure: figure.number)


def main(argv: list[str] | None = None) -> int:
    sizes, only, profile = parse(argv)
    # The bot logs every handled error at ERROR; a benchmark is not the place to read them.
    logging.basicConfig(level=logging.CRITICAL)
    started = time.monotonic()
    figures = asyncio.run(measure(sizes, only, Profiler(profile)))
    described = ", ".join(f"{name.replace('_', ' ')} {value:,}" for name, value in asdict(sizes).items())
    print(markdown(figures, described, time.monotonic() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
