"""A Matrix user's photo or file is downloaded against the size cap, end to end against a real Synapse.

The cap is 1 MB here. A file over it is refused with the "too big" answer and nothing of it is stored;
the bridge reads at most the cap and one chunk of it (counted where aiohttp hands the body over), so a
file declared small but big, or of no declared size at all, never sits whole in memory. A homeserver
without authenticated media (before Matrix 1.11) is asked at its legacy endpoint.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from core.settings import Settings, WeatherProvider
from storage.db import Database
from storage.models import Attachment
from tests.synapse import Person, Synapse
from tests.test_log_session import seed_weapons, small_jpeg
from tests.test_matrix import Bot, started
from tests.test_matrix import synapse as synapse  # the module's Synapse fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CAP = 2**20  # AIMTRACK_MAX_UPLOAD_MB=1
BIG = 3 * 2**20
ONE_CHUNK = 64 * 2**10  # bot/matrix/bridge.py's CHUNK_BYTES
AUTHENTICATED = "/_matrix/client/v1/media/download/"
LEGACY = "/_matrix/media/v3/download/"


class Chunked:
    """A loopback proxy in front of Synapse that sends media downloads chunked, without Content-Length,
    as a homeserver streaming remote media may: the bridge cannot refuse them before reading."""

    def __init__(self, upstream: str, *, legacy_media: bool = False) -> None:
        self.upstream = upstream
        self.legacy_media = legacy_media  # as a homeserver before Matrix 1.11: no authenticated media
        self.refused: list[str] = []
        self.url = ""
        self.media_served = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close the upstream side first: a sync the bot left waiting there ends at once."""
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        path_qs = request.rel_url.path_qs
        if self.legacy_media:
            if request.path.startswith(AUTHENTICATED):
                self.refused.append(request.path)
                return web.json_response({"errcode": "M_UNRECOGNIZED"}, status=404)
            path_qs = path_qs.replace(LEGACY, AUTHENTICATED, 1)  # Synapse serves new media there only
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(
            request.method,
            self.upstream + path_qs,
            headers=headers,
            data=await request.read(),
        ) as upstream:
            keep = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")
            }
            if "/download/" not in request.path:
                return web.Response(status=upstream.status, headers=keep, body=await upstream.read())
            self.media_served += 1
            response = web.StreamResponse(status=upstream.status, headers=keep)
            response.enable_chunked_encoding()
            await response.prepare(request)
            try:
                while chunk := await upstream.content.readany():  # not iter_chunked: that is counted
                    await response.write(chunk)
                await response.write_eof()
            except (ConnectionError, aiohttp.ClientError):
                pass  # the bridge hung up: what it does past the cap
            return response


