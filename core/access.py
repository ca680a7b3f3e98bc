"""Who may talk to the bot: the configured user ids, or else the owner who claimed it with a one-time code."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable

_REFUSED_MEMORY = 10_000  # strangers (and group chats) remembered as told, the oldest forgotten first

Admits = Callable[[int], bool]  # another transport's own say on a user id: the Matrix bridge's accounts


class AccessControl:
    """Decides per user id; keeps nothing about strangers but a bounded in-memory "already told" set.

    With `allowed_users` configured, exactly those ids may use the bot. Without it, the bot can be claimed
    once: whoever sends `/start <claim_code>` first becomes its owner (stored in the database by the caller).
    Beyond both, `extra` users (the terminal chat's one user) and those the `admits` rule vouches for (the
    logbooks of the allowed Matrix accounts, as they are at the time of asking) may use it too; a bot with
    either is not claimable.
    """

    def __init__(
        self,
        allowed_users: Iterable[int],
        owners: Iterable[int] = (),
        extra: Iterable[int] = (),
        *,
        admits: Admits | None = None,
    ) -> None:
        self.allowed_users = frozenset(allowed_users)
        self.owners = set(owners)
        self.extra = frozenset(extra)
        self.admits = admits
        self.claim_code: str | None = None
        self._refused = _Once()
        self._groups_told = _Once()
        if self.nobody_to_answer():
            self.claim_code = secrets.token_urlsafe(9)

    def is_allowed(self, user_id: int) -> bool:
        if user_id in self.extra or (self.admits is not None and self.admits(user_id)):
            return True
        if self.allowed_users:
            return user_id in self.allowed_users
        return user_id in self.owners

    def nobody_to_answer(self) -> bool:
        """No configured user, no owner, no extra user and no rule: the bot is answered by its first claim."""
        return not (self.allowed_users or self.owners or self.extra or self.admits is not None)

    @property
    def claimable(self) -> bool:
        return self.claim_code is not None

    def claim(self, user_id: int, code: str) -> bool:
        """True if `code` is the claim code; the bot then belongs to `user_id` and the code is spent."""
        if self.claim_code is None or not secrets.compare_digest(code.encode(), self.claim_code.encode()):
            return False
        self.claim_code = None
        self.owners.add(user_id)
        return True

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
