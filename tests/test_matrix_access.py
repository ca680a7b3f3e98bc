"""Who the Matrix side serves, and linking a Matrix account to a Telegram logbook, without a homeserver."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from bot.matrix.logbooks import Logbooks
from core.access import AccessControl
from core.audience import FIRST_MATRIX_USER_ID
from services import matrix_accounts
from services.matrix_accounts import LinkOutcome
from services.unit_of_work import UnitOfWork
from storage import matrix as store
from storage.db import Database
from storage.users import ensure_user
from tests.conftest import ALICE
from tests.test_log_session import seed_weapons

NOW = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def test_the_access_rule_follows_the_logbook_an_account_keeps() -> None:
    own = FIRST_MATRIX_USER_ID
    logbooks = Logbooks({"@alice:example.org": own})
    access = AccessControl((), admits=logbooks.admits)
    assert access.is_allowed(own) and not access.is_allowed(ALICE)
    assert not access.claimable and not access.nobody_to_answer(), "a bridge with a rule is nobody's to claim"

    logbooks.keep("@alice:example.org", ALICE)  # `!link` moved her account to her Telegram logbook
    assert access.is_allowed(ALICE) and not access.is_allowed(own)
    assert logbooks.allows("@alice:example.org")
    assert not logbooks.allows("@mallory:example.org") and not logbooks.allows(None)
    with pytest.raises(KeyError):
        logbooks.keep("@mallory:example.org", 5)
    assert not access.is_allowed(5)


async def add_code(db: Database, user_id: int, code: str) -> None:
    async with db.session() as session:
        await store.add_link_code(session, user_id, code, NOW + store.LINK_CODE_LIFETIME)


async def test_a_link_moves_an_empty_account_once_and_never_hides_a_logbook(db: Database) -> None:
    uow = UnitOfWork(db)
    people = ["@alice:example.org", "@bob:example.org", "@carol:example.org"]
    ids = await matrix_accounts.logbooks(uow, people)
    alice, bob, carol = ids.values()
    assert min(ids.values()) >= FIRST_MATRIX_USER_ID and len(set(ids.values())) == 3
    async with db.session() as session:
        await ensure_user(session, bob, "Bob")  # an account and its bookkeeping are no logbook
    assert not await matrix_accounts.keeps_a_logbook(uow, bob)
    await seed_weapons(db, alice, ("Glock 17", "9mm"))
    assert await matrix_accounts.keeps_a_logbook(uow, alice)

    await add_code(db, ALICE, "12345678")
    link = matrix_accounts.link
    assert await link(uow, "@alice:example.org", alice, "1234 5678", NOW) is LinkOutcome.HAS_DATA
    assert await link(uow, "@bob:example.org", bob, "8765 4321", NOW) is LinkOutcome.UNKNOWN
    done = await link(uow, "@bob:example.org", bob, "1234-5678", NOW)
    assert done is LinkOutcome.DONE, "Alice's refusal did not spend the code"
    assert await matrix_accounts.logbooks(uow, ["@bob:example.org"]) == {"@bob:example.org": ALICE}
    assert await link(uow, "@carol:example.org", carol, "12345678", NOW) is LinkOutcome.UNKNOWN, "once only"

    await add_code(db, ALICE, "11112222")
    assert await link(uow, "@carol:example.org", carol, "11112222", NOW) is LinkOutcome.TAKEN
    await add_code(db, ALICE, "33334444")
    late = NOW + store.LINK_CODE_LIFETIME + dt.timedelta(seconds=1)
    assert await link(uow, "@carol:example.org", carol, "33334444", late) is LinkOutcome.UNKNOWN, "expired"


def _imports(tree: ast.AST) -> set[str]:
    names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return names | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }


def test_the_bridge_and_the_terminal_chat_know_no_feature_and_no_emulator_internals() -> None:
    """They read the Bot API message by the keyboards' conventions, reach the database through services,
    and drive the emulator through its public API."""
    root = Path(__file__).resolve().parents[1]
    conventions = {"handlers.keyboards", "handlers.callback_data"}
    for path in [*sorted((root / "bot" / "matrix").glob("*.py")), root / "bot" / "terminal_chat.py"]:
        tree = ast.parse(path.read_text())
        above = {
            name for name in _imports(tree) if name.split(".")[0] in ("handlers", "conversations", "storage")
        }
        assert above <= conventions | {"storage.db"}, f"{path.name} imports {above}"
        internals = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("state", "extra")
        ]
        assert not internals, f"{path.name} reaches into the emulator or the access control: {internals}"
