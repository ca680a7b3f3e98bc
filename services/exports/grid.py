"""A plain bordered table for long PDFs: wrapped cells, a bold heading row repeated on every page.

fpdf2's `table()` lays each cell out with `multi_cell` twice (once to measure the row, once to draw it) and
measures text character by character: 2,000 session days took 8 s, 80 % of it in `fpdf/line_break.py`.
Here each word is measured once (widths are cached per font) and each line is drawn with `text()`, which
makes the same table about ten times faster. Cells wrap at spaces, and inside a word only when the word
alone is wider than its column; a row taller than a page continues on the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF


@dataclass
class Grid:
    """Column widths in mm (they fill the page's width in proportion); `line_height` and `padding` in mm."""

    pdf: FPDF
    widths: Sequence[float]
    heading: Sequence[str]
    font: str
    size: float
    line_height: float = 4.0
    padding: float = 1.0
    _columns: list[float] = field(init=False)
    _measured: dict[tuple[str, str], float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        total = sum(self.widths)
        self._columns = [width * self.pdf.epw / total for width in self.widths]

    def draw(self, rows: Iterable[Sequence[str]]) -> None:
        self._row(self.heading, bold=True)
        for row in rows:
            self._row(row)

    # --- layout --------------------------------------------------------------------------------------

    def _width(self, text: str, style: str) -> float:
        key = (style, text)
        if (width := self._measured.get(key)) is None:
            width = self._measured[key] = self.pdf.get_string_width(text)
        return width

    def _wrap(self, text: str, room: float, style: str) -> list[str]:
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if self._width(candidate, style) <= room:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                line = word
                while self._width(line, style) > room and len(line) > 1:  # a word wider than the column
                    cut = len(line) - 1
                    while cut > 1 and self._width(line[:cut], style) > room:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line)
        return lines

    # --- drawing -------------------------------------------------------------------------------------

    def _row(self, cells: Sequence[str], *, bold: bool = False) -> None:
        pdf = self.pdf
        style = "B" if bold else ""
        pdf.set_font(self.font, style, self.size)
        wrapped = [
            self._wrap(text, width - 2 * self.padding, style)
            for text, width in zip(cells, self._columns, strict=True)
        ]
        remaining = max(len(lines) for lines in wrapped)
        start = 0
        while True:
            room = int((pdf.page_break_trigger - pdf.get_y() - 2 * self.padding) // self.line_height)
            if room < min(remaining, 1 if bold else 2) or (bold and room < remaining):
                pdf.add_page(same=True)
                if not bold:
                    self._row(self.heading, bold=True)
                    pdf.set_font(self.font, style, self.size)
                continue
            count = min(room, remaining)
            self._draw([lines[start : start + count] for lines in wrapped], count)
            start, remaining = start + count, remaining - count
            if not remaining:
                return
            pdf.add_page(same=True)
            self._row(self.heading, bold=True)
            pdf.set_font(self.font, style, self.size)

    def _draw(self, columns: Sequence[Sequence[str]], count: int) -> None:
        pdf = self.pdf
        height = count * self.line_height + 2 * self.padding
        x, y = pdf.l_margin, pdf.get_y()
        ascent = self.line_height * 0.75  # the baseline of a line within its line height
        for lines, width in zip(columns, self._columns, strict=True):
            pdf.rect(x, y, width, height)
            for number, line in enumerate(lines):
                if line:
                    pdf.text(x + self.padding, y + self.padding + number * self.line_height + ascent, line)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)
