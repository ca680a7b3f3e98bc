"""The coach on Anthropic's Messages API (the `anthropic` SDK's async client).

Reflections and weapon insights are asked for through a forced tool call, so the answer has the fields of
the typed result. Free questions get data tools (`services.coach.tools`); the provider runs them for the
model until it stops asking (at most `MAX_TOOL_ROUNDS` rounds).
"""

from __future__ import annotations

import json
from typing import Any

import anthropic

from services.coach.context import session_line, summary
from services.coach.tools import TOOLS
from services.coach.types import (
    Answer,
    CoachUnavailable,
    History,
    Question,
    Reflection,
    WeaponInsight,
)

PROVIDER = "anthropic"
MAX_TOOL_ROUNDS = 5
LANGUAGE_NAMES = {"en": "English", "nl": "Dutch"}

SYSTEM = (
    "You are AimTrack's shooting coach for one sport shooter (Dutch WM-4 permit holder). You only know this "
    "shooter's own log, summarised below. Be concrete, name the real numbers from the data, never invent "
    "sessions or scores, and keep it short: this is read on a phone at the range. Scores are points; "
    "'per shot' is points divided by shots. Write in {language}."
)

REFLECTION_TOOL: dict[str, Any] = {
    "name": "write_reflection",
    "description": "Store the reflection on the session.",
    "input_schema": {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "two or three sentences about the session"},
            "went_well": {"type": "string"},
            "needs_improvement": {"type": "string"},
            "next_focus": {"type": "string", "description": "one concrete focus for the next session"},
        },
        "required": ["summary", "went_well", "needs_improvement", "next_focus"],
    },
}

INSIGHT_TOOL: dict[str, Any] = {
    "name": "write_weapon_insight",
    "description": "Store the insight on the weapon.",
    "input_schema": {
        "type": "object",
        "properties": {
            "trends": {"type": "string", "description": "score and volume trends, per distance"},
            "typical_issues": {"type": "string"},
            "recommendations": {"type": "string"},
        },
        "required": ["trends", "typical_issues", "recommendations"],
    },
}


def system_prompt(history: History, language: str) -> str:
    name = LANGUAGE_NAMES.get(language, "English")
    return f"{SYSTEM.format(language=name)}\n\n<shooter_data>\n{summary(history)}\n</shooter_data>"


class AnthropicProvider:
    name = PROVIDER

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        max_tokens: int,
        timeout_s: float,
        base_url: str | None = None,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
        )

    async def close(self) -> None:
        await self.client.close()

    async def _create(self, **request: Any) -> Any:
        try:
            return await self.client.messages.create(model=self.model, max_tokens=self.max_tokens, **request)
        except anthropic.APIError as error:
            raise CoachUnavailable(f"{type(error).__name__}: {error}") from error

    async def _forced(
        self, history: History, language: str, prompt: str, tool: dict[str, Any]
    ) -> dict[str, str]:
        response = await self._create(
            system=system_prompt(history, language),
            messages=[{"role": "user", "content": prompt}],
            tools=[tool],
            tool_choice={"type": "tool", "name": tool["name"]},
        )
        for block in response.content:
            if block.type == "tool_use" and block.name == tool["name"]:
                fields = tool["input_schema"]["required"]
                values = block.input if isinstance(block.input, dict) else {}
                if all(isinstance(values.get(f), str) and values[f].strip() for f in fields):
                    return {f: values[f].strip() for f in fields}
        raise CoachUnavailable(f"the model did not call {tool['name']} with every field")

    async def reflect(self, history: History, session_id: int, language: str) -> Reflection:
        entries = [e for e in history.entries if e.session_id == session_id]
        if not entries:
            raise ValueError(f"session {session_id} has no entries in this user's history")
        prompt = f"Reflect on this session:\n{session_line(entries)}"
        values = await self._forced(history, language, prompt, REFLECTION_TOOL)
        return Reflection(**values, provider=self.name, model=self.model)

    async def weapon_insight(self, history: History, weapon_id: int, language: str) -> WeaponInsight:
        weapon = next((w for w in history.weapons if w.id == weapon_id), None)
        if weapon is None:
            raise ValueError(f"weapon {weapon_id} is not in this user's history")
        prompt = f"Describe trends, typical issues and recommendations for {weapon.name} (id {weapon.id})."
        values = await self._forced(history, language, prompt, INSIGHT_TOOL)
        return WeaponInsight(**values, provider=self.name, model=self.model)

    async def answer(self, question: Question) -> Answer:
        system = system_prompt(question.history, question.language)
        if question.session_id is not None:
            system += f"\nThe shooter pinned this conversation to session #{question.session_id}."
        if question.weapon_id is not None:
            system += f"\nThe shooter pinned this conversation to weapon id {question.weapon_id}."
        messages: list[dict[str, Any]] = [{"role": t.role, "content": t.content} for t in question.turns]
        messages.append({"role": "user", "content": question.text})
        tools = {"tools": TOOLS} if question.tools is not None else {}
        output_tokens = 0
        for _ in range(MAX_TOOL_ROUNDS):
            response = await self._create(system=system, messages=messages, **tools)
            output_tokens += response.usage.output_tokens
            if response.stop_reason != "tool_use" or question.tools is None:
                return Answer(_text(response), self.name, self.model, output_tokens)
            messages.append({"role": "assistant", "content": [_block(b) for b in response.content]})
            results = []
            for block in response.content:
                if block.type == "tool_use":
                    arguments = block.input if isinstance(block.input, dict) else {}
                    result = await question.tools.run(block.name, arguments)
                    results.append(
                        {
                            "type": "tool_result",
                            "tool_use_id": block.id,
                            "content": json.dumps(result, ensure_ascii=False, default=str),
                            "is_error": "error" in result,
                        }
                    )
            messages.append({"role": "user", "content": results})
        response = await self._create(system=system, messages=messages, tool_choice={"type": "none"}, **tools)
        return Answer(_text(response), self.name, self.model, output_tokens + response.usage.output_tokens)


def _block(block: Any) -> dict[str, Any]:
    """A response block as request content (only the fields the API takes back)."""
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "text":
        return {"type": "text", "text": block.text}
    dumped: dict[str, Any] = block.model_dump(exclude_none=True)
    return dumped


def _text(response: Any) -> str:
    text = "\n\n".join(block.text for block in response.content if block.type == "text").strip()
    if not text:
        raise CoachUnavailable("the model's answer has no text")
    return text
