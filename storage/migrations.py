"""Run the alembic migrations from code (`aimtrack migrate`, start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# PostgreSQL: the advisory lock that alembic/env.py holds while migrating, so that bot processes starting
# at the same time migrate one after the other (the later ones find the schema at head).
MIGRATIONS_LOCK = 0x41696D547261636B  # "AimTrack"; user and chat ids (the update locks) stay far below


def _scripts_root() -> Path:
    """The folder of alembic.ini and alembic/: the checkout the packages are in, or — after a plain
    `pip install .`, which installs only the packages — the working directory (the Dockerfile's /app,
    the systemd unit's WorkingDirectory), which then holds the source."""
    return PROJECT_ROOT if (PROJECT_ROOT / "alembic.ini").is_file() else Path.cwd()


def alembic_config(url: str) -> Config:
    root = _scripts_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Call it outside a running event loop (or in a thread)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (alembic's `check`)."""
    command.check(alembic_config(url))
