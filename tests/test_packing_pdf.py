"""The packing list PDF reads back with every item, grouped, across pages, in any script."""

from __future__ import annotations

import io

from pypdf import PdfReader

from services.exports.packing_pdf import PackingSheetTexts, packing_pdf
from services.packing.checklist import ChecklistItem

TEXTS = PackingSheetTexts(
    title="Paklijst: Kraków, 1–3 dec 2026",
    subtitle="2 volwassenen · 4 °C, 70 % kans op regen (verwachting)",
    departure="Heen",
    returned="Terug",
    uncategorised="Zonder categorie",
    page="pagina {page} van {pages}",
)


def read(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_items_grouped_with_quantities_and_unicode() -> None:
    items = [
        ChecklistItem(1, "Sokken", 3, "Kleding", True, False),
        ChecklistItem(2, "Paspoort", 1, None, False, False),
        ChecklistItem(3, "Łyżka ☂ Ærø", 2, "Kleding", False, False),
    ]
    pdf = packing_pdf(items, TEXTS)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(read(pdf))
    assert "Paklijst: Kraków" in text and "Heen" in text and "Terug" in text
    assert (
        text.index("Kleding")
        < text.index("Sokken × 3")
        < text.index("Zonder categorie")
        < text.index("Paspoort")
    )
    assert "Łyżka ☂ Ærø × 2" in text
    assert "pagina 1 van 1" in text


def test_a_long_list_runs_over_pages_with_numbers() -> None:
    items = [ChecklistItem(i, f"Item {i:03}", 1, f"Categorie {i % 3}", False, False) for i in range(150)]
    pages = read(packing_pdf(items, TEXTS))
    assert len(pages) > 2
    assert f"pagina {len(pages)} van {len(pages)}" in pages[-1]
    assert all(f"Item {i:03}" in "\n".join(pages) for i in range(150))