@pytest.fixture
def read_bytes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Each media body's bytes as the process reads them, counted by wrapping aiohttp's readers: a whole
    body read at once (a media download's `ClientResponse.read`, as nio's `download` does) and one read in
    chunks (`StreamReader.iter_chunked`, which in these tests only the bridge calls)."""
    counts: list[int] = []
    read_whole = aiohttp.ClientResponse.read
    read_chunked = aiohttp.StreamReader.iter_chunked

    async def whole(self: aiohttp.ClientResponse) -> bytes:
        body = await read_whole(self)
        if "/download/" in self.url.path:
            counts.append(len(body))
        return body

    def chunked(self: aiohttp.StreamReader, n: int) -> object:
        counts.append(0)
        index = len(counts) - 1
        chunks = read_chunked(self, n)

        async def counted() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                counts[index] += len(chunk)
                yield chunk

        return counted()

    monkeypatch.setattr(aiohttp.ClientResponse, "read", whole)
    monkeypatch.setattr(aiohttp.StreamReader, "iter_chunked", chunked)
    yield counts


async def serving(synapse: Synapse, tmp_path: Path, database_url: str, homeserver: str) -> tuple[Bot, Person]:
    bot_account = await asyncio.to_thread(synapse.register, "aimtrack")
    alice = Person.of(synapse.url, await asyncio.to_thread(synapse.register, "alice"))
    settings = Settings(
        aimtrack_data_dir=tmp_path,
        database_url=database_url,
        matrix_homeserver=homeserver,
        matrix_user_id=bot_account.user_id,
        matrix_access_token=bot_account.access_token,
        aimtrack_allowed_matrix_users=frozenset({alice.user_id}),
        aimtrack_max_upload_mb=1,
        weather_provider=WeatherProvider.MANUAL,
    )
    bot = Bot(settings)
    await bot.start()
    return bot, alice


def stored_files(folder: Path) -> set[Path]:
    """The files the bot keeps under its data dir, its database aside."""
    return {path for path in folder.rglob("*") if path.is_file() and not path.name.startswith("aimtrack.db")}


async def attachments(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Attachment)) or 0)


async def test_a_file_declared_small_but_big_is_refused_by_its_content_length(
    synapse: Synapse, tmp_path: Path, database_url: str, db: Database, read_bytes: list[int]
) -> None:
    bot, alice = await serving(synapse, tmp_path, database_url, synapse.url)
    try:
        await started(alice, bot, db)
        before = stored_files(tmp_path)
        big = os.urandom(BIG)
        url = await alice.upload(big, "target.jpg", "image/jpeg")
        await alice.send({"msgtype": "m.image", "body": "target.jpg", "url": url, "info": {"size": 1000}})
        answer = (await alice.reply(bot.user_id))["content"]["body"]
        assert answer == "That file is 3.0 MB; I take files up to 1 MB."
        assert await attachments(db) == 0
        assert stored_files(tmp_path) == before
        assert sum(read_bytes) == 0, "refused by the response's Content-Length before reading"
    finally:
        await bot.stop()
        await alice.close()


async def test_a_streamed_file_is_given_up_past_the_cap_and_one_under_it_works(
    synapse: Synapse, tmp_path: Path, database_url: str, db: Database, read_bytes: list[int]
) -> None:
    proxy = Chunked(synapse.url)
    await proxy.start()
    bot, alice = await serving(synapse, tmp_path, database_url, proxy.url)
    try:
        user_id = await started(alice, bot, db)
        await seed_weapons(db, user_id, ("Glock 17", "9mm"))
        await alice.say("log 25m glock 50 shots 471")  # a session for the photo under the cap to join
        await alice.reply(bot.user_id)
        await alice.say("1")
        assert "✅ Saved." in (await alice.edit(bot.user_id))["body"]
        await alice.said(bot.user_id, "AI reflection")
        before = stored_files(tmp_path)
        url = await alice.upload(os.urandom(BIG), "licence.pdf", "application/pdf")
        await alice.send({"msgtype": "m.file", "body": "licence.pdf", "url": url})  # no declared size
        answer = (await alice.said(bot.user_id, "That file"))["body"]
        assert read_bytes and max(read_bytes) <= CAP + ONE_CHUNK, read_bytes
        assert proxy.media_served == 1, "the body came chunked, with no length to refuse it by"
        assert answer == "That file is more than 1 MB; I take files up to 1 MB."
        assert await attachments(db) == 0
        assert stored_files(tmp_path) == before

        photo = small_jpeg()
        url = await alice.upload(photo, "target.jpg", "image/jpeg")
        await alice.send({"msgtype": "m.image", "body": "target.jpg", "url": url})
        question = await alice.said(bot.user_id, "Where does this file belong?")
        assert "1. 🎯 Latest session" in question["body"]
        await alice.say("1")
        assert "✅ Attached to the session of" in (await alice.edit(bot.user_id))["body"]
        async with db.session() as session:
            [row] = (await session.scalars(select(Attachment))).all()
        assert (row.size, row.mime) == (len(photo), "image/jpeg")
        assert read_bytes[-1] == len(photo)
    finally:
        await bot.stop()
        await alice.close()
        await proxy.stop()


async def test_a_homeserver_without_authenticated_media_serves_it_from_the_legacy_endpoint(
    synapse: Synapse, tmp_path: Path, database_url: str, db: Database, read_bytes: list[int]
) -> None:
    proxy = Chunked(synapse.url, legacy_media=True)
    await proxy.start()
    bot, alice = await serving(synapse, tmp_path, database_url, proxy.url)
    try:
        await started(alice, bot, db)
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        url = await alice.upload(pdf, "licence.pdf", "application/pdf")
        await alice.send({"msgtype": "m.file", "body": "licence.pdf", "url": url})
        assert "Where does this file belong?" in (await alice.said(bot.user_id, "belong"))["body"]
        assert len(proxy.refused) == 1 and proxy.media_served == 1
        assert read_bytes == [len(pdf)]
    finally:
        await bot.stop()
        await alice.close()
        await proxy.stop()
