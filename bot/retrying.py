"""Every Bot API call but `getUpdates` goes through one rate limiter: PTB's, which waits out flood control
(a 429 with retry_after), plus retries of transient failures.

A transient failure is a server error (5xx), a network error or a timeout: the call is made again after a
growing delay (`RETRY_DELAYS_S`), so one failure does not abort the user's step. A refusal (any other
4xx: a bad request, a blocked bot, a wrong token) is not retried: asking again gets the same answer.

A timed-out send may have reached Telegram: retrying it can show the user a message twice, which is
better than a step that silently did not happen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

RETRY_DELAYS_S: tuple[float, ...] = (0.5, 1.5, 4.0)  # before the 2nd, 3rd and 4th attempt


def is_transient(error: BaseException) -> bool:
    """Whether asking again may succeed: a 5xx, a network error or a timeout (PTB raises all three as
    `NetworkError`), not a 400 (`BadRequest`, a subclass of it) nor any other refusal."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


class RetryingRateLimiter(AIORateLimiter):
    """PTB's `AIORateLimiter`, each call made again after a transient failure (`RETRY_DELAYS_S`)."""

    retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for delay in (*self.retry_delays_s, None):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as error:
                if delay is None or not is_transient(error):
                    raise
                logger.info("%s failed (%s); retrying in %.1f s", endpoint, error, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")
