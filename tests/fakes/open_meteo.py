"""A loopback stand-in for Open-Meteo's forecast and archive APIs, answering from stored JSON.

The stored files hold daily series in Open-Meteo's response format; the fake returns the slice between the
request's `start_date` and `end_date`, as the real APIs do, and records every request for assertions.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

DATA = Path(__file__).resolve().parent.parent / "data" / "open_meteo"


class _Daily(RequestHandler):
    def initialize(self, fake: FakeOpenMeteo, kind: str) -> None:
        self.fake = fake
        self.kind = kind

    async def get(self) -> None:
        params = {key: self.get_argument(key) for key in self.request.arguments}
        self.fake.requests.append((self.kind, params))
        if self.fake.stall:
            await asyncio.sleep(self.fake.stall)
        if self.fake.failing:
            self.set_status(503)
            self.finish({"error": True, "reason": "Service unavailable"})
            return
        recorded = self.fake.responses.get(self.kind)
        if recorded is None:
            self.set_status(400)
            self.finish({"error": True, "reason": "No data is available for this location"})
            return
        self.finish(_slice(recorded, params["start_date"], params["end_date"]))


def _slice(recorded: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    answer = copy.deepcopy(recorded)
    daily = answer["daily"]
    keep = [index for index, day in enumerate(daily["time"]) if start <= day <= end]
    answer["daily"] = {key: [values[index] for index in keep] for key, values in daily.items()}
    return answer


class FakeOpenMeteo:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.responses: dict[str, dict[str, Any]] = {}
        self.failing = False  # answer 503
        self.stall = 0.0  # seconds to wait before answering: longer than the client's timeout is a hang
        self._server: HTTPServer | None = None
        self.port = 0

    def use(self, kind: str, file_name: str, *, starting: dt.date | None = None) -> None:
        """Answer `kind` ("forecast" or "archive") from the stored file; with `starting`, its days are moved
        to run from that date (so tests about "the next 16 days" work on any day)."""
        recorded = json.loads((DATA / file_name).read_text())
        if starting is not None:
            days = recorded["daily"]["time"]
            recorded["daily"]["time"] = [
                (starting + dt.timedelta(days=i)).isoformat() for i in range(len(days))
            ]
        self.responses[kind] = recorded

    @property
    def forecast_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/forecast"

    @property
    def archive_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/archive"

    async def start(self) -> None:
        app = Application(
            [
                (r"/v1/forecast", _Daily, {"fake": self, "kind": "forecast"}),
                (r"/v1/archive", _Daily, {"fake": self, "kind": "archive"}),
            ]
        )
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
