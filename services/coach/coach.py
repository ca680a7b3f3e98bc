"""ShooterCoach: one service in front of the providers. It loads one user's data, keeps the coach's
threads, and hands the provider only that user's history (and tools scoped to that user).

Every provider call has a deadline (`deadline_s`, the setting `AI_DEADLINE_S`): past it the call is
cancelled and the caller gets `CoachUnavailable`. `stop()` (the bot stopping) cancels the calls under way
and refuses new ones with `CoachStopped`, so that a hanging provider never holds up a stop.

`build_coach` makes the process's coach from the settings: the offline coach, or Anthropic's when it is
configured with a key."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any, TypeVar

from core.settings import AiProvider, Settings
from services.coach.offline import OfflineProvider
from services.coach.tools import DatabaseTools
from services.coach.types import (
    Answer,
    CoachProvider,
    CoachStopped,
    CoachUnavailable,
    History,
    Question,
    Reflection,
    Turn,
    WeaponInsight,
)
from storage.coach import (
    add_message,
    current_thread,
    history,
    new_thread,
    recent_messages,
    weapons,
)
from storage.db import Database
from storage.models import CoachRole

SDK_RETRIES = 2  # the SDK's own retries of one HTTP call (connection errors, 429, 5xx)
MAX_TURNS = 12  # earlier messages of a thread sent as context
TURNS_BUDGET_CHARS = 8000
DEADLINE_S = 45.0  # of one answer, reflection or insight, all its HTTP calls and tool rounds together

T = TypeVar("T")


class ShooterCoach:
    def __init__(self, provider: CoachProvider, db: Database, *, deadline_s: float = DEADLINE_S) -> None:
        self.provider = provider
        self.db = db
        self.deadline_s = deadline_s
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._calls: set[asyncio.Task[Any]] = set()
        self._stopping = False

    def stop(self) -> None:
        """Cancel the provider calls under way (their callers get `CoachStopped`) and refuse new ones."""
        self._stopping = True
        for call in list(self._calls):
            call.cancel()

    async def close(self) -> None:
        self.stop()
        close = getattr(self.provider, "close", None)
        if close is not None:
            await close()

    async def _call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run one provider call as its own task, within the deadline, cancelled by `stop()`."""
        if self._stopping:
            work.close()
            raise CoachStopped("the bot is stopping")
        call = asyncio.ensure_future(work)
        self._calls.add(call)
        try:
            async with asyncio.timeout(self.deadline_s):
                return await call
        except TimeoutError:
            raise CoachUnavailable(f"no answer within {self.deadline_s:g} s") from None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if call.cancelled() and self._stopping and (current is None or not current.cancelling()):
                raise CoachStopped("the bot is stopping") from None
            raise
        finally:
            self._calls.discard(call)
            call.cancel()

    def lock(self, user_id: int) -> asyncio.Lock:
        """Held while answering one user's question, so their questions are answered in order."""
        return self._locks[user_id]

    async def load_history(self, user_id: int) -> History:
        async with self.db.session() as session:
            return History(user_id, await weapons(session, user_id), await history(session, user_id))

    async def reflect(self, user_id: int, session_id: int, language: str) -> Reflection:
        history = await self.load_history(user_id)
        return await self._call(self.provider.reflect(history, session_id, language))

    async def weapon_insight(self, user_id: int, weapon_id: int, language: str) -> WeaponInsight:
        history = await self.load_history(user_id)
        return await self._call(self.provider.weapon_insight(history, weapon_id, language))

    async def ask(self, user_id: int, text: str, language: str) -> Answer:
        """Answer a question in the user's current thread (a new one if none) and keep both turns.

        Nothing is stored when the provider fails, is past the deadline or is stopped, so a failed question
        leaves no half turn behind.
        """
        async with self.db.session() as session:
            thread = await current_thread(session, user_id) or await new_thread(session, user_id)
            assert thread is not None, "a thread pinned to nothing is always made"
            earlier = await recent_messages(session, user_id, thread.id, MAX_TURNS)
        question = Question(
            text=text,
            language=language,
            history=await self.load_history(user_id),
            turns=bounded_turns(
                [Turn(m.role.value, m.content) for m in earlier if m.role is not CoachRole.SYSTEM]
            ),
            session_id=thread.session_id,
            weapon_id=thread.weapon_id,
            tools=DatabaseTools(self.db, user_id),
        )
        answer = await self._call(self.provider.answer(question))
        async with self.db.session() as session:
            await add_message(session, user_id, thread.id, CoachRole.USER, text)
            await add_message(session, user_id, thread.id, CoachRole.ASSISTANT, answer.text, answer.tokens)
        return answer


def bounded_turns(turns: list[Turn], budget: int = TURNS_BUDGET_CHARS) -> list[Turn]:
    """The newest turns that fit the budget, starting with a question (the API wants user first)."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        used += len(turn.content)
        if used > budget:
            break
        kept.append(turn)
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    return kept


def build_coach(settings: Settings, db: Database) -> ShooterCoach:
    provider: CoachProvider = OfflineProvider()
    if settings.ai_provider is AiProvider.ANTHROPIC and settings.anthropic_api_key:
        # The SDK takes over a second to import: only a bot that uses it pays for that.
        from services.coach.anthropic_provider import AnthropicProvider

        provider = AnthropicProvider(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            model=settings.ai_model,
            max_tokens=settings.ai_max_tokens,
            timeout_s=settings.ai_timeout_s,
            max_retries=SDK_RETRIES,
        )
    return ShooterCoach(provider, db, deadline_s=settings.ai_deadline_s)
