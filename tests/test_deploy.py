"""deploy/: what can be checked without a Docker engine or a systemd host.

The image is not built here (no Docker engine on the test machines); these tests check that the files
agree with the code: every setting in .env.example, the commands the Dockerfile and the unit run exist,
the unit parses, and a plain `pip install .` (no source tree beside the packages) still migrates.
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _parser
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VARIABLE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def cli_commands() -> set[str]:
    subparsers = next(
        action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    return set(subparsers.choices)


def assert_runs_a_cli_command(command: str) -> None:
    program, *arguments = shlex.split(command)
    assert Path(program).name == "aimtrack", command
    assert arguments and arguments[0] in cli_commands(), command


def test_env_example_has_every_setting_each_with_a_comment() -> None:
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    found = {}
    for number, line in enumerate(lines):
        if match := VARIABLE.match(line):
            found[match.group(1)] = number
    for name in (field.upper() for field in Settings.model_fields):
        assert name in found, f"{name} is missing from deploy/.env.example"
        above = lines[found[name] - 1]
        assert above.startswith("# ") and not VARIABLE.match(above), f"{name} has no comment of its own"
    unknown = set(found) - {field.upper() for field in Settings.model_fields} - COMPOSE_ONLY
    assert not unknown, f"not settings (a typo?): {unknown}"


def test_env_example_as_it_is_is_a_valid_configuration(tmp_path: Path) -> None:
    settings = Settings(_env_file=DEPLOY / ".env.example", aimtrack_data_dir=tmp_path)
    assert settings.telegram_bot_token is None and settings.aimtrack_allowed_users == frozenset()
    assert str(settings.database_url).startswith("sqlite+aiosqlite:///")


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)  # a repeated key is an error
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / "aimtrack.service").read_text())
    return parser


def test_the_systemd_unit_runs_migrate_then_the_bot_hardened() -> None:
    service = unit()["Service"]
    assert_runs_a_cli_command(service["ExecStartPre"])
    assert_runs_a_cli_command(service["ExecStart"])
    assert shlex.split(service["ExecStartPre"])[1] == "migrate"
    assert shlex.split(service["ExecStart"])[1] == "run"
    assert service["ExecStart"].startswith("/opt/aimtrack/venv/bin/")
    assert service["User"] not in ("root", "0") and service["EnvironmentFile"]
    assert service["Restart"] == "on-failure"
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    environment = dict(item.split("=", 1) for item in shlex.split(service["Environment"]))
    assert environment["AIMTRACK_DATA_DIR"] in service["ReadWritePaths"].split()
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_line_of_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the unit, its programs pointed at a stand-in (there is no /opt here)."""
    stand_in = tmp_path / "aimtrack"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    text = (DEPLOY / "aimtrack.service").read_text().replace("/opt/aimtrack/venv/bin/aimtrack", str(stand_in))
    (tmp_path / "aimtrack.service").write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "aimtrack.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_is_slim_non_root_and_migrates_before_it_runs() -> None:
    instructions = dockerfile()
    kinds = [kind for kind, _ in instructions]
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", dict(instructions)["FROM"])
    user = [arguments for kind, arguments in instructions if kind == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert kinds.index("USER") > max(i for i, (k, a) in enumerate(instructions) if "pip install ." in a)
    environment = " ".join(arguments for kind, arguments in instructions if kind == "ENV")
    data_dir = re.search(r"AIMTRACK_DATA_DIR=(\S+)", environment).group(1)
    assert data_dir in json.loads(dict(instructions)["VOLUME"])
    command = json.loads(dict(instructions)["CMD"])
    assert command[:2] == ["sh", "-c"]
    steps = [step.strip().removeprefix("exec ") for step in command[2].split("&&")]
    assert [shlex.split(step)[1] for step in steps] == ["migrate", "run"]
    for step in steps:
        assert_runs_a_cli_command(step)


def test_the_dockerfile_copies_what_exists_and_everything_the_package_needs() -> None:
    copied = set()
    for kind, arguments in dockerfile():
        if kind == "COPY":
            *sources, _ = arguments.split()
            copied.update(sources)
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    packages = {"bot", "handlers", "conversations", "services", "storage"}
    assert packages | {"pyproject.toml", "alembic", "alembic.ini"} <= copied


def test_compose_runs_the_bot_on_a_healthy_postgresql_with_named_volumes() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert re.search(r"^  postgres:\n", text, re.M) and re.search(r"^  bot:\n", text, re.M)
    assert "healthcheck:" in text and "pg_isready" in text
    assert "condition: service_healthy" in text
    assert re.search(
        r"DATABASE_URL: postgresql\+asyncpg://aimtrack:\$\{POSTGRES_PASSWORD\}@postgres:5432/", text
    )
    assert "dockerfile: deploy/Dockerfile" in text and "env_file: .env" in text
    declared = re.search(r"^volumes:\n((?:  \S+:\n?)+)", text, re.M).group(1).split()
    used = re.findall(r"^      - ([\w-]+):/", text, re.M)
    assert used and {f"{name}:" for name in used} == set(declared)


def test_a_plain_pip_install_migrates_from_its_working_directory(tmp_path: Path) -> None:
    """`pip install .` copies only the packages; the image and the unit run `aimtrack migrate` where
    alembic.ini and alembic/ are (/app, /opt/aimtrack/src)."""
    site, workdir = tmp_path / "site-packages", tmp_path / "app"
    for package in ("bot", "handlers", "conversations", "services", "storage"):
        shutil.copytree(ROOT / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    workdir.mkdir()
    shutil.copy(ROOT / "alembic.ini", workdir)
    shutil.copytree(ROOT / "alembic", workdir / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys, storage; print(storage.__file__); from bot.cli import main; sys.exit(main(['migrate']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=workdir,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "AIMTRACK_DATA_DIR": str(tmp_path / "data")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(site)), "the copied packages were used, not the checkout"
    assert (tmp_path / "data" / "aimtrack.db").stat().st_size > 0
