"""What every PDF of the bot shares: a Unicode font (so every name and note prints) and page numbers.

fpdf2 takes a quarter of a second to import, so it is imported when the first PDF is made, not at start-up:
`document()` builds the `Document` class on its first call.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "DejaVu"


def _font_folder() -> Path:
    # matplotlib (already a dependency, for charts) ships the DejaVu fonts; no font files of our own to keep.
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def _document_class() -> type[FPDF]:
    from fpdf import FPDF

    class Document(FPDF):
        """A4 portrait with the DejaVu family registered and "page n/N" in the footer."""

        def __init__(self, title: str, footer_label: str) -> None:
            super().__init__(orientation="portrait", unit="mm", format="A4")
            folder = _font_folder()
            self.add_font(FONT, "", folder / "DejaVuSans.ttf")
            self.add_font(FONT, "B", folder / "DejaVuSans-Bold.ttf")
            self.set_title(title)
            self.set_creator("AimTrack")
            self.footer_label = footer_label
            self.alias_nb_pages("{nb}")
            self.set_auto_page_break(auto=True, margin=15)
            self.set_font(FONT, size=10)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, size=8)
            self.cell(0, 5, self.footer_label.format(page=self.page_no(), pages="{nb}"), align="C")

    return Document


def document(title: str, footer_label: str = "{page}/{pages}") -> FPDF:
    """A new A4 portrait document with the DejaVu family and "page n/N" in the footer."""
    return _document_class()(title, footer_label)
