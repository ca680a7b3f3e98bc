"""The preference use cases: each change is stored for its user alone and answered with every preference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from services import preferences
from services.preferences import Preferences
from services.unit_of_work import UnitOfWork
from storage.db import Database
from storage.models import User
from tests.conftest import ALICE, BOB


async def test_a_change_returns_the_stored_preferences_and_touches_no_other_user(db: Database) -> None:
    async with db.session() as session:
        session.add_all([User(id=ALICE), User(id=BOB)])
    uow = UnitOfWork(db)
    await preferences.set_language(uow, ALICE, "nl")
    await preferences.set_time_zone(uow, ALICE, "Europe/London")
    await preferences.set_renewal_date(uow, ALICE, dt.date(2027, 5, 1))
    await preferences.set_licence_number(uow, ALICE, "KNSA-1")
    await preferences.set_csv_separator(uow, ALICE, ";")
    chosen = await preferences.set_attendance_reminders(uow, ALICE, True)
    assert chosen == Preferences("nl", "Europe/London", dt.date(2027, 5, 1), True, "KNSA-1", ";")
    assert await preferences.preferences_of(uow, ALICE) == chosen
    bob = await preferences.preferences_of(uow, BOB)
    assert bob is not None and (bob.language, bob.time_zone, bob.licence_number) == (None, None, None)
    assert await preferences.preferences_of(uow, 12345) is None, "no account"


@pytest.mark.parametrize(
    "change",
    [
        lambda uow: preferences.set_language(uow, ALICE, "xx"),
        lambda uow: preferences.set_time_zone(uow, ALICE, "Mars/Olympus"),
        lambda uow: preferences.set_csv_separator(uow, ALICE, "|"),
    ],
    ids=["language", "time zone", "separator"],
)
async def test_a_value_the_bot_does_not_offer_is_refused(
    db: Database, change: Callable[[UnitOfWork], Awaitable[Preferences]]
) -> None:
    async with db.session() as session:
        session.add(User(id=ALICE))
    with pytest.raises(ValueError):
        await change(UnitOfWork(db))
