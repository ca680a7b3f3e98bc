"""End to end: the gear locker (/locker) through the emulator, checked against the database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from conversations.locker_item import CATEGORY_FORM, ITEM_FORM, ItemForm
from services.packing.locker import new_draft
from storage.db import Database
from storage.locker import create_category, create_item
from storage.models import GearCategory, GearItem
from storage.users import ensure_user, set_language
from tests.conftest import ALICE, BOB, StartBot, stop_bot

NOT_FOUND = "That item or category is no longer in your locker."
EXPIRED = "That button is no longer valid."


@pytest.fixture(autouse=True)
async def _no_refused_api_calls(emulator: BotApiEmulator):
    """Every call the bot made was valid (no "message is not modified", no oversized keyboard)."""
    yield
    assert emulator.errors == []


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def data_of(message: MessageView, label: str) -> str:
    return next(data for row in message.buttons for text, data in row if text == label)


async def items_of(db: Database, user_id: int) -> list[GearItem]:
    async with db.session() as session:
        query = select(GearItem).where(GearItem.user_id == user_id).order_by(GearItem.id)
        return list(await session.scalars(query))


async def categories_of(db: Database, user_id: int) -> list[GearCategory]:
    async with db.session() as session:
        query = select(GearCategory).where(GearCategory.user_id == user_id).order_by(GearCategory.id)
        return list(await session.scalars(query))


async def item_named(db: Database, user_id: int, name: str) -> GearItem:
    return next(item for item in await items_of(db, user_id) if item.name == name)


async def last_answer(user: EmulatedUser, emulator: BotApiEmulator) -> str | None:
    await emulator.settle()
    return user.callback_answers[-1].get("text")


async def empty_locker(user: EmulatedUser) -> MessageView:
    """/locker for a new user, declining the starter set: the empty overview."""
    offer = await user.ask("/locker")
    await user.tap(offer, "Start empty")
    return await user.next_edit()


async def with_starter_set(user: EmulatedUser) -> MessageView:
    offer = await user.ask("/locker")
    await user.tap(offer, "Add the starter set")
    return await user.next_edit()


async def test_a_new_user_accepts_the_starter_set_once_in_their_language(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    bram = emulator.user(BOB, first_name="Bram", language_code="nl")
    offer = await bram.ask("/locker")
    assert "Je uitrustingskast is leeg" in offer.text and "18 veelgebruikte items" in offer.text
    assert labels(offer) == ["Startset toevoegen", "Leeg beginnen"]
    await bram.tap(offer, "Startset toevoegen")
    overview = await bram.next_edit()
    assert overview.text.startswith("18 items in 5 categorieën toegevoegd.")
    assert "Kleding (7)" in labels(overview) and "Zonder categorie (0)" in labels(overview)
    assert [c.name for c in await categories_of(db, BOB)] == [
        "Kleding",
        "Toiletspullen",
        "Elektronica",
        "Kinderen",
        "Documenten",
    ]
    items = {item.name: item for item in await items_of(db, BOB)}
    assert len(items) == 18
    assert items["Sokken"].quantity_per_day == 1 and items["Sokken"].properties is None
    assert items["Regenjas"].properties == ["rain-expected"]
    assert items["Zonnebrand"].properties == ["warm-weather"]
    assert items["Thermokleding"].properties == ["cold-weather"] and items["Thermokleding"].quantity == 2
    assert items["Knuffel"].properties == ["child-specific"]
    assert items["Luiers"].properties == ["infant-specific"]

    # The offer's button tapped again (a double tap, an old message): nothing is added twice.
    await bram.tap(offer.message_id, "x", data="lk:starter")
    assert "niet meer leeg" in await last_answer(bram, emulator)
    assert "niet meer leeg" in (await bram.next_edit()).text
    assert len(await items_of(db, BOB)) == 18 and len(await categories_of(db, BOB)) == 5
    overview = await bram.ask("/locker")
    assert "Kleding (7)" in labels(overview), "a filled locker opens on its categories"
    await bram.tap(overview, "Kleding (7)")
    clothing = await bram.next_edit()
    assert "Broeken · 0,5 per dag" in labels(clothing) and "Regenjas · vast: 1" in labels(clothing)


async def test_the_starter_set_speaks_the_language_of_the_moment_it_is_accepted(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice", language_code="en")
    offer = await alice.ask("/locker")
    assert "Your gear locker is empty" in offer.text
    async with db.session() as session:
        await set_language(session, ALICE, "nl")
    await alice.tap(offer, "Add the starter set")
    assert "Kleding (7)" in labels(await alice.next_edit())
    assert "Sokken" in {item.name for item in await items_of(db, ALICE)}


async def test_starting_empty_adds_nothing_and_the_main_menu_opens_the_locker(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/start")
    assert "🎒 Gear locker" in labels(menu)
    await alice.tap(menu, "🎒 Gear locker")
    offer = await alice.next_message()
    await alice.tap(offer, "Start empty")
    overview = await alice.next_edit()
    assert "Your locker is empty" in overview.text
    assert labels(overview) == ["Uncategorised (0)", "➕ Item", "➕ Category"]
    assert await items_of(db, ALICE) == [] and await categories_of(db, ALICE) == []
    assert "/locker" in (await alice.ask("/help")).text


async def _add_category(user: EmulatedUser, screen: MessageView, name: str) -> MessageView:
    await user.tap(screen, "➕ Category")
    assert "new category's name" in (await user.next_message()).text
    return await user.ask(name)


async def test_creating_a_category_and_an_item_through_every_step(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await empty_locker(alice)
    camping = await _add_category(alice, overview, "Camping")
    assert camping.text.startswith("Category “Camping” created.") and "📁 Camping" in camping.text
    assert [c.name for c in await categories_of(db, ALICE)] == ["Camping"]

    await alice.tap(camping, "➕ Item")
    ask_name = await alice.next_message()
    assert "step 1 of 4" in ask_name.text and "What is the item called" in ask_name.text
    ask_category = await alice.ask("Head <torch>")
    assert "step 2 of 4" in ask_category.text
    assert labels(ask_category) == ["Camping", "No category", "➕ New category"]
    await alice.tap(ask_category, "Camping")
    ask_quantity = await alice.next_edit()
    assert labels(ask_quantity) == ["📅 Per day", "🔢 Fixed number"]
    await alice.tap(ask_quantity, "🔢 Fixed number")
    assert "How many, however long" in (await alice.next_edit()).text
    for bad in ("0", "-1", "1e9", "abc", "1001"):
        assert "is not a fixed number" in (await alice.ask(bad)).text
    ask_properties = await alice.ask("2")
    assert "step 4 of 4" in ask_properties.text
    assert labels(ask_properties) == [
        "☐ ☀️ Warm weather",
        "☐ ❄️ Cold weather",
        "☐ 🌧 Rain expected",
        "☐ 🧒 Children",
        "☐ 🧑 Adults",
        "☐ 👶 Infants",
        "✅ Done",
    ]
    assert await items_of(db, ALICE) == [], "nothing is stored before the last step"
    await alice.tap(ask_properties, "☐ 🌧 Rain expected")
    toggled = await alice.next_edit()
    assert "☑ 🌧 Rain expected" in labels(toggled)
    await alice.tap(toggled, "✅ Done")
    saved = await alice.next_edit()
    assert saved.text.startswith("✅ Saved in your locker.")
    assert "Head &lt;torch&gt;" in saved.raw_text, "the name is escaped for HTML"
    assert "Category: Camping" in saved.text and "Quantity: fixed: 2" in saved.text
    assert "Properties: 🌧 Rain expected" in saved.text
    assert labels(saved) == [
        "✏️ Edit name",
        "📁 Category",
        "🔢 Quantity",
        "🏷 Properties",
        "🗑 Delete",
        "« Back",
    ]
    [torch] = await items_of(db, ALICE)
    camping_row = (await categories_of(db, ALICE))[0]
    assert (torch.name, torch.category_id, torch.quantity_per_day, torch.quantity, torch.properties) == (
        "Head <torch>",
        camping_row.id,
        0,
        2,
        ["rain-expected"],
    )

    # The per-day path, with a new category named on the way (created only when the item is saved).
    await alice.tap(saved, "« Back")
    await alice.tap(await alice.next_edit(), "➕ Item")
    await alice.next_message()
    ask_category = await alice.ask("Socks")
    await alice.tap(ask_category, "➕ New category")
    assert "Type the new category's name" in (await alice.next_edit()).text
    ask_quantity = await alice.ask("Clothing")
    await alice.tap(ask_quantity, "📅 Per day")
    await alice.next_edit()
    assert "is not an amount per day" in (await alice.ask("0")).text
    ask_properties = await alice.ask("1,5")
    await alice.tap(ask_properties, "✅ Done")
    saved = await alice.next_edit()
    assert "Quantity: 1.5 per day" in saved.text and "Properties: none (always packed)" in saved.text
    socks = await item_named(db, ALICE, "Socks")
    clothing = next(c for c in await categories_of(db, ALICE) if c.name == "Clothing")
    assert (socks.category_id, socks.quantity_per_day, socks.quantity, socks.properties) == (
        clothing.id,
        1.5,
        1,
        None,
    )


async def test_bad_names_are_refused_and_nothing_changes(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await with_starter_set(alice)
    await alice.tap(overview, "➕ Item")
    await alice.next_message()
    assert "That was empty" in (await alice.ask("   ")).text
    too_long = await alice.ask("x" * 2000)
    assert "the limit is 100" in too_long.text and len(too_long.text) < 300
    assert len(await items_of(db, ALICE)) == 18

    # A category name: the same checks, and a name the user already has is refused.
    overview = await alice.ask("/locker")
    await alice.tap(overview, "➕ Category")
    await alice.next_message()
    assert "That was empty" in (await alice.ask("  ")).text
    assert "the limit is 100" in (await alice.ask("y" * 2000)).text
    assert "already have a category “Clothing”" in (await alice.ask("clothing")).text
    assert len(await categories_of(db, ALICE)) == 5
    assert "Category “Camping” created" in (await alice.ask("Camping")).text


async def test_typing_at_a_button_step_asks_for_the_buttons(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await empty_locker(alice)
    await alice.tap(overview, "➕ Item")
    await alice.next_message()
    ask_category = await alice.ask("Tent")
    await alice.tap(ask_category, "No category")
    await alice.next_edit()
    assert "Please use the buttons above" in (await alice.ask("2")).text
    assert (await alice.ask("/cancel")).text == "Cancelled."
    assert await items_of(db, ALICE) == [] and await categories_of(db, ALICE) == []


async def _open_card(user: EmulatedUser, item: GearItem) -> MessageView:
    message = await user.ask("/locker")
    await user.tap(message.message_id, "x", data=f"lk:item:{item.id}")
    return await user.next_edit()


async def test_toggling_properties_on_an_item_writes_them_at_once(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await with_starter_set(alice)
    socks = await item_named(db, ALICE, "Socks")
    card = await _open_card(alice, socks)
    assert "Properties: none (always packed)" in card.text
    await alice.tap(card, "🏷 Properties")
    screen = await alice.next_edit()
    assert "When should it be packed" in screen.text
    await alice.tap(screen, "☐ ❄️ Cold weather")
    screen = await alice.next_edit()
    assert "☑ ❄️ Cold weather" in labels(screen) and "☐ ☀️ Warm weather" in labels(screen)
    assert (await item_named(db, ALICE, "Socks")).properties == ["cold-weather"]
    await alice.tap(screen, "☐ 🧑 Adults")
    screen = await alice.next_edit()
    assert (await item_named(db, ALICE, "Socks")).properties == ["cold-weather", "adult-specific"]
    await alice.tap(screen, "☑ ❄️ Cold weather")
    screen = await alice.next_edit()
    assert "☐ ❄️ Cold weather" in labels(screen) and "☑ 🧑 Adults" in labels(screen)
    await alice.tap(screen, "☑ 🧑 Adults")
    screen = await alice.next_edit()
    assert (await item_named(db, ALICE, "Socks")).properties is None
    await alice.tap(screen, "✅ Done")
    assert "Properties: none (always packed)" in (await alice.next_edit()).text

    await alice.tap(screen.message_id, "x", data=f"lk:prop:{socks.id}:sunny")
    assert await last_answer(alice, emulator) == EXPIRED
    assert (await item_named(db, ALICE, "Socks")).properties is None


async def test_editing_the_quantity_per_day_with_a_comma_and_bad_amounts(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await with_starter_set(alice)
    charger = await item_named(db, ALICE, "Phone charger")
    card = await _open_card(alice, charger)
    assert "Quantity: fixed: 1" in card.text
    await alice.tap(card, "🔢 Quantity")
    question = await alice.next_edit()
    assert "Now: fixed: 1" in question.text
    assert labels(question) == ["📅 Per day", "🔢 Fixed number", "Keep as it is"]
    await alice.tap(question, "📅 Per day")
    await alice.next_edit()
    for bad in ("-1", "0", "1e9", "abc", "101", "1,2345"):
        assert "is not an amount per day" in (await alice.ask(bad)).text
    assert (await item_named(db, ALICE, "Phone charger")).quantity_per_day == 0
    updated = await alice.ask("0,5")
    assert updated.text.startswith("✅ Updated.") and "Quantity: 0.5 per day" in updated.text
    charger = await item_named(db, ALICE, "Phone charger")
    assert (charger.quantity_per_day, charger.quantity) == (0.5, 1)

    # Back to a fixed number; Keep leaves a field as it is.
    await alice.tap(updated, "🔢 Quantity")
    await alice.tap(await alice.next_edit(), "🔢 Fixed number")
    await alice.next_edit()
    assert "Quantity: fixed: 3" in (await alice.ask("3")).text
    charger = await item_named(db, ALICE, "Phone charger")
    assert (charger.quantity_per_day, charger.quantity) == (0, 3)
    card = await _open_card(alice, charger)
    await alice.tap(card, "✏️ Edit name")
    question = await alice.next_edit()
    assert "Editing “Phone charger”" in question.text
    await alice.tap(question, "Keep as it is")
    assert "Phone charger" in (await alice.next_edit()).text
    assert (await item_named(db, ALICE, "Phone charger")).quantity == 3


async def test_renaming_an_item_and_moving_it_to_another_category(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await with_starter_set(alice)
    wallet = await item_named(db, ALICE, "Wallet and bank cards")
    card = await _open_card(alice, wallet)
    await alice.tap(card, "✏️ Edit name")
    await alice.next_edit()
    assert "the limit is 100" in (await alice.ask("w" * 2000)).text
    card = await alice.ask("Wallet")
    assert card.text.startswith("✅ Updated.\n\n🎒 Wallet\n")
    assert (await item_named(db, ALICE, "Wallet")).id == wallet.id
    await alice.tap(card, "📁 Category")
    question = await alice.next_edit()
    assert labels(question)[:5] == ["Children", "Clothing", "Documents", "Electronics", "Toiletries"]
    await alice.tap(question, "No category")
    assert "Category: Uncategorised" in (await alice.next_edit()).text
    wallet = await item_named(db, ALICE, "Wallet")
    assert wallet.category_id is None


async def test_deleting_a_category_leaves_its_items_uncategorised(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await with_starter_set(alice)
    await alice.tap(overview, "Clothing (7)")
    clothing = await alice.next_edit()
    assert "📁 Clothing" in clothing.text and "Socks · 1 per day" in labels(clothing)
    assert "Trousers · 0.5 per day" in labels(clothing) and "Rain jacket · fixed: 1" in labels(clothing)
    await alice.tap(clothing, "🗑 Delete category")
    question = await alice.next_edit()
    assert "Its 7 item(s) stay in your locker, uncategorised" in question.text
    assert await categories_of(db, ALICE) != [] and len(await categories_of(db, ALICE)) == 5, "asked first"
    await alice.tap(question, "🗑 Yes, delete it")
    after = await alice.next_edit()
    assert after.text.startswith("Category “Clothing” deleted; 7 item(s) are now uncategorised.")
    assert "Uncategorised (7)" in labels(after) and "Clothing (7)" not in labels(after)
    assert "Clothing" not in {c.name for c in await categories_of(db, ALICE)}
    items = await items_of(db, ALICE)
    assert len(items) == 18, "the items stay"
    assert sum(item.category_id is None for item in items) == 7
    await alice.tap(after, "Uncategorised (7)")
    assert "Socks · 1 per day" in labels(await alice.next_edit())

    # Tapping the confirmation again (the category is gone): answered like missing.
    await alice.tap(question.message_id, "x", data=data_of(question, "🗑 Yes, delete it"))
    assert await last_answer(alice, emulator) == NOT_FOUND


async def test_renaming_a_category(bot: AimTrackApplication, emulator: BotApiEmulator, db: Database) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await with_starter_set(alice)
    await alice.tap(overview, "Documents (2)")
    await alice.tap(await alice.next_edit(), "✏️ Rename")
    assert "Type a new name for “Documents”" in (await alice.next_message()).text
    assert "already have a category “Clothing”" in (await alice.ask("CLOTHING")).text
    renamed = await alice.ask("Papers")
    assert renamed.text.startswith("Category renamed to “Papers”.") and "📁 Papers" in renamed.text
    assert "Papers" in {c.name for c in await categories_of(db, ALICE)}


async def test_deleting_an_item(bot: AimTrackApplication, emulator: BotApiEmulator, db: Database) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    await with_starter_set(alice)
    sunscreen = await item_named(db, ALICE, "Sunscreen")
    card = await _open_card(alice, sunscreen)
    await alice.tap(card, "🗑 Delete")
    question = await alice.next_edit()
    assert "Delete “Sunscreen” from your locker?" in question.text
    assert len(await items_of(db, ALICE)) == 18, "asked first"
    await alice.tap(question, "🗑 Yes, delete it")
    after = await alice.next_edit()
    assert after.text.startswith("“Sunscreen” deleted.") and "📁 Toiletries" in after.text
    assert "Sunscreen · fixed: 1" not in labels(after)
    assert "Sunscreen" not in {item.name for item in await items_of(db, ALICE)}
    assert len(await items_of(db, ALICE)) == 17


async def test_a_long_category_is_paged(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    async with db.session() as session:
        await ensure_user(session, ALICE, "Alice")
        bulk = await create_category(session, ALICE, "Bulk")
        for number in range(1, 46):
            await create_item(session, ALICE, name=f"Thing {number:02}", category_id=bulk.id)
    overview = await alice.ask("/locker")
    await alice.tap(overview, "Bulk (45)")
    first = await alice.next_edit()
    assert "Page 1 of 2" in first.text
    assert sum(label.startswith("Thing") for label in labels(first)) == 40
    assert "Next ▶" in labels(first) and "◀ Previous" not in labels(first)
    await alice.tap(first, "Next ▶")
    second = await alice.next_edit()
    things = [label for label in labels(second) if label.startswith("Thing")]
    assert things[0] == "Thing 41 · fixed: 1" and len(things) == 5 and "◀ Previous" in labels(second)


async def test_forged_buttons_for_another_users_rows_change_nothing(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    async with db.session() as session:
        await ensure_user(session, BOB, "Bob")
        bobs_category = await create_category(session, BOB, "Bob's bag")
        bobs_item = await create_item(session, BOB, name="Bob's boots", category_id=bobs_category.id)
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await empty_locker(alice)
    forged = [
        f"lk:item:{bobs_item.id}",
        f"lk:props:{bobs_item.id}",
        f"lk:prop:{bobs_item.id}:warm-weather",
        f"lk:del:{bobs_item.id}",
        f"lk:delok:{bobs_item.id}",
        f"lk:cat:{bobs_category.id}",
        f"lk:cdel:{bobs_category.id}",
        f"lk:cdelok:{bobs_category.id}",
        f"lf:edit:{bobs_item.id}:name",
        f"lf:cren:{bobs_category.id}",
    ]
    for data in forged:
        await alice.tap(overview, "x", data=data)
        assert await last_answer(alice, emulator) == NOT_FOUND, data
    for data in ("lk:nonsense", f"lk:item:{bobs_item.id}:x", "lk:cat:abc", f"lf:edit:{bobs_item.id}:props"):
        await alice.tap(overview, "x", data=data)
        assert await last_answer(alice, emulator) == EXPIRED, data

    # Inside the add-item flow, Bob's category is not among the choices.
    await alice.tap(overview, "➕ Item")
    await alice.next_message()
    ask_category = await alice.ask("Tent")
    await alice.tap(ask_category, "x", data=f"lf:cat:{bobs_category.id}")
    assert await last_answer(alice, emulator) == EXPIRED
    assert "Alice" not in str(await items_of(db, BOB))
    [boots] = await items_of(db, BOB)
    assert (boots.name, boots.category_id, boots.properties) == ("Bob's boots", bobs_category.id, None)
    assert [c.name for c in await categories_of(db, BOB)] == ["Bob's bag"]
    assert await items_of(db, ALICE) == [] and await categories_of(db, ALICE) == []
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(GearItem)) == 1


async def test_adding_an_item_resumes_after_a_restart(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    application = await start_bot()
    alice = emulator.user(ALICE, first_name="Alice")
    overview = await empty_locker(alice)
    await alice.tap(overview, "➕ Item")
    await alice.next_message()
    ask_category = await alice.ask("Tent")
    await alice.tap(ask_category, "No category")
    ask_quantity = await alice.next_edit()
    await stop_bot(application)
    await start_bot()
    await alice.tap(ask_quantity, "🔢 Fixed number")
    await alice.next_edit()
    ask_properties = await alice.ask("1")
    await alice.tap(ask_properties, "✅ Done")
    assert "✅ Saved in your locker." in (await alice.next_edit()).text
    [tent] = await items_of(db, ALICE)
    assert (tent.name, tent.category_id, tent.quantity) == ("Tent", None, 1)


def test_an_item_form_saved_before_drafts_had_versions_still_loads() -> None:
    old = {"item_id": 7, "field": "qty", "draft": {**new_draft(), "name": "Socks"}}
    user_data = {"locker_item_form": old, "locker_category_form": {"category_id": 3}}
    assert ITEM_FORM.load(user_data) == ItemForm(**old)
    assert CATEGORY_FORM.load(user_data).category_id == 3
    ITEM_FORM.save(user_data, ItemForm(**old))
    assert ITEM_FORM.load(json.loads(json.dumps(user_data))) == ItemForm(**old)
