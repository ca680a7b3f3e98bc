"""Model Markdown as the small HTML subset chat apps accept, split into messages of a bounded length.

Everything is escaped first; only well-formed pairs (**bold**, *italic*, `code`, ~~strike~~, [link](http…))
on one line become tags, and fenced code becomes <pre>. An unclosed marker stays as typed. Messages are cut
between paragraphs, else between lines, else inside a long line, and every piece is well-formed on its own.
"""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096
LINE_CHARS = 700  # a longer raw line is cut first; escaping can at most make it 5× longer

_FENCE = re.compile(r"^\s*```")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_INLINE = [
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])"), r"<i>\1</i>"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"<s>\1</s>"),
]
_CODE = re.compile(r"`([^`]+)`")
_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")


def _link(found: re.Match[str]) -> str:
    """A link from already escaped text (so `&` is `&amp;` already); only quotes still need it."""
    href = found.group(2).replace('"', "&quot;")
    return f'<a href="{href}">{found.group(1)}</a>'


def _inline(raw: str) -> str:
    """One line of Markdown as HTML; code spans are kept apart so nothing inside them is formatted."""
    pieces = _CODE.split(raw)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(f"<code>{html.escape(piece, quote=False)}</code>")
            continue
        text = html.escape(piece, quote=False)
        text = _LINK.sub(_link, text)
        for pattern, replacement in _INLINE:
            text = pattern.sub(replacement, text)
        out.append(text)
    return "".join(out)


def _well_nested(markup: str) -> bool:
    stack: list[str] = []
    for closing, name in _TAG.findall(markup):
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def _text_line(raw: str) -> str:
    """One line as HTML; markers that would cross each other are left as typed."""
    converted = _formatted_line(raw)
    return converted if _well_nested(converted) else html.escape(raw, quote=False)


def _formatted_line(raw: str) -> str:
    if heading := _HEADING.match(raw):
        return f"<b>{_inline(heading.group(1))}</b>"
    if bullet := _BULLET.match(raw):
        return f"{bullet.group(1)}• {_inline(bullet.group(2))}"
    return _inline(raw)


def _cut(line: str, limit: int = LINE_CHARS) -> list[str]:
    """A raw line in pieces of at most `limit` characters, at a space where there is one."""
    pieces = []
    while len(line) > limit:
        at = line.rfind(" ", 0, limit)
        at = at if at > limit // 2 else limit
        pieces.append(line[:at])
        line = line[at:].lstrip(" ")
    return [*pieces, line]


Block = tuple[bool, list[str]]  # (is code, raw lines)


def blocks(markdown: str) -> list[Block]:
    """Paragraphs and fenced code blocks; an unclosed fence runs to the end."""
    result: list[Block] = []
    current: list[str] = []
    in_code = False
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line):
            if current or in_code:
                result.append((in_code, current))
            current, in_code = [], not in_code
        elif not in_code and not line.strip():
            if current:
                result.append((False, current))
            current = []
        else:
            current.append(line)
    if current:
        result.append((in_code, current))
    return result


def _render(code: bool, lines: list[str]) -> str:
    if code:
        return "<pre>" + html.escape("\n".join(lines), quote=False) + "</pre>"
    return "\n".join(_text_line(line) for line in lines)


def _parts(code: bool, lines: list[str], limit: int) -> list[str]:
    """A block as one or more rendered pieces, each at most `limit` long."""
    raw = [piece for line in lines for piece in _cut(line)]
    parts: list[str] = []
    chunk: list[str] = []
    for line in raw:
        if chunk and len(_render(code, [*chunk, line])) > limit:
            parts.append(_render(code, chunk))
            chunk = []
        chunk.append(line)
    if chunk:
        parts.append(_render(code, chunk))
    return parts


def to_messages(markdown: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The text as HTML messages of at most `limit` characters each (never empty)."""
    messages: list[str] = []
    current = ""
    for code, lines in blocks(markdown):
        for part in _parts(code, lines, limit):
            if not part.strip():
                continue
            joined = f"{current}\n\n{part}" if current else part
            if len(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = part
    if current:
        messages.append(current)
    return messages or [html.escape(markdown.strip() or "…", quote=False)[:limit]]


def pack(parts: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Well-formed HTML pieces (each at most `limit`) joined by newlines into as few messages as fit."""
    messages: list[str] = []
    current = ""
    for part in parts:
        joined = f"{current}\n{part}" if current else part
        if len(joined) <= limit:
            current = joined
        else:
            messages.append(current)
            current = part
    return [*messages, current] if current else messages
