"""Queries on the gear locker (categories and items); every one takes the user's id and filters on it.

Another user's category or item is simply not found. Deleting a category relies on the database's
`ON DELETE SET NULL` (SQLite: `PRAGMA foreign_keys=ON`), which leaves its items uncategorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Select, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import GearCategory, GearItem

# The item columns a user fills in; nothing else can be set through these functions.
ITEM_COLUMNS = frozenset({"name", "category_id", "quantity_per_day", "quantity", "properties"})


@dataclass(frozen=True)
class CategoryCount:
    id: int
    name: str
    items: int


@dataclass(frozen=True)
class NewCategory:
    """A category with its items' column values, for adding many at once (the starter set)."""

    name: str
    items: Sequence[dict[str, Any]]


def _deleted(result: Result[Any]) -> bool:
    """Whether a DELETE removed a row (the result of a DELETE is a cursor's, which counts them)."""
    return cast("CursorResult[Any]", result).rowcount > 0


# --- categories ------------------------------------------------------------------------------------


async def get_category(session: AsyncSession, user_id: int, category_id: int) -> GearCategory | None:
    return await session.scalar(
        select(GearCategory).where(GearCategory.id == category_id, GearCategory.user_id == user_id)
    )


async def list_categories(session: AsyncSession, user_id: int) -> list[GearCategory]:
    query = select(GearCategory).where(GearCategory.user_id == user_id)
    return list(await session.scalars(query.order_by(func.lower(GearCategory.name), GearCategory.id)))


async def category_counts(session: AsyncSession, user_id: int) -> list[CategoryCount]:
    """The user's categories by name, each with its number of items, in one grouped query."""
    rows = await session.execute(
        select(GearCategory.id, GearCategory.name, func.count(GearItem.id))
        .outerjoin(GearItem, GearItem.category_id == GearCategory.id)
        .where(GearCategory.user_id == user_id)
        .group_by(GearCategory.id, GearCategory.name)
        .order_by(func.lower(GearCategory.name), GearCategory.id)
    )
    return [CategoryCount(id=id_, name=name, items=items) for id_, name, items in rows]


async def count_items(session: AsyncSession, user_id: int, category_id: int | None) -> int:
    """Items in the category, or the uncategorised ones with None."""
    query = select(func.count()).select_from(_items_in(user_id, category_id).subquery())
    return await session.scalar(query) or 0


async def find_category(session: AsyncSession, user_id: int, name: str) -> GearCategory | None:
    """The user's category with this name, ignoring case (SQLite's lower() folds ASCII letters only)."""
    query = select(GearCategory).where(
        GearCategory.user_id == user_id, func.lower(GearCategory.name) == name.lower()
    )
    return await session.scalar(query.order_by(GearCategory.id).limit(1))


async def create_category(session: AsyncSession, user_id: int, name: str) -> GearCategory:
    category = GearCategory(user_id=user_id, name=name)
    session.add(category)
    await session.flush()
    return category


async def rename_category(
    session: AsyncSession, user_id: int, category_id: int, name: str
) -> GearCategory | None:
    category = await get_category(session, user_id, category_id)
    if category is not None:
        category.name = name
        await session.flush()
    return category


async def delete_category(session: AsyncSession, user_id: int, category_id: int) -> bool:
    """Delete the category; its items stay, uncategorised. False if the user has no such category."""
    result = await session.execute(
        delete(GearCategory).where(GearCategory.id == category_id, GearCategory.user_id == user_id)
    )
    return _deleted(result)


# --- items -----------------------------------------------------------------------------------------


def _items_in(user_id: int, category_id: int | None) -> Select[GearItem]:
    query = select(GearItem).where(GearItem.user_id == user_id)
    if category_id is None:
        return query.where(GearItem.category_id.is_(None))
    return query.where(GearItem.category_id == category_id)


async def list_items(
    session: AsyncSession, user_id: int, category_id: int | None, *, offset: int = 0, limit: int | None = None
) -> list[GearItem]:
    """Items of the category (None: the uncategorised ones) by name, optionally one page of them."""
    query = _items_in(user_id, category_id).order_by(func.lower(GearItem.name), GearItem.id)
    return list(await session.scalars(query.offset(offset).limit(limit)))


async def get_item(session: AsyncSession, user_id: int, item_id: int) -> GearItem | None:
    """The item with its category loaded (no lazy loading in async code)."""
    return await session.scalar(
        select(GearItem)
        .options(selectinload(GearItem.category))
        .where(GearItem.id == item_id, GearItem.user_id == user_id)
    )


def _editable(values: dict[str, Any]) -> dict[str, Any]:
    if unknown := values.keys() - ITEM_COLUMNS:
        raise ValueError(f"not editable item columns: {sorted(unknown)}")
    return values


async def _checked(session: AsyncSession, user_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Only editable columns; a category that is not (or no longer) the user's becomes no category."""
    category_id = _editable(values).get("category_id")
    if category_id is not None and await get_category(session, user_id, category_id) is None:
        values = {**values, "category_id": None}
    return values


async def create_item(session: AsyncSession, user_id: int, **values: Any) -> GearItem:
    item = GearItem(user_id=user_id, **await _checked(session, user_id, values))
    session.add(item)
    await session.flush()
    created = await get_item(session, user_id, item.id)
    if created is None:  # cannot be: flushed just now in this transaction, with this user's id
        raise LookupError(f"item {item.id} vanished in its own transaction")
    return created


async def update_item(session: AsyncSession, user_id: int, item_id: int, **values: Any) -> GearItem | None:
    """Set the given columns; None if the user has no such item."""
    item = await get_item(session, user_id, item_id)
    if item is None:
        return None
    for column, value in (await _checked(session, user_id, values)).items():
        setattr(item, column, value)
    await session.flush()
    await session.refresh(item, ["category"])
    return item


async def delete_item(session: AsyncSession, user_id: int, item_id: int) -> bool:
    result = await session.execute(
        delete(GearItem).where(GearItem.id == item_id, GearItem.user_id == user_id)
    )
    return _deleted(result)


# --- the locker as a whole -------------------------------------------------------------------------


async def locker_is_empty(session: AsyncSession, user_id: int) -> bool:
    """No items and no categories: the moment to offer the starter set."""
    has_items = exists().where(GearItem.user_id == user_id)
    has_categories = exists().where(GearCategory.user_id == user_id)
    return not await session.scalar(select(has_items | has_categories))


async def add_categories_with_items(
    session: AsyncSession, user_id: int, categories: Sequence[NewCategory]
) -> int:
    """Add the categories and their items; returns how many items were added."""
    added = 0
    for new in categories:
        category = await create_category(session, user_id, new.name)
        for values in new.items:
            session.add(GearItem(user_id=user_id, category_id=category.id, **_editable(values)))
            added += 1
    await session.flush()
    return added
