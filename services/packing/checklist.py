"""The packing list as a checklist: groups, progress and pages that fit a chat keyboard (plain data).

A chat keyboard holds at most 100 buttons. Each item takes a row of three (the item, departure, return) and
each category a header; a page is filled until the next row would not fit, leaving room for the navigation
row and the "Why?" button. The transport turns a `Page` into buttons; nothing here knows which transport.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_BUTTONS = 100
RESERVED_BUTTONS = 4  # ◀ · page · ▶ and "Why?"
BUTTONS_PER_ITEM = 3


@dataclass(frozen=True)
class ChecklistItem:
    id: int  # the gear_journey_items row
    name: str
    quantity: int
    category: str | None  # None: uncategorised, listed last
    packed_for_departure: bool
    packed_for_return: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    category: str | None
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Page:
    number: int  # from 0
    count: int
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Progress:
    departure: int
    returned: int
    total: int


def progress(items: Sequence[ChecklistItem]) -> Progress:
    return Progress(
        departure=sum(item.packed_for_departure for item in items),
        returned=sum(item.packed_for_return for item in items),
        total=len(items),
    )


def grouped(items: Sequence[ChecklistItem]) -> list[Group]:
    """Categories alphabetically (case-insensitive), items by name within them, uncategorised last."""
    by_category: dict[str | None, list[ChecklistItem]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    order: list[str | None] = [*sorted((name for name in by_category if name is not None), key=str.casefold)]
    if None in by_category:
        order.append(None)
    return [
        Group(name, tuple(sorted(by_category[name], key=lambda item: (item.name.casefold(), item.id))))
        for name in order
    ]


def paginate(items: Sequence[ChecklistItem], budget: int = MAX_BUTTONS - RESERVED_BUTTONS) -> list[Page]:
    """Split the grouped list into pages of at most `budget` buttons; a category continued on the next page
    gets its header again there."""
    pages: list[list[Group]] = [[]]
    used = 0
    for group in grouped(items):
        current: list[ChecklistItem] = []
        for item in group.items:
            header = 0 if current else 1
            if used + header + BUTTONS_PER_ITEM > budget and (current or pages[-1]):
                if current:
                    pages[-1].append(Group(group.category, tuple(current)))
                pages.append([])
                used, current, header = 0, [], 1
            used += header + BUTTONS_PER_ITEM
            current.append(item)
        if current:
            pages[-1].append(Group(group.category, tuple(current)))
    return [Page(number, len(pages), tuple(groups)) for number, groups in enumerate(pages)]


def page_of(items: Sequence[ChecklistItem], item_id: int) -> int:
    """The page that shows `item_id` (0 if it is not on the list)."""
    for page in paginate(items):
        if any(item.id == item_id for group in page.groups for item in group.items):
            return page.number
    return 0
