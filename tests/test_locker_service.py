"""The gear locker without a chat: quantities, the add-item steps, the card, paging and the starter set."""

from __future__ import annotations

import pytest

from core import i18n
from services.packing import starter
from services.packing.conditions import GearProperty
from services.packing.locker import (
    Amount,
    CategoryOption,
    Label,
    Step,
    answer_tap,
    answer_text,
    card,
    draft_of,
    item_values,
    new_draft,
    paging,
    parse_fixed,
    parse_per_day,
    quantity_rule,
    question,
    toggled,
)
from services.validation import InvalidInput
from storage.models import GearCategory, GearItem

CATEGORIES = [CategoryOption(7, "Clothing"), CategoryOption(9, "Toiletries")]


@pytest.mark.parametrize(
    ("text", "value"), [("1", 1.0), ("0.5", 0.5), ("1,5", 1.5), (" 100 ", 100.0), (",25", 0.25)]
)
def test_per_day_amounts_are_read_with_a_point_or_a_comma(text: str, value: float) -> None:
    assert parse_per_day(text) == value


@pytest.mark.parametrize(
    "text", ["0", "-1", "100.5", "1e9", "abc", "", "1.", "nan", "inf", "1,5,5", "0,0001"]
)
def test_bad_per_day_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_per_day(text)
    assert error.value.key == "locker.form.bad_per_day"


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("2", 2), (" 1000 ", 1000)])
def test_fixed_amounts_are_whole_numbers_from_1_to_1000(text: str, value: int) -> None:
    assert parse_fixed(text) == value


@pytest.mark.parametrize("text", ["0", "-1", "1001", "1.5", "1,5", "1e9", "abc", "", "99999"])
def test_bad_fixed_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_fixed(text)
    assert error.value.key == "locker.form.bad_fixed"
    assert error.value.values["maximum"] == 1000


def test_the_quantity_rule_reads_per_day_or_fixed() -> None:
    assert quantity_rule(0.5, 1) == Label("locker.quantity.per_day", {"amount": Amount(0.5)})
    assert quantity_rule(0, 2) == Label("locker.quantity.fixed", {"amount": 2})


def test_adding_an_item_walks_name_category_quantity_properties() -> None:
    draft = new_draft()
    outcome = answer_text(Step.NAME, "  Hiking   boots ", draft, editing=False)
    assert outcome.draft["name"] == "Hiking boots" and outcome.next is Step.CATEGORY
    outcome = answer_tap(Step.CATEGORY, "9", outcome.draft, editing=False, categories=CATEGORIES)
    assert outcome.draft["category_id"] == 9 and outcome.next is Step.QUANTITY
    outcome = answer_tap(Step.QUANTITY, "fixed", outcome.draft, editing=False)
    assert outcome.next is Step.FIXED
    outcome = answer_text(Step.FIXED, "2", outcome.draft, editing=False)
    assert outcome.next is Step.PROPERTIES
    outcome = answer_tap(Step.PROPERTIES, "cold-weather", outcome.draft, editing=False)
    outcome = answer_tap(Step.PROPERTIES, "rain-expected", outcome.draft, editing=False)
    assert outcome.next is Step.PROPERTIES, "a toggle asks the same question again"
    outcome = answer_tap(Step.PROPERTIES, "done", outcome.draft, editing=False)
    assert outcome.next is None
    assert item_values(outcome.draft) == {
        "name": "Hiking boots",
        "category_id": 9,
        "quantity_per_day": 0.0,
        "quantity": 2,
        "properties": ["cold-weather", "rain-expected"],
    }


def test_the_category_step_offers_the_users_categories_none_and_new() -> None:
    asked = question(Step.CATEGORY, new_draft(), editing=False, categories=CATEGORIES)
    assert [c.token for c in asked.choices] == ["7", "9", "none", "new"]
    assert asked.texts[0] == ("locker.form.progress", {"step": 2, "total": 4})
    with pytest.raises(InvalidInput):  # another user's category, or a deleted one
        answer_tap(Step.CATEGORY, "8", new_draft(), editing=False, categories=CATEGORIES)
    new = answer_tap(Step.CATEGORY, "new", new_draft(), editing=False, categories=CATEGORIES)
    assert new.next is Step.NEW_CATEGORY
    typed = answer_text(Step.NEW_CATEGORY, "Camping", new.draft, editing=False)
    assert typed.draft["new_category"] == "Camping" and typed.draft["category_id"] is None
    assert typed.next is Step.QUANTITY
    shortcut = answer_text(Step.CATEGORY, "Camping", new_draft(), editing=False)
    assert shortcut.draft["new_category"] == "Camping", "a name typed at the category step is a category"


