"""The checklist's grouping, progress and paging within the 100-button keyboard limit."""

from __future__ import annotations

from services.packing.checklist import (
    BUTTONS_PER_ITEM,
    MAX_BUTTONS,
    RESERVED_BUTTONS,
    ChecklistItem,
    grouped,
    page_of,
    paginate,
    progress,
)


def item(
    id: int, name: str, category: str | None, departure: bool = False, back: bool = False
) -> ChecklistItem:
    return ChecklistItem(id, name, 1, category, departure, back)


def test_groups_by_category_with_uncategorised_last() -> None:
    items = [item(1, "socks", "Clothing"), item(2, "Passport", None), item(3, "Charger", "electronics")]
    groups = grouped([*items, item(4, "Hat", "Clothing")])
    assert [group.category for group in groups] == ["Clothing", "electronics", None]
    assert [entry.name for entry in groups[0].items] == ["Hat", "socks"]


def test_progress_counts_departure_and_return_separately() -> None:
    counts = progress([item(1, "a", None, True, True), item(2, "b", None, True), item(3, "c", None)])
    assert (counts.departure, counts.returned, counts.total) == (2, 1, 3)


def test_a_long_list_is_paged_within_the_button_limit_and_keeps_every_item() -> None:
    items = [item(i, f"item {i:03}", f"Category {i % 4}") for i in range(120)]
    pages = paginate(items)
    assert len(pages) > 1 and all(page.count == len(pages) for page in pages)
    for page in pages:
        buttons = sum(1 + BUTTONS_PER_ITEM * len(group.items) for group in page.groups)
        assert buttons + RESERVED_BUTTONS <= MAX_BUTTONS
    listed = [entry.id for page in pages for group in page.groups for entry in group.items]
    assert sorted(listed) == list(range(120))
    last = pages[-1].groups[-1].items[-1]
    assert page_of(items, last.id) == len(pages) - 1


def test_a_short_list_is_one_page() -> None:
    assert len(paginate([item(1, "a", None)])) == 1
    assert paginate([])[0].groups == ()
