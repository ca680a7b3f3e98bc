"""A real Synapse homeserver on 127.0.0.1 for the Matrix end-to-end tests, and people who talk to the bot.

Synapse runs from its own virtual environment (`make test` makes `.venv-synapse`; AIMTRACK_SYNAPSE_PYTHON
names another interpreter), because its pinned dependencies are not the bot's. It uses SQLite in a
temporary folder, no federation and no rate limits, and users are made with the shared-secret registration
of its admin API. The config is written as JSON, which is YAML too.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVER_NAME = "localhost"
START_TIMEOUT_S = 90.0
NO_LIMIT = {"per_second": 10_000, "burst_count": 10_000}


def synapse_python() -> Path | None:
    configured = os.environ.get("AIMTRACK_SYNAPSE_PYTHON")
    path = Path(configured) if configured else ROOT / ".venv-synapse" / "bin" / "python"
    return path if path.exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Synapse:
    """`start()` writes the config, makes the signing key and waits until the client API answers."""

    def __init__(self, python: Path, folder: Path) -> None:
        self.python = python
        self.folder = folder
        self.port = _free_port()
        self.secret = secrets.token_hex(16)
        self._process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _config(self) -> dict[str, Any]:
        folder = self.folder
        return {
            "server_name": SERVER_NAME,
            "pid_file": str(folder / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}},
            "log_config": str(folder / "log.config"),
            "media_store_path": str(folder / "media"),
            "signing_key_path": str(folder / "signing.key"),
            "registration_shared_secret": self.secret,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "rc_message": NO_LIMIT,
            "rc_registration": NO_LIMIT,
            "rc_login": {"address": NO_LIMIT, "account": NO_LIMIT, "failed_attempts": NO_LIMIT},
            "rc_joins": {"local": NO_LIMIT, "remote": NO_LIMIT},
            "rc_invites": {"per_room": NO_LIMIT, "per_user": NO_LIMIT, "per_issuer": NO_LIMIT},
            "rc_media_create": NO_LIMIT,
            "max_upload_size": "50M",
        }

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "homeserver.yaml"
        config.write_text(json.dumps(self._config(), indent=1))
        logging = {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": str(self.folder / "homeserver.log"),
                    "formatter": "plain",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (self.folder / "log.config").write_text(json.dumps(logging))
        command = [str(self.python), "-m", "synapse.app.homeserver", "-c", str(config)]
        subprocess.run([*command, "--generate-keys"], check=True, capture_output=True, cwd=self.folder)
        self._process = subprocess.Popen(
            command, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Synapse exited: {self._process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def register(self, prefix: str) -> Account:
        """A new user (`prefix` plus a number, so every test has its own) through the admin API."""
        name, password = f"{prefix}{next(self._names)}", secrets.token_hex(8)
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"notadmin"]))
        answer = httpx.post(
            endpoint,
            json={
                "nonce": nonce,
                "username": name,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            },
            timeout=30,
        )
        answer.raise_for_status()
        body = answer.json()
        return Account(body["user_id"], body["access_token"], password)


@dataclass(frozen=True)
class Account:
    user_id: str
    access_token: str
    password: str


@dataclass
class Person:
    """A Matrix user with a nio client: a direct room with the bot, and what the bot said in it."""

    client: Any  # nio.AsyncClient
    room_id: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)  # the room's timeline, oldest first
    _token: str | None = None
    _read: int = 0  # events already returned by `next_from`

    @classmethod
    def of(cls, homeserver: str, account: Account) -> Person:
        from nio import AsyncClient, AsyncClientConfig

        config = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
        client = AsyncClient(homeserver, account.user_id, config=config)
        client.access_token = account.access_token
        client.user_id = account.user_id
        return cls(client)

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def open_room(self, bot_id: str, *, encrypted: bool = False) -> str:
        from nio import RoomCreateResponse

        state = []
        if encrypted:
            encryption = {"algorithm": "m.megolm.v1.aes-sha2"}
            state.append({"type": "m.room.encryption", "state_key": "", "content": encryption})
        response = await self.client.room_create(is_direct=True, invite=[bot_id], initial_state=state)
        assert isinstance(response, RoomCreateResponse), response
        self.room_id = response.room_id
        await self.sync()
        self._read = len(self.events)
        return self.room_id

    async def sync(self, timeout_ms: int = 0) -> None:
        from nio import SyncResponse

        response = await self.client.sync(timeout=timeout_ms, since=self._token)
        assert isinstance(response, SyncResponse), response
        self._token = response.next_batch
        room = response.rooms.join.get(self.room_id)
        if room is not None:
            self.events += [event.source for event in room.timeline.events]

    async def members(self) -> set[str]:
        response = await self.client.joined_members(self.room_id)
        return {member.user_id for member in getattr(response, "members", [])}

    async def say(self, text: str) -> str:
        return await self.send({"msgtype": "m.text", "body": text})

    async def send(self, content: dict[str, Any], kind: str = "m.room.message") -> str:
        response = await self.client.room_send(self.room_id, kind, content)
        event_id = getattr(response, "event_id", None)
        assert event_id, response
        return event_id

    async def react(self, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send({"m.relates_to": relation}, kind="m.reaction")

    async def upload(self, data: bytes, name: str, mime: str) -> str:
        import io

        response, _ = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=name, filesize=len(data)
        )
        return response.content_uri

    async def next_from(
        self, sender: str, match: Callable[[dict[str, Any]], bool] = lambda _: True, timeout: float = 20.0  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The next event from `sender` (after those returned before) that `match`es."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for index in range(self._read, len(self.events)):
                event = self.events[index]
                if event.get("sender") == sender and match(event):
                    self._read = index + 1
                    return event
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                said = [e.get("content", {}).get("body") for e in self.events[-5:]]
                raise TimeoutError(f"nothing from {sender} within {timeout} s; the room's last: {said}")
            await self.sync(timeout_ms=int(min(left, 2) * 1000))

    async def reply(self, sender: str, timeout: float = 20.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message (not an edit, not a reaction) from `sender`."""

        def message(event: dict[str, Any]) -> bool:
            content = event.get("content", {})
            return event.get("type") == "m.room.message" and "m.new_content" not in content

        return await self.next_from(sender, message, timeout)

    async def edit(self, sender: str, timeout: float = 20.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next edit (`m.replace`) from `sender`; returns its new content."""

        def replacement(event: dict[str, Any]) -> bool:
            return event.get("type") == "m.room.message" and "m.new_content" in event.get("content", {})

        return (await self.next_from(sender, replacement, timeout))["content"]["m.new_content"]

    async def said(self, sender: str, fragment: str, timeout: float = 20.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message or edit from `sender` whose text has `fragment`; returns its (new) content."""

        def showing(event: dict[str, Any]) -> bool:
            content = event.get("content", {})
            return fragment in content.get("m.new_content", content).get("body", "")

        event = await self.next_from(sender, showing, timeout)
        return {"event_id": event["event_id"], **event["content"].get("m.new_content", event["content"])}

    async def close(self) -> None:
        await self.client.close()
