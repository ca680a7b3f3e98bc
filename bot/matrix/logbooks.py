"""Which logbook each allowed Matrix account keeps: the one place that says whom the Matrix side serves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping


class Logbooks:
    """The allowed Matrix accounts (the settings' `AIMTRACK_ALLOWED_MATRIX_USERS`) and their logbook ids.

    Made at start from those ids and their accounts in storage (a link made in an earlier run included).
    When `!link` moves an account to a Telegram user's logbook, the bridge says so with `keep`. The
    bridge's application admits exactly the logbooks kept here (`admits`, the rule of its AccessControl).
    """

    def __init__(self, logbooks: Mapping[str, int]) -> None:
        self._of = dict(logbooks)
        self._kept = Counter(self._of.values())

    def allows(self, matrix_id: str | None) -> bool:
        """Whether this Matrix account may talk to the bot."""
        return matrix_id in self._of

    def admits(self, user_id: int) -> bool:
        """Whether an allowed Matrix account keeps this logbook now."""
        return self._kept[user_id] > 0

    def keep(self, matrix_id: str, user_id: int) -> None:
        """The allowed account `matrix_id` keeps logbook `user_id` from now on (KeyError: not allowed)."""
        if matrix_id not in self._of:
            raise KeyError(f"{matrix_id} is not an allowed Matrix account")
        self._kept[self._of[matrix_id]] -= 1
        self._of[matrix_id] = user_id
        self._kept[user_id] += 1
