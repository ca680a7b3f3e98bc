"""The loopback Bot API emulator, driven by a real PTB Bot / Application and, for raw errors, by httpx."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, ReplyKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken
from telegram.ext import ApplicationBuilder, CommandHandler

from bot.emulator import BotApiEmulator, EmulatedUser

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST"
ANNA = 111
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 3, 2) + b"\x08\x02\x00\x00\x00not-a-real-crc"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="aimtrack_bot") as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as ptb_bot:
        yield ptb_bot


@pytest_asyncio.fixture
async def http(emu: BotApiEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{emu.port}") as client:
        yield client


@pytest.fixture
def anna(emu: BotApiEmulator) -> EmulatedUser:
    return emu.user(ANNA, first_name="Anna", language_code="nl")


def last_error(emu: BotApiEmulator) -> str:
    """The exact description of the last error answer (PTB capitalizes it and drops "Bad Request: ")."""
    return emu.errors[-1][2].description


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in labels_and_data]]
    )


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "aimtrack_bot", True)


async def test_a_wrong_token_is_unauthorized(emu: BotApiEmulator) -> None:
    wrong = Bot("999:WRONG", base_url=emu.base_url)
    with pytest.raises(InvalidToken, match="rejected"):
        await wrong.initialize()
    await wrong.shutdown()


async def test_a_user_command_arrives_with_its_entity(
    bot: Bot, emu: BotApiEmulator, anna: EmulatedUser
) -> None:
    assert emu.user(ANNA) is anna
    await anna.send_text("/start abc")
    await anna.send_text("/help@aimtrack_bot now")
    first, second = await bot.get_updates()
    assert first.message.text == "/start abc" and first.message.from_user.language_code == "nl"
    assert first.message.chat.id == ANNA and first.message.chat.type == "private"
    assert first.message.parse_entities() == {first.message.entities[0]: "/start"}
    assert second.message.entities[0].length == len("/help@aimtrack_bot")
    assert second.message.message_id == first.message.message_id + 1


async def test_updates_are_confirmed_by_the_offset(bot: Bot, anna: EmulatedUser) -> None:
    await anna.send_text("one")
    (update,) = await bot.get_updates()
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id], "unconfirmed: sent again"
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_a_long_poll_returns_as_soon_as_the_user_writes(bot: Bot, anna: EmulatedUser) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await anna.send_text("hello")
    (update,) = await poll
    assert update.message.text == "hello"
    assert time.monotonic() - started < 1


async def test_polling_conflicts_like_telegram(bot: Bot, http: httpx.AsyncClient, anna: EmulatedUser) -> None:
    # PTB allows one getUpdates at a time per Bot, so the competing poller is raw HTTP.
    other = asyncio.create_task(http.post(f"/bot{TOKEN}/getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.05)
    assert await bot.get_updates() == ()
    response = await other
    assert (
        response.status_code == 409
        and "terminated by other getUpdates request" in response.json()["description"]
    )
    await anna.send_text("while a webhook is set")
    await bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_files_dir_keeps_a_copy_of_each_file(tmp_path: Path) -> None:
    emulator = BotApiEmulator(files_dir=tmp_path)
    message = await emulator.user(7).send_document(b"notes", file_name="notes.txt")
    assert message["document"]["mime_type"] == "text/plain"
    copies = [path.read_bytes() for path in tmp_path.rglob("*.txt")]  # noqa: ASYNC240 - a tiny test file
    assert copies == [b"notes"]


async def test_a_tap_on_an_inline_button_is_a_callback_query(bot: Bot, anna: EmulatedUser) -> None:
    sent = await bot.send_message(
        ANNA, "Pick one", reply_markup=keyboard(("Yes", "pick:yes"), ("No", "pick:no"))
    )
    assert anna.last.buttons == [[("Yes", "pick:yes"), ("No", "pick:no")]]
    query_id = await anna.tap(anna.last, "No")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert (query.id, query.data, query.message.message_id) == (query_id, "pick:no", sent.message_id)
    assert query.from_user.id == ANNA

    assert await bot.answer_callback_query(query_id, text="Noted")
    assert anna.callback_answers[0]["text"] == "Noted"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("unknown")


async def test_forged_taps_and_missing_buttons(bot: Bot, anna: EmulatedUser) -> None:
    await bot.send_message(ANNA, "Menu", reply_markup=keyboard(("Go", "go")))
    await anna.tap(anna.last.message_id, "ignored label", data="admin:delete-everything")
    (update,) = await bot.get_updates()
    assert update.callback_query.data == "admin:delete-everything"
    with pytest.raises(LookupError, match=r"its buttons: \['Go'\]"):
        await anna.tap(anna.last, "Stop")


async def test_edits_and_the_not_modified_error(bot: Bot, emu: BotApiEmulator, anna: EmulatedUser) -> None:
    sent = await bot.send_message(ANNA, "Step 1", reply_markup=keyboard(("Next", "next")))
    first = await anna.next_message()
    edited = await bot.edit_message_text(
        "Step 2", ANNA, sent.message_id, reply_markup=keyboard(("Next", "next"))
    )
    assert edited.text == "Step 2" and edited.edit_date is not None
    assert (await anna.next_edit()).text == "Step 2"
    assert first.text == "Step 1", "views are snapshots"
    assert anna.messages[0].text == "Step 2"

    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Step 2", ANNA, sent.message_id, reply_markup=keyboard(("Next", "next")))
    assert last_error(emu) == NOT_MODIFIED
    await bot.edit_message_text("Step 2", ANNA, sent.message_id)
    assert anna.last.buttons == [], "an edit without reply_markup removes the inline keyboard"
    await bot.edit_message_reply_markup(ANNA, sent.message_id, reply_markup=keyboard(("Again", "again")))
    assert (await anna.next_edit()).text == "Step 2" and anna.last.buttons == [[("Again", "again")]]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ANNA, 999)


async def test_deleted_messages_disappear(bot: Bot, anna: EmulatedUser) -> None:
    sent = await bot.send_message(ANNA, "temporary")
    await bot.send_message(ANNA, "stays")
    assert await bot.delete_message(ANNA, sent.message_id)
    assert [message.text for message in anna.messages] == ["stays"]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ANNA, sent.message_id)


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33, ""])
async def test_callback_data_must_be_1_to_64_bytes(
    bot: Bot, emu: BotApiEmulator, anna: EmulatedUser, data: str
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ANNA, "x", reply_markup=markup)
    assert last_error(emu) == "Bad Request: BUTTON_DATA_INVALID"
    assert anna.messages == []


async def test_keyboard_and_text_limits(bot: Bot, anna: EmulatedUser) -> None:
    await bot.send_message(ANNA, "x" * 4096, reply_markup=keyboard(("b", "x" * 64)))
    await bot.send_message(ANNA, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ANNA, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(ANNA, PNG, caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ANNA, "<b> </b>", parse_mode=ParseMode.HTML)
    many = InlineKeyboardMarkup([[InlineKeyboardButton(str(n), callback_data=str(n))] for n in range(101)])
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(ANNA, "x", reply_markup=many)
    assert len(anna.messages) == 2


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<p>paragraph</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Tom & Jerry", "Character '&' at byte offset 4 does not start an HTML entity"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_malformed_html_is_refused(
    bot: Bot, emu: BotApiEmulator, anna: EmulatedUser, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ANNA, html, parse_mode=ParseMode.HTML)
    assert last_error(emu).startswith(f"Bad Request: can't parse entities: {reason}")
    assert anna.messages == []


async def test_html_is_stored_as_plain_text_with_entities(bot: Bot, anna: EmulatedUser) -> None:
    html = (
        '  <b>Hi</b> &lt;you&gt; &amp; <a href="example.org">me</a> '
        '<pre><code class="language-py">x=1</code></pre>\n'
    )
    sent = await bot.send_message(ANNA, html, parse_mode=ParseMode.HTML)
    assert sent.text == "Hi <you> & me x=1"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 2), ("text_link", 11, 2), ("pre", 14, 3)
    ]  # fmt: skip
    assert sent.entities[1].url == "http://example.org/" and sent.entities[2].language == "py"
    assert sent.text_html.startswith("<b>Hi</b> &lt;you&gt;")
    assert anna.last.text == sent.text and anna.last.raw_text == html
    plain = await bot.send_message(ANNA, "1 < 2 & <b>", parse_mode=None)
    assert plain.text == "1 < 2 & <b>"


async def test_a_document_upload_round_trips_through_get_file(bot: Bot, anna: EmulatedUser) -> None:
    payload = b"%PDF-1.4 fake report"
    sent = await bot.send_document(
        ANNA, payload, filename="report.pdf", caption="<i>Your</i> report", parse_mode="HTML"
    )
    document = sent.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "report.pdf",
        "application/pdf",
        20,
    )
    assert sent.caption == "Your report"
    assert anna.last.document.data == payload and anna.last.document.name == "report.pdf"
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload

    again = await bot.send_document(ANNA, document.file_id)
    assert again.document.file_id == document.file_id and anna.last.document.data == payload
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(ANNA, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await bot.send_photo(ANNA, document.file_id)


async def test_a_user_photo_can_be_downloaded_by_the_bot(bot: Bot, anna: EmulatedUser) -> None:
    await anna.send_photo(PNG, caption="my target")
    (update,) = await bot.get_updates()
    largest = update.message.photo[-1]
    assert (largest.width, largest.height, update.message.caption) == (3, 2, "my target")
    file = await bot.get_file(largest)
    assert bytes(await file.download_as_bytearray()) == PNG


async def test_user_documents_locations_and_edits_arrive(bot: Bot, anna: EmulatedUser) -> None:
    await anna.send_document(b"a,b\n1,2\n", file_name="scores.csv", mime_type="text/csv")
    await anna.send_location(52.37, 4.89)
    message = await anna.send_text("typo")
    await anna.edit_text(message["message_id"], "fixed")
    document, location, text, edit = await bot.get_updates()
    assert document.message.document.file_name == "scores.csv"
    assert (
        bytes(await (await bot.get_file(document.message.document)).download_as_bytearray()) == b"a,b\n1,2\n"
    )
    assert (location.message.location.latitude, location.message.location.longitude) == (52.37, 4.89)
    assert text.message.text == "typo"
    assert edit.edited_message.text == "fixed" and edit.edited_message.message_id == message["message_id"]


async def test_a_media_group_sends_one_message_per_item(bot: Bot, anna: EmulatedUser) -> None:
    sent = await bot.send_media_group(ANNA, [InputMediaPhoto(PNG, caption="first"), InputMediaPhoto(PNG)])
    assert len(sent) == 2 and sent[0].media_group_id == sent[1].media_group_id
    assert [(view.photo, view.caption) for view in anna.messages] == [(PNG, "first"), (PNG, None)]
    assert (await anna.next_message()).caption == "first"


async def test_chat_actions_commands_and_reply_keyboards_are_recorded(
    bot: Bot, emu: BotApiEmulator, anna: EmulatedUser
) -> None:
    await bot.send_chat_action(ANNA, "upload_document")
    assert anna.chat_actions == ["upload_document"]
    await bot.set_my_commands([("start", "Begin")])
    await bot.set_my_commands([("start", "Beginnen")], language_code="nl")
    assert emu.commands == {"": [{"command": "start", "description": "Begin"}], "nl": [
        {"command": "start", "description": "Beginnen"}
    ]}  # fmt: skip
    assert [c.description for c in await bot.get_my_commands(language_code="nl")] == ["Beginnen"]
    await bot.send_message(ANNA, "Where?", reply_markup=ReplyKeyboardMarkup([["Here", "There"]]))
    assert anna.reply_keyboard == [["Here", "There"]] and anna.last.buttons == []
    assert ("sendChatAction", {"chat_id": ANNA, "action": "upload_document"}) in emu.calls


async def test_bot_messages_reach_subscribers_and_cursors(
    bot: Bot, emu: BotApiEmulator, anna: EmulatedUser
) -> None:
    seen: list[tuple[int, str | None, bool]] = []
    emu.on_bot_message(lambda chat_id, message, edited: seen.append((chat_id, message.text, edited)))
    sent = await bot.send_message(ANNA, "one")
    await bot.send_message(ANNA, "two")
    await bot.edit_message_text("one!", ANNA, sent.message_id)
    assert seen == [(ANNA, "one", False), (ANNA, "two", False), (ANNA, "one!", True)]
    assert [(await anna.next_message()).text, (await anna.next_message()).text] == ["one", "two"]
    with pytest.raises(TimeoutError, match=r"got no new message from the bot within 0.05s.*'two'"):
        await anna.next_message(timeout=0.05)


async def test_settle_waits_until_the_bot_has_confirmed_and_gone_quiet(
    bot: Bot, emu: BotApiEmulator, anna: EmulatedUser
) -> None:
    await anna.send_text("hi")
    with pytest.raises(TimeoutError, match="1 unconfirmed update"):
        await emu.settle(timeout=0.1)

    async def react() -> None:
        (update,) = await bot.get_updates()
        await asyncio.sleep(0.05)
        await bot.get_updates(offset=update.update_id + 1)
        await asyncio.sleep(0.05)
        await bot.send_message(ANNA, "done")

    reaction = asyncio.create_task(react())
    await emu.settle(idle=0.2, timeout=3)
    assert reaction.done() and anna.last.text == "done"


async def test_raw_http_errors(http: httpx.AsyncClient, emu: BotApiEmulator, anna: EmulatedUser) -> None:
    async def call(method: str, token: str = TOKEN, **kwargs: object) -> tuple[int, dict]:
        response = await http.post(f"/bot{token}/{method}", **kwargs)
        return response.status_code, response.json()

    assert await call("getMe", token="1:nope") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await call("sendSticker") == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert await call("sendmessage", json={"chat_id": 5, "text": "x"}) == (
        400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    )  # fmt: skip
    status, body = await call("sendMessage", data={"chat_id": str(ANNA), "text": ""})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await call("SENDMESSAGE", json={"chat_id": ANNA, "text": "via json"})
    assert status == 200 and body["result"]["text"] == "via json" and body["result"]["from"]["is_bot"]
    status, body = await call("getFile", params={"file_id": "nope"})
    assert (status, body["description"]) == (400, "Bad Request: invalid file_id")
    response = await http.get(f"/file/bot{TOKEN}/documents/none.pdf")
    assert response.status_code == 404
    assert [method for method, _ in emu.calls] == [
        "sendSticker",
        "sendMessage",
        "sendMessage",
        "sendMessage",
        "getFile",
    ]


async def test_a_real_application_polls_the_emulator(emu: BotApiEmulator, anna: EmulatedUser) -> None:
    async def start(update, context) -> None:
        await update.message.reply_text("hi")

    application = (
        ApplicationBuilder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    )
    application.add_handler(CommandHandler("start", start))
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        assert (await anna.ask("/start")).text == "hi"
        assert (await anna.ask("/start@aimtrack_bot")).text == "hi"
        await emu.settle()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage"} <= {method for method, _ in emu.calls}


async def test_the_driver_api_the_bridge_and_the_terminal_chat_use(bot: Bot, emu: BotApiEmulator) -> None:
    """What code outside the emulator relies on: answers heard, messages still there, updates counted,
    calls waited for."""
    anna = emu.user(ANNA, first_name="Anna")
    answers: list[tuple[int, str | None]] = []
    emu.on_callback_answer(lambda chat_id, params: answers.append((chat_id, params.get("text"))))
    assert emu.last_update_id == 0

    calls = len(emu.calls)
    sent = await bot.send_message(ANNA, "Pick one", reply_markup=keyboard(("Yes", "pick:yes")))
    assert await emu.wait_for_call({"sendMessage", "sendPhoto"}, after=calls, timeout=1) == "sendMessage"
    with pytest.raises(TimeoutError):
        await emu.wait_for_call({"sendPhoto"}, after=calls, timeout=0.05)

    assert anna.has_message(sent.message_id) and not anna.has_message(sent.message_id + 1)
    query_id = await anna.tap(sent.message_id, "Yes")
    assert emu.last_update_id == 1, "the tap is the first update"
    await bot.answer_callback_query(query_id, text="Noted")
    assert answers == [(ANNA, "Noted")]

    user_message = await anna.send_text("hello")
    assert emu.last_update_id == 2
    assert not anna.has_message(user_message["message_id"]), "the user's own message is not the bot's"
    await bot.delete_message(ANNA, sent.message_id)
    assert not anna.has_message(sent.message_id), "a deleted message is gone"