def test_a_keyboard_never_holds_more_than_100_buttons() -> None:
    many = [CategoryOption(i, f"C{i}") for i in range(1, 200)]
    asked = question(Step.CATEGORY, new_draft(), editing=False, categories=many)
    assert len(asked.choices) + len(asked.controls) <= 100


def test_typing_at_a_button_step_is_refused() -> None:
    for step in (Step.QUANTITY, Step.PROPERTIES):
        with pytest.raises(InvalidInput) as error:
            answer_text(step, "warm", new_draft(), editing=False)
        assert error.value.key == "locker.form.use_buttons"


def test_bad_names_are_refused_and_the_draft_is_kept() -> None:
    draft = new_draft()
    for text in ("   ", "x" * 2000):
        with pytest.raises(InvalidInput):
            answer_text(Step.NAME, text, draft, editing=False)
    assert draft == new_draft()


def _item(**values: object) -> GearItem:
    defaults: dict[str, object] = {"id": 5, "name": "Socks", "quantity_per_day": 1.0, "quantity": 1}
    return GearItem(**{**defaults, **values})


def test_editing_one_field_runs_its_steps_only_and_offers_keep() -> None:
    draft = draft_of(_item(properties=["warm-weather"]))
    asked = question(Step.QUANTITY, draft, editing=True)
    assert [c.token for c in asked.controls] == ["keep"]
    assert asked.texts[0] == ("locker.form.current", {"value": quantity_rule(1.0, 1)})
    per_day = answer_tap(Step.QUANTITY, "day", draft, editing=True)
    assert per_day.next is Step.PER_DAY
    typed = answer_text(Step.PER_DAY, "1,5", per_day.draft, editing=True)
    assert typed.next is None
    assert item_values(typed.draft, Step.PER_DAY) == {"quantity_per_day": 1.5, "quantity": 1}
    assert answer_tap(Step.NAME, "keep", draft, editing=True).next is None
    assert item_values(answer_text(Step.NAME, "Wool socks", draft, editing=True).draft, Step.NAME) == {
        "name": "Wool socks"
    }


def test_properties_toggle_in_the_enums_order_and_unknown_ones_are_refused() -> None:
    assert toggled(None, "rain-expected") == ["rain-expected"]
    assert toggled(["rain-expected"], "warm-weather") == ["warm-weather", "rain-expected"]
    assert toggled(["rain-expected"], "rain-expected") == []
    with pytest.raises(InvalidInput):
        toggled([], "sunny")
    asked = question(Step.PROPERTIES, {**new_draft(), "properties": ["infant-specific"]}, editing=True)
    assert [(c.token, c.checked) for c in asked.choices][-1] == ("infant-specific", True)
    assert [c.token for c in asked.choices] == [p.value for p in GearProperty]
    assert item_values({**new_draft(), "name": "x"})["properties"] is None, "no properties is stored as None"


def test_the_card_shows_category_quantity_rule_and_properties() -> None:
    item = _item(category=GearCategory(id=7, name="Clothing"), properties=["rain-expected"])
    assert card(item) == [
        ("locker.card.title", {"name": "Socks"}),
        ("locker.card.category", {"value": "Clothing"}),
        ("locker.card.quantity", {"value": quantity_rule(1.0, 1)}),
        ("locker.card.properties", {"value": (Label("locker.property.rain-expected"),)}),
    ]
    bare = card(_item(category=None, quantity_per_day=0, quantity=2))
    assert bare[1][1]["value"] == Label("locker.uncategorised")
    assert bare[3][1]["value"] == Label("locker.card.no_properties")


def test_paging_clamps_the_page() -> None:
    assert paging(0, 3).page == 0 and paging(0, 3).pages == 1
    assert paging(81, 1) == paging(81, 1, 40)
    last = paging(81, 9)
    assert (last.page, last.pages, last.offset) == (2, 3, 80)


def test_the_starter_set_is_translated_when_it_is_made() -> None:
    assert set(starter.name_keys()) <= i18n.catalog("en").keys()
    dutch = starter.materialise(lambda key: i18n.translate("nl", key))
    items, categories = starter.size()
    assert 12 <= items <= 20 and 4 <= categories <= 5
    assert [category.name for category in dutch] == [
        "Kleding",
        "Toiletspullen",
        "Elektronica",
        "Kinderen",
        "Documenten",
    ]
    by_name = {item["name"]: item for category in dutch for item in category.items}
    assert by_name["Sokken"]["quantity_per_day"] == 1
    assert by_name["Regenjas"]["properties"] == ["rain-expected"]
    assert by_name["Zonnebrand"]["properties"] == ["warm-weather"]
    assert by_name["Thermokleding"]["properties"] == ["cold-weather"]
    assert by_name["Luiers"]["properties"] == ["infant-specific"]
    assert by_name["Knuffel"]["properties"] == ["child-specific"]
    assert by_name["Telefoonoplader"]["properties"] is None
