"""The gear locker's use cases: the overview, a category's items, an item's card, and adding, editing and
deleting items and categories (the starter set too).

Every function takes the update's unit of work and the user's id and runs in one transaction; another
user's category or item is not found, like a missing one (None), and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.packing.locker import (
    Category,
    CategoryOption,
    LockerItem,
    Paging,
    paging,
    stored_properties,
    toggled,
)
from services.unit_of_work import UnitOfWork
from storage import locker as store
from storage.locker import CategoryCount, NewCategory
from storage.models import GearCategory, GearItem

__all__ = ["CategoryCount", "NewCategory"]


@dataclass(frozen=True)
class Overview:
    """The user's categories by name with their item counts, and how many items have no category."""

    categories: tuple[CategoryCount, ...]
    uncategorised: int

    @property
    def items(self) -> int:
        return self.uncategorised + sum(category.items for category in self.categories)

    @property
    def is_empty(self) -> bool:
        """No items and no categories: the moment to offer the starter set."""
        return not (self.categories or self.uncategorised)


@dataclass(frozen=True)
class CategoryPage:
    """One page of a category's items (`category` None: the uncategorised ones), by name."""

    category: Category | None
    count: int
    paging: Paging
    items: tuple[LockerItem, ...]


@dataclass(frozen=True)
class StarterAdded:
    added: int | None  # None: the locker was not empty any more, nothing was added
    overview: Overview


@dataclass(frozen=True)
class DeletedItem:
    item: LockerItem
    listing: CategoryPage | Overview  # where it was: its category, or the overview if that went too


@dataclass(frozen=True)
class DeletedCategory:
    category: CategoryCount  # with the number of items it had, which stay uncategorised
    overview: Overview


@dataclass(frozen=True)
class NamedCategory:
    page: CategoryPage | None  # the category's items; None: it was deleted while being renamed
    taken_by: str | None = None  # the name of the user's other category with this name: nothing changed


async def _overview(session: AsyncSession, user_id: int) -> Overview:
    categories = await store.category_counts(session, user_id)
    return Overview(tuple(categories), await store.count_items(session, user_id, None))


async def _category_page(
    session: AsyncSession, user_id: int, category_id: int | None, page: int
) -> CategoryPage | None:
    category = await store.get_category(session, user_id, category_id) if category_id is not None else None
    if category_id is not None and category is None:
        return None
    count = await store.count_items(session, user_id, category_id)
    pages = paging(count, page)
    items = await store.list_items(session, user_id, category_id, offset=pages.offset, limit=pages.limit)
    return CategoryPage(
        Category(category.id, category.name) if category is not None else None,
        count,
        pages,
        tuple(LockerItem.of(item, category) for item in items),
    )


async def overview(uow: UnitOfWork, user_id: int) -> Overview:
    async with uow.transaction() as session:
        return await _overview(session, user_id)


async def accept_starter(uow: UnitOfWork, user_id: int, categories: Sequence[NewCategory]) -> StarterAdded:
    """Add the starter set, only into an empty locker (so never twice)."""
    async with uow.transaction() as session:
        added = None
        if await store.locker_is_empty(session, user_id):
            added = await store.add_categories_with_items(session, user_id, categories)
        return StarterAdded(added, await _overview(session, user_id))


async def category_page(
    uow: UnitOfWork, user_id: int, category_id: int | None, page: int = 0
) -> CategoryPage | None:
    """A page of the category's items (None: the uncategorised ones); None if the user has no such one."""
    async with uow.transaction() as session:
        return await _category_page(session, user_id, category_id, page)


async def get_item(uow: UnitOfWork, user_id: int, item_id: int) -> LockerItem | None:
    async with uow.transaction() as session:
        item = await store.get_item(session, user_id, item_id)
        return LockerItem.of(item) if item is not None else None


async def toggle_property(uow: UnitOfWork, user_id: int, item_id: int, value: str) -> LockerItem | None:
    """Switch one property of the item on or off; an unknown property raises `InvalidInput`."""
    async with uow.transaction() as session:
        item = await store.get_item(session, user_id, item_id)
        if item is None:
            return None
        properties = stored_properties(toggled(item.properties, value))
        item = await store.update_item(session, user_id, item_id, properties=properties)
        return LockerItem.of(item) if item is not None else None


async def delete_item(uow: UnitOfWork, user_id: int, item_id: int) -> DeletedItem | None:
    """Delete the item; it is shown where it was (its category's first page, or the overview)."""
    async with uow.transaction() as session:
        item = await store.get_item(session, user_id, item_id)
        if item is None:
            return None
        deleted = LockerItem.of(item)
        if not await store.delete_item(session, user_id, item_id):
            return None
        listing = await _category_page(session, user_id, deleted.category_id, 0)
        return DeletedItem(deleted, listing if listing is not None else await _overview(session, user_id))


async def category_count(uow: UnitOfWork, user_id: int, category_id: int) -> CategoryCount | None:
    """The category with its number of items (asked before deleting it)."""
    async with uow.transaction() as session:
        category = await store.get_category(session, user_id, category_id)
        if category is None:
            return None
        return CategoryCount(
            category.id, category.name, await store.count_items(session, user_id, category_id)
        )


async def delete_category(uow: UnitOfWork, user_id: int, category_id: int) -> DeletedCategory | None:
    """Delete the category; its items stay, uncategorised."""
    async with uow.transaction() as session:
        category = await store.get_category(session, user_id, category_id)
        if category is None:
            return None
        count = await store.count_items(session, user_id, category_id)
        deleted = CategoryCount(category.id, category.name, count)
        await store.delete_category(session, user_id, category_id)
        return DeletedCategory(deleted, await _overview(session, user_id))


async def categories(uow: UnitOfWork, user_id: int) -> list[CategoryOption]:
    """The user's categories by name, as the item form offers them."""
    async with uow.transaction() as session:
        return [CategoryOption(c.id, c.name) for c in await store.list_categories(session, user_id)]


async def get_category(uow: UnitOfWork, user_id: int, category_id: int) -> Category | None:
    async with uow.transaction() as session:
        category = await store.get_category(session, user_id, category_id)
        return Category(category.id, category.name) if category is not None else None


async def save_item(
    uow: UnitOfWork,
    user_id: int,
    item_id: int | None,
    values: Mapping[str, Any],
    new_category: str | None = None,
) -> LockerItem | None:
    """Store a new item (`item_id` None) or the item's changed columns; a category the user named on the way
    (`new_category`, when the values set the category) is the user's one of that name, or a new one.
    None when the edited item is gone."""
    values = dict(values)
    async with uow.transaction() as session:
        if new_category and "category_id" in values:
            category = await store.find_category(session, user_id, new_category)
            category = category or await store.create_category(session, user_id, new_category)
            values["category_id"] = category.id
        item: GearItem | None
        if item_id is None:
            item = await store.create_item(session, user_id, **values)
        else:
            item = await store.update_item(session, user_id, item_id, **values)
        return LockerItem.of(item) if item is not None else None


async def name_category(uow: UnitOfWork, user_id: int, category_id: int | None, name: str) -> NamedCategory:
    """A new category (`category_id` None) or a new name for one; a name the user has already is refused."""
    async with uow.transaction() as session:
        clash = await store.find_category(session, user_id, name)
        if clash is not None and clash.id != category_id:
            return NamedCategory(None, taken_by=clash.name)
        category: GearCategory | None
        if category_id is None:
            category = await store.create_category(session, user_id, name)
        else:
            category = await store.rename_category(session, user_id, category_id, name)
        if category is None:
            return NamedCategory(None)
        return NamedCategory(await _category_page(session, user_id, category.id, 0))
