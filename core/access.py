"""Who may talk to the bot: the configured user ids, or else the owner who claimed it with a one-time code."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_REFUSED_MEMORY = 10_000  # strangers (and group chats) remembered as told, the oldest forgotten first
WRONG_CODE_QUIET = 60.0  # seconds: a user hears "wrong code" once in this long; one log line per burst

Admits = Callable[[int], bool]  # another transport's own say on a user id: the Matrix bridge's accounts


def new_claim_code() -> str:
    """A fresh one-time claim code (72 random bits, URL-safe)."""
    return secrets.token_urlsafe(9)


def code_matches(sent: str, issued: str) -> bool:
    """Whether `sent` is the issued claim code, compared in constant time."""
    return secrets.compare_digest(sent.encode(), issued.encode())


@dataclass(frozen=True)
class WrongCode:
    """What to do about a wrong claim code: answer the sender or not, write the log line or not, and how
    many wrong codes came since the last line without one."""

    answer: bool
    log: bool
    unlogged: int


class AccessControl:
    """Decides per user id; keeps nothing about strangers but bounded in-memory "already told" sets.

    With `allowed_users` configured, exactly those ids may use the bot. Without it, the bot is `claimable`:
    it answers its one owner, whom the database knows (every process asks it), and whoever sends
    `/start <code>` with the code the database holds first becomes that owner. Beyond both, `extra` users
    (the terminal chat's one user) and those the `admits` rule vouches for (the logbooks of the allowed
    Matrix accounts, as they are at the time of asking) may use it too; a bot with either is not claimable.

    A wrong claim code is answered once per user per `WRONG_CODE_QUIET` seconds, and logged once per burst:
    one line for the first, none for the others of anyone within that time, whose count the next line
    gives (a flood that goes on gets a line per `WRONG_CODE_QUIET` seconds).
    """

    def __init__(
        self,
        allowed_users: Iterable[int],
        extra: Iterable[int] = (),
        *,
        admits: Admits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed_users = frozenset(allowed_users)
        self.extra = frozenset(extra)
        self.admits = admits
        self.clock = clock
        self._refused = _Once()
        self._groups_told = _Once()
        self._wrong_answered: OrderedDict[int, float] = OrderedDict()
        self._wrong_logged_at: float | None = None
        self._wrong_unlogged = 0

    def is_allowed(self, user_id: int) -> bool:
        """Allowed by the configuration (the owner of a claimable bot is the database's to say)."""
        if user_id in self.extra or (self.admits is not None and self.admits(user_id)):
            return True
        return user_id in self.allowed_users

    def nobody_to_answer(self) -> bool:
        """No configured user, no extra user and no rule: the bot answers the owner who claimed it."""
        return not (self.allowed_users or self.extra or self.admits is not None)

    @property
    def claimable(self) -> bool:
        """The bot answers the owner who claimed it with the code (see `nobody_to_answer`)."""
        return self.nobody_to_answer()

    def wrong_code(self, user_id: int) -> WrongCode:
        """Count a wrong claim code of `user_id`: answer them if they were not answered within the quiet
        time; log if no line was written within it (a burst's first wrong code)."""
        now = self.clock()
        answered = self._wrong_answered.get(user_id)
        answer = answered is None or now - answered >= WRONG_CODE_QUIET
        if answer:
            self._wrong_answered[user_id] = now
            self._wrong_answered.move_to_end(user_id)
            if len(self._wrong_answered) > _REFUSED_MEMORY:
                self._wrong_answered.popitem(last=False)
        logged = self._wrong_logged_at
        if logged is not None and now - logged < WRONG_CODE_QUIET:
            self._wrong_unlogged += 1
            return WrongCode(answer=answer, log=False, unlogged=self._wrong_unlogged)
        unlogged, self._wrong_unlogged, self._wrong_logged_at = self._wrong_unlogged, 0, now
        return WrongCode(answer=answer, log=True, unlogged=unlogged)

    def first_refusal(self, user_id: int) -> bool:
        """True the first time a stranger is refused: they get one polite answer, later messages get none."""
        return self._refused.first(user_id)

    def first_in_group(self, chat_id: int) -> bool:
        """True the first time something arrives from a chat that is not private (a group, a supergroup,
        a channel): the bot works in private chats only, says so there once, and handles nothing."""
        return self._groups_told.first(chat_id)


class _Once:
    """Ids already told, bounded: past `_REFUSED_MEMORY` the oldest is forgotten (and would be told again)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[int, None] = OrderedDict()

    def first(self, key: int) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > _REFUSED_MEMORY:
            self._seen.popitem(last=False)
        return True
