"""The gear locker without a chat: quantities, the add-item steps, the item card and paging.

An item is added in a fixed series of steps (name → category → quantity → properties); editing one field
runs that field's steps only. Each function takes and returns plain data (a draft is a JSON-ready dict
keyed by column, texts are `(catalog key, values)` pairs), so any transport can ask the same questions;
the chat layer only turns choices into buttons and taps into tokens.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.packing.conditions import GearProperty
from services.texts import Amount, Label, Text
from services.validation import InvalidInput, parse_name
from storage.models import GearCategory, GearItem

MAX_PER_DAY = 100.0
MAX_FIXED = 1000
PAGE_SIZE = 40  # buttons of items (or categories) on one screen; a keyboard holds at most 100
MAX_CATEGORY_CHOICES = 90  # the category step's buttons; beyond them, typing a category's name works

PROPERTIES: tuple[GearProperty, ...] = tuple(GearProperty)
_KNOWN_PROPERTIES = frozenset(p.value for p in PROPERTIES)


# --- quantities ------------------------------------------------------------------------------------

_DECIMAL = re.compile(r"(?=[.,]?\d)\d{0,3}(?:[.,]\d{1,3})?")
_WHOLE = re.compile(r"\d{1,4}")


def parse_per_day(text: str) -> float:
    """How many per day: above 0 and at most 100, with a point or a comma (`1`, `0.5`, `1,5`)."""
    cleaned = text.strip()
    if _DECIMAL.fullmatch(cleaned):
        value = float(cleaned.replace(",", "."))
        if 0 < value <= MAX_PER_DAY:
            return value
    raise InvalidInput("locker.form.bad_per_day", {"value": cleaned[:20], "maximum": int(MAX_PER_DAY)})


def parse_fixed(text: str) -> int:
    """A fixed number to pack: a whole number from 1 to 1000."""
    cleaned = text.strip()
    if _WHOLE.fullmatch(cleaned) and 1 <= int(cleaned) <= MAX_FIXED:
        return int(cleaned)
    raise InvalidInput("locker.form.bad_fixed", {"value": cleaned[:20], "minimum": 1, "maximum": MAX_FIXED})


def quantity_rule(quantity_per_day: float, quantity: int) -> Label:
    """ "1 per day" or "fixed: 2" (`quantity_per_day` 0 means a fixed quantity)."""
    if quantity_per_day > 0:
        return Label("locker.quantity.per_day", {"amount": Amount(quantity_per_day)})
    return Label("locker.quantity.fixed", {"amount": quantity})


# --- properties ------------------------------------------------------------------------------------


def property_label(prop: GearProperty | str) -> Label:
    return Label(f"locker.property.{GearProperty(prop).value}")


def toggled(properties: Sequence[str] | None, value: str) -> list[str]:
    """The properties with `value` switched on or off, in the enum's order; an unknown value raises."""
    try:
        prop = GearProperty(value)
    except ValueError:
        raise InvalidInput("common.expired_button") from None
    chosen = set(properties or ()) ^ {prop.value}
    return [p.value for p in PROPERTIES if p.value in chosen]


def stored_properties(properties: Sequence[str]) -> list[str] | None:
    """The column value: None rather than an empty list (an item without conditions has no properties)."""
    return list(properties) or None


# --- the add-item steps ----------------------------------------------------------------------------


class Step(enum.StrEnum):
    """The questions; the values are short because they travel in callback data."""

    NAME = "name"
    CATEGORY = "cat"
    NEW_CATEGORY = "newcat"  # typing the name of a new category for the item
    QUANTITY = "qty"  # per day or fixed?
    PER_DAY = "day"  # typing the amount per day
    FIXED = "fixed"  # typing the fixed amount
    PROPERTIES = "props"


# The steps of adding an item, in order; editing runs one of these (with its follow-up steps).
MAIN_STEPS: tuple[Step, ...] = (Step.NAME, Step.CATEGORY, Step.QUANTITY, Step.PROPERTIES)
EDITABLE: tuple[Step, ...] = (Step.NAME, Step.CATEGORY, Step.QUANTITY)
_MAIN_STEP_OF = {Step.NEW_CATEGORY: Step.CATEGORY, Step.PER_DAY: Step.QUANTITY, Step.FIXED: Step.QUANTITY}
_COLUMNS = {
    Step.NAME: ("name",),
    Step.CATEGORY: ("category_id",),
    Step.QUANTITY: ("quantity_per_day", "quantity"),
    Step.PROPERTIES: ("properties",),
}

