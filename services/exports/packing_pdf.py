"""The packing list as a printable PDF: grouped by category, with boxes for departure and return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.exports.pdf import FONT, document
from services.packing.checklist import ChecklistItem, grouped

if TYPE_CHECKING:
    from fpdf import FPDF

BOX_SIZE = 4.0
ROW_HEIGHT = 7.0


@dataclass(frozen=True)
class PackingSheetTexts:
    """The words on the sheet, in the user's language (the caller translates)."""

    title: str  # e.g. "Packing list: Oslo, 1–3 Dec 2026"
    subtitle: str  # participants, forecast
    departure: str
    returned: str
    uncategorised: str
    page: str = "{page}/{pages}"


def packing_pdf(items: Sequence[ChecklistItem], texts: PackingSheetTexts) -> bytes:
    """Blocking (fpdf2): run it in a thread."""
    pdf = document(texts.title, texts.page)
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, texts.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(0, 6, texts.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for group in grouped(items):
        if pdf.will_page_break(ROW_HEIGHT * 2):
            pdf.add_page()
        _header(pdf, group.category or texts.uncategorised, texts)
        for item in group.items:
            if pdf.will_page_break(ROW_HEIGHT):
                pdf.add_page()
                _header(pdf, group.category or texts.uncategorised, texts)
            _row(pdf, item)
        pdf.ln(2)
    return bytes(pdf.output())


def _header(pdf: FPDF, category: str, texts: PackingSheetTexts) -> None:
    pdf.set_font(FONT, "B", 11)
    pdf.cell(130, ROW_HEIGHT, category)
    pdf.set_font(FONT, size=8)
    pdf.cell(25, ROW_HEIGHT, texts.departure, align="C")
    pdf.cell(25, ROW_HEIGHT, texts.returned, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)


def _row(pdf: FPDF, item: ChecklistItem) -> None:
    y = pdf.get_y()
    pdf.cell(130, ROW_HEIGHT, f"{item.name} × {item.quantity}")
    for offset, packed in ((130, item.packed_for_departure), (155, item.packed_for_return)):
        x = pdf.l_margin + offset + 12.5 - BOX_SIZE / 2
        pdf.rect(x, y + (ROW_HEIGHT - BOX_SIZE) / 2, BOX_SIZE, BOX_SIZE)
        if packed:
            pdf.line(x + 0.8, y + ROW_HEIGHT / 2, x + BOX_SIZE / 2, y + ROW_HEIGHT / 2 + 1.4)
            pdf.line(x + BOX_SIZE / 2, y + ROW_HEIGHT / 2 + 1.4, x + BOX_SIZE + 0.6, y + ROW_HEIGHT / 2 - 1.8)
    pdf.ln(ROW_HEIGHT)
