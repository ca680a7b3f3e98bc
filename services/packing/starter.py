"""The starter set offered to a new user with an empty gear locker, as data.

Names are catalog keys (`locker.starter_set.*`), so the set is added in the user's language at the moment they
accept it; `materialise` takes the transport's translate function and returns plain column values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.packing.conditions import GearProperty
from storage.locker import NewCategory

_KEY = "locker.starter_set."


@dataclass(frozen=True)
class StarterItem:
    name: str  # catalog key, without the `locker.starter_set.` prefix
    quantity_per_day: float = 0.0  # 0: a fixed quantity
    quantity: int = 1
    properties: tuple[GearProperty, ...] = ()


@dataclass(frozen=True)
class StarterCategory:
    name: str
    items: tuple[StarterItem, ...]


STARTER_SET: tuple[StarterCategory, ...] = (
    StarterCategory(
        "clothing",
        (
            StarterItem("underwear", quantity_per_day=1),
            StarterItem("socks", quantity_per_day=1),
            StarterItem("shirts", quantity_per_day=1),
            StarterItem("trousers", quantity_per_day=0.5),
            StarterItem("rain_jacket", properties=(GearProperty.RAIN_EXPECTED,)),
            StarterItem("thermal_layers", quantity=2, properties=(GearProperty.COLD_WEATHER,)),
            StarterItem("swimwear", properties=(GearProperty.WARM_WEATHER,)),
        ),
    ),
    StarterCategory(
        "toiletries",
        (
            StarterItem("toothbrush"),
            StarterItem("toiletry_bag"),
            StarterItem("sunscreen", properties=(GearProperty.WARM_WEATHER,)),
        ),
    ),
    StarterCategory(
        "electronics",
        (
            StarterItem("phone_charger"),
            StarterItem("power_bank"),
        ),
    ),
    StarterCategory(
        "children",
        (
            StarterItem("child_clothes", quantity_per_day=1, properties=(GearProperty.CHILD_SPECIFIC,)),
            StarterItem("cuddly_toy", properties=(GearProperty.CHILD_SPECIFIC,)),
            StarterItem("nappies", quantity_per_day=6, properties=(GearProperty.INFANT_SPECIFIC,)),
            StarterItem("baby_wipes", quantity=2, properties=(GearProperty.INFANT_SPECIFIC,)),
        ),
    ),
    StarterCategory(
        "documents",
        (
            StarterItem("passport"),
            StarterItem("wallet"),
        ),
    ),
)


def name_keys() -> list[str]:
    """Every catalog key the set uses (categories and items), so a test can check the catalogs have them."""
    return [
        f"{_KEY}{name}"
        for category in STARTER_SET
        for name in (category.name, *(item.name for item in category.items))
    ]


def materialise(translate: Callable[[str], str]) -> list[NewCategory]:
    """The set with names in the reader's language, as categories with their items' column values."""
    return [
        NewCategory(
            name=translate(f"{_KEY}{category.name}"),
            items=[
                {
                    "name": translate(f"{_KEY}{item.name}"),
                    "quantity_per_day": item.quantity_per_day,
                    "quantity": item.quantity,
                    "properties": [prop.value for prop in item.properties] or None,
                }
                for item in category.items
            ],
        )
        for category in STARTER_SET
    ]


def size() -> tuple[int, int]:
    """(items, categories) in the set, for the offer's text."""
    return sum(len(category.items) for category in STARTER_SET), len(STARTER_SET)