# Tokens of buttons that are not a category id or a property.
NO_CATEGORY, NEW, PER_DAY, FIXED, DONE, KEEP = "none", "new", "day", "fixed", "done", "keep"


@dataclass(frozen=True)
class CategoryOption:
    id: int
    name: str


@dataclass(frozen=True)
class Choice:
    """A button: `token` is what tapping it answers; its label is `label` itself or the text `label_key`."""

    token: str
    label_key: str | None = None
    label: str | None = None
    checked: bool | None = None  # a toggle's state; None: not a toggle


@dataclass(frozen=True)
class Question:
    step: Step
    texts: tuple[Text, ...]
    choices: tuple[Choice, ...]
    controls: tuple[Choice, ...]  # done / keep


@dataclass(frozen=True)
class Outcome:
    draft: dict[str, Any]
    next: Step | None  # None: the answers are complete, save them


@dataclass(frozen=True)
class Category:
    id: int
    name: str


@dataclass(frozen=True)
class LockerItem:
    """An item of the locker as the screens show it: plain data, read in a use case's transaction."""

    id: int
    name: str
    category_id: int | None
    category: Category | None
    quantity_per_day: float
    quantity: int
    properties: tuple[str, ...] | None

    @classmethod
    def of(cls, item: GearItem, category: GearCategory | None = None) -> LockerItem:
        """The item with its category: `category` (a page's own) or the one loaded with the item (async code
        loads nothing lazily)."""
        category = category if category is not None else item.category
        return cls(
            id=item.id,
            name=item.name,
            category_id=item.category_id,
            category=Category(category.id, category.name) if category is not None else None,
            quantity_per_day=item.quantity_per_day,
            quantity=item.quantity,
            properties=tuple(item.properties) if item.properties is not None else None,
        )


def new_draft() -> dict[str, Any]:
    return {
        "name": None,
        "category_id": None,
        "new_category": None,
        "quantity_per_day": 0.0,
        "quantity": 1,
        "properties": [],
    }


def draft_of(item: LockerItem | GearItem) -> dict[str, Any]:
    """An item's current values as a draft, for editing it."""
    return {
        "name": item.name,
        "category_id": item.category_id,
        "new_category": None,
        "quantity_per_day": item.quantity_per_day,
        "quantity": item.quantity,
        "properties": list(item.properties or ()),
    }


def _header(step: Step, draft: dict[str, Any], *, editing: bool) -> Text:
    main = _MAIN_STEP_OF.get(step, step)
    if not editing:
        return "locker.form.progress", {"step": MAIN_STEPS.index(main) + 1, "total": len(MAIN_STEPS)}
    if main is Step.QUANTITY:
        return "locker.form.current", {"value": quantity_rule(draft["quantity_per_day"], draft["quantity"])}
    return "locker.form.editing", {"name": draft["name"]}


def question(
    step: Step, draft: dict[str, Any], *, editing: bool, categories: Sequence[CategoryOption] = ()
) -> Question:
    """What to ask at `step`: its texts, its options as buttons, and its controls."""
    choices: tuple[Choice, ...] = ()
    controls: tuple[Choice, ...] = (Choice(KEEP, "locker.form.keep"),) if editing else ()
    if step is Step.CATEGORY:
        choices = (
            *(Choice(str(c.id), label=c.name) for c in categories[:MAX_CATEGORY_CHOICES]),
            Choice(NO_CATEGORY, "locker.form.no_category"),
            Choice(NEW, "locker.form.new_category"),
        )
    elif step is Step.QUANTITY:
        choices = (Choice(PER_DAY, "locker.form.choose_per_day"), Choice(FIXED, "locker.form.choose_fixed"))
    elif step is Step.PROPERTIES:
        chosen = set(draft["properties"])
        choices = tuple(Choice(p.value, property_label(p).key, checked=p.value in chosen) for p in PROPERTIES)
        controls = (Choice(DONE, "locker.form.done"),)
    return Question(
        step, (_header(step, draft, editing=editing), (f"locker.form.ask_{step}", {})), choices, controls
    )


