"""A private PostgreSQL cluster for the tests: initdb into a temporary folder (on the RAM disk if there is
one), served on 127.0.0.1 and a free port (its unix socket in the folder too), stopped and removed at the end.

One database is migrated once (the template); each test gets `CREATE DATABASE … TEMPLATE …`, a file copy
that takes milliseconds. PostgreSQL refuses to run as root, so as root the server runs as `postgres`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

BIN_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")
TEMPLATE = "aimtrack_template"
PREFIX = "aimtrack-pg-"
OWNER = "owner.pid"  # the test run's process id, in the cluster's folder
# Tests need durability no more than speed: no fsync, no full pages; many databases and bot processes.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
    "-c wal_level=minimal -c max_wal_senders=0 -c shared_buffers=32MB"
)


def find_bin_dir() -> Path | None:
    """The folder with initdb and pg_ctl: PATH first, then Debian's versioned folders (newest first)."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    candidates = sorted(
        (path for pattern in BIN_DIRS for path in Path("/").glob(pattern.lstrip("/"))),
        key=lambda path: [int(part) if part.isdigit() else 0 for part in path.parent.name.split(".")],
        reverse=True,
    )
    return next(
        (path for path in candidates if (path / "initdb").exists() and (path / "pg_ctl").exists()), None
    )


def _remove_abandoned(root: Path) -> None:
    """Remove the folders of test runs that were killed before they could (their server died with them)."""
    for folder in root.glob(f"{PREFIX}*"):
        try:
            os.kill(int((folder / OWNER).read_text()), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):  # being created, or not ours to judge
            continue


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """One throw-away server. `start()` and `stop()` block; database helpers run their own event loop."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        memory = Path("/dev/shm")  # a RAM disk where there is one: each test copies the template database
        root = memory if memory.is_dir() and os.access(memory, os.W_OK) else Path(tempfile.gettempdir())
        _remove_abandoned(root)
        self.base = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
        (self.base / OWNER).write_text(str(os.getpid()))
        self.data = self.base / "data"
        self.port = 0
        self._server: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)

    def _command(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # postgres will not run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return command

    def start(self) -> None:
        """initdb, then the server as a child of this process (pg_ctl would detach it into a session of its
        own), so that killing the test run's process group (a timeout, Ctrl-C) stops the server too."""
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.base, postgres.pw_uid, postgres.pw_gid)
        initdb = self._command("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        subprocess.run([*initdb, "-E", "UTF8"], check=True, capture_output=True, cwd=self.base)
        self.port = _free_port()
        options = ["-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.base), *SERVER_OPTIONS.split()]
        with (self.base / "server.log").open("wb") as log:
            self._server = subprocess.Popen(
                self._command("postgres", "-D", str(self.data), *options),
                cwd=self.base,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not self._ready():
            if self._server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL did not start: {(self.base / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.05)

    def _ready(self) -> bool:
        """The server says so in its pid file (its 8th line) once it accepts connections."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) > 7 and lines[7].strip() == "ready"

    def stop(self) -> None:
        try:
            if self._server is not None and self._server.poll() is None:
                stop = self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
                subprocess.run(stop, check=False, capture_output=True, cwd=self.base)
                self._server.wait(timeout=30)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, *statements: str) -> None:
        async def run() -> None:
            connection = await asyncpg.connect(
                host="127.0.0.1", port=self.port, user="postgres", database="postgres"
            )
            try:
                for statement in statements:
                    await connection.execute(statement)
            finally:
                await connection.close()

        asyncio.run(run())

    def create_template(self) -> str:
        """Create the empty template database; returns its URL, for the migrations."""
        self._admin(f"CREATE DATABASE {TEMPLATE}")
        return self.url(TEMPLATE)

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database, a copy of the migrated template (or empty); returns its URL."""
        name = f"test_{next(self._names)}"
        copy = f" TEMPLATE {TEMPLATE}" if migrated else ""
        self._admin(f"CREATE DATABASE {name}{copy}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")
