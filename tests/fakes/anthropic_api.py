"""A loopback stand-in for Anthropic's Messages API (`POST /v1/messages`), reached through
ANTHROPIC_BASE_URL. It records every request and answers from a script: a message body (text or tool_use
blocks), an HTTP error status, or a delay longer than the client's timeout. With the script empty it
answers a short text."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler


@dataclass(frozen=True)
class Fail:
    status: int = 500


@dataclass(frozen=True)
class Stall:
    seconds: float


Step = dict[str, Any] | Fail | Stall


def text(answer: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": answer}], "stop_reason": "end_turn"}


def tool_use(name: str, arguments: dict[str, Any], *, say: str | None = None) -> dict[str, Any]:
    """The model asks for a tool (the id is filled in by the fake)."""
    blocks: list[dict[str, Any]] = [{"type": "text", "text": say}] if say else []
    blocks.append({"type": "tool_use", "name": name, "input": arguments})
    return {"content": blocks, "stop_reason": "tool_use"}


class _Messages(RequestHandler):
    def initialize(self, fake: FakeAnthropic) -> None:
        self.fake = fake

    async def post(self) -> None:
        body = json.loads(self.request.body)
        self.fake.requests.append(body)
        self.fake.headers.append({k.lower(): v for k, v in self.request.headers.get_all()})
        step = self.fake.script.pop(0) if self.fake.script else text(self.fake.default_answer)
        if isinstance(step, Stall):
            await asyncio.sleep(step.seconds)
            step = text(self.fake.default_answer)
        if isinstance(step, Fail):
            self.set_status(step.status)
            self.finish({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})
            return
        content = [
            {**block, "id": f"toolu_{next(self.fake.ids)}"} if block["type"] == "tool_use" else block
            for block in step["content"]
        ]
        self.finish(
            {
                "id": f"msg_{next(self.fake.ids)}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": content,
                "stop_reason": step["stop_reason"],
                "stop_sequence": None,
                "usage": {"input_tokens": len(self.request.body) // 4, "output_tokens": 7},
            }
        )


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.script: list[Step] = []
        self.default_answer = "Keep your grip firm."
        self.ids = itertools.count(1)
        self._server: HTTPServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(Application([(r"/v1/messages", _Messages, {"fake": self})]))
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