def _after(step: Step, *, editing: bool) -> Step | None:
    """The step after `step`'s main step; None when done (editing changes one field at a time)."""
    if editing:
        return None
    position = MAIN_STEPS.index(_MAIN_STEP_OF.get(step, step)) + 1
    return MAIN_STEPS[position] if position < len(MAIN_STEPS) else None


def answer_text(step: Step, text: str, draft: dict[str, Any], *, editing: bool) -> Outcome:
    """A typed answer; raises `InvalidInput` (and the draft is unchanged) if it can't be used.

    At the category step a typed text is the name of a new category.
    """
    if step is Step.NAME:
        draft = {**draft, "name": parse_name(text)}
    elif step in (Step.CATEGORY, Step.NEW_CATEGORY):
        draft = {**draft, "category_id": None, "new_category": parse_name(text)}
    elif step is Step.PER_DAY:
        draft = {**draft, "quantity_per_day": parse_per_day(text), "quantity": 1}
    elif step is Step.FIXED:
        draft = {**draft, "quantity_per_day": 0.0, "quantity": parse_fixed(text)}
    else:
        raise InvalidInput("locker.form.use_buttons")
    return Outcome(draft, _after(step, editing=editing))


def answer_tap(
    step: Step, token: str, draft: dict[str, Any], *, editing: bool, categories: Sequence[CategoryOption] = ()
) -> Outcome:
    """A tapped answer; a token that this question did not offer raises `InvalidInput`."""
    asked = question(step, draft, editing=editing, categories=categories)
    if token not in {choice.token for choice in (*asked.choices, *asked.controls)}:
        raise InvalidInput("common.expired_button")
    if token == KEEP:
        return Outcome(draft, None)
    if step is Step.CATEGORY:
        if token == NEW:
            return Outcome(draft, Step.NEW_CATEGORY)
        category_id = None if token == NO_CATEGORY else int(token)
        return Outcome(
            {**draft, "category_id": category_id, "new_category": None}, _after(step, editing=editing)
        )
    if step is Step.QUANTITY:
        return Outcome(draft, Step.PER_DAY if token == PER_DAY else Step.FIXED)
    if token == DONE:
        return Outcome(draft, _after(step, editing=editing))
    return Outcome({**draft, "properties": toggled(draft["properties"], token)}, Step.PROPERTIES)


def item_values(draft: dict[str, Any], step: Step | None = None) -> dict[str, Any]:
    """Column values from a draft: all of them, or those that `step` (and its follow-ups) asked for.

    When the draft names a new category (`new_category`), create it first and set `category_id` to it.
    """
    if step is None:
        columns = tuple(column for names in _COLUMNS.values() for column in names)
    else:
        columns = _COLUMNS[_MAIN_STEP_OF.get(step, step)]
    values = {column: draft[column] for column in columns}
    if "properties" in values:
        values["properties"] = stored_properties(values["properties"])
    return values


# --- showing the locker ----------------------------------------------------------------------------


def card(item: LockerItem | GearItem) -> list[Text]:
    """The item card: name, category, quantity rule and properties."""
    category: object = item.category.name if item.category else Label("locker.uncategorised")
    known = [p for p in item.properties or () if p in _KNOWN_PROPERTIES]
    properties: object = (
        tuple(property_label(p) for p in known) if known else Label("locker.card.no_properties")
    )
    return [
        ("locker.card.title", {"name": item.name}),
        ("locker.card.category", {"value": category}),
        ("locker.card.quantity", {"value": quantity_rule(item.quantity_per_day, item.quantity)}),
        ("locker.card.properties", {"value": properties}),
    ]


def list_entry(item: LockerItem | GearItem) -> Text:
    """An item's button in a category: its name and quantity rule."""
    return "locker.list.item", {
        "name": item.name,
        "rule": quantity_rule(item.quantity_per_day, item.quantity),
    }


@dataclass(frozen=True)
class Paging:
    page: int  # from 0, clamped to the pages there are
    pages: int
    offset: int
    limit: int


def paging(total: int, page: int, size: int = PAGE_SIZE) -> Paging:
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 0), pages - 1)
    return Paging(page=page, pages=pages, offset=page * size, limit=size)


def delete_category_question(name: str, items: int) -> Text:
    """Asked before deleting a category: its items are kept, uncategorised."""
    key = "locker.category.delete_ask_items" if items else "locker.category.delete_ask_empty"
    return key, {"name": name, "count": items}
