"""Inline keyboards as numbered lines for Matrix, and answers (numbers, letters, keycaps, labels) as taps."""

from __future__ import annotations

import pytest

from bot.matrix.choices import menu
from handlers import callback_data as cb
from handlers.keyboards import checklist_row, is_checklist_row

PACKING = [
    [("— Clothing —", "pk:h")],
    [("Socks × 3", "pk:n:41"), ("☐ departure", "pk:41:d"), ("☐ return", "pk:41:r")],
    [("Rain jacket", "pk:n:42"), ("☑ departure", "pk:42:d"), ("☐ return", "pk:42:r")],
    [("◀", "pk:pg:7:0"), ("2/3", "pk:h"), ("▶", "pk:pg:7:2")],
    [("❓ Why?", "pk:why:7")],
]


def test_buttons_are_numbered_and_picked_by_number_keycap_or_label() -> None:
    shown = menu([[("Glock 17", "lg:w:1"), ("Anschütz 1907", "lg:w:2")], [("🌤 Mild", "jf:temp:mild")]])
    assert shown.lines == ("1. Glock 17   2. Anschütz 1907", "3. 🌤 Mild"), "a row stays one line"
    assert shown.pick("2").data == "lg:w:2"
    assert shown.pick(" 2 ").data == "lg:w:2"
    assert shown.pick("2️⃣").data == "lg:w:2"
    assert shown.pick("anschütz 1907").data == "lg:w:2"
    assert shown.pick("mild").data == "jf:temp:mild", "the label without its emoji, any case"
    assert shown.pick("4") is None and shown.pick("Glock") is None and shown.pick("") is None


def test_a_label_that_is_a_number_wins_over_the_button_with_that_number() -> None:
    shots = menu([[("10", "lg:n:10"), ("20", "lg:n:20"), ("50", "lg:n:50")], [("⏭ Skip", "lg:skip")]])
    assert shots.pick("50").data == "lg:n:50" and shots.pick("1").data == "lg:n:10"
    assert shots.pick("3").data == "lg:n:50" and shots.pick("4").data == "lg:skip"


def test_the_packing_list_numbers_items_and_takes_d_and_r() -> None:
    shown = menu(PACKING, frozenset({"pk:h"}))
    assert shown.lines[0] == "— Clothing —", "a heading is a plain line"
    assert shown.lines[1] == "1. Socks × 3 (1a) · ☐ departure (1d) · ☐ return (1r)"
    assert shown.lines[3] == "3. ◀   2/3   4. ▶"
    assert shown.pick("1").data == "pk:41:d", "the bare number ticks departure"
    assert shown.pick("1d").data == "pk:41:d" and shown.pick("2R").data == "pk:42:r"
    assert shown.pick("1a").data == "pk:n:41"
    assert shown.pick("4").data == "pk:pg:7:2" and shown.pick("▶").data == "pk:pg:7:2"
    assert shown.pick("5").data == "pk:why:7" and shown.pick("why").data == "pk:why:7"
    assert shown.numbers == 5 and shown.pick("6") is None and shown.pick("1x") is None


def test_a_keyboard_without_taps_is_no_menu() -> None:
    assert not menu([[("2/3", "pk:h")]], frozenset({"pk:h"}))
    assert not menu([])


def test_a_label_only_button_is_shown_as_text() -> None:
    """The bridge's menu, as it reads a message: `cb.LABEL_ONLY` is a label, never a number."""
    shown = menu([[("— Clothing —", cb.LABEL_ONLY)], [("◀", "pk:pg:7:0"), ("2/3", cb.LABEL_ONLY)]])
    assert shown.lines == ("— Clothing —", "1. ◀   2/3")
    assert shown.numbers == 1 and shown.pick("2/3") is None
    assert not menu([[("2/3", cb.LABEL_ONLY)]]), "nothing to tap: no menu"


def test_a_checklist_is_known_by_its_rows_not_by_a_feature() -> None:
    assert menu(PACKING, frozenset({"pk:h"})).is_checklist
    rain = menu([[("Yes", "jf:rain:y"), ("No", "jf:rain:n")]])
    assert not rain.is_checklist, "two answers that end in a letter are no item with its toggles"
    assert rain.lines == ("1. Yes   2. No",) and rain.pick("2").data == "jf:rain:n"
    assert not menu([[("Glock 17", "lg:w:1"), ("CZ", "lg:w:2")]]).is_checklist


def test_a_checklist_row_needs_two_toggles_with_letters_of_their_own() -> None:
    row = checklist_row(("Socks × 3", "pk:n:41"), [("☐ departure", "pk:41:d"), ("☐ return", "pk:41:r")])
    assert is_checklist_row(row) and row[0] == ("Socks × 3", "pk:n:41")
    with pytest.raises(ValueError, match="toggles"):
        checklist_row(("Socks", "pk:n:41"), [("☐ departure", "pk:41:d")])
    with pytest.raises(ValueError, match="toggles"):
        checklist_row(("Socks", "pk:n:41"), [("one", "x:41:d"), ("two", "y:41:d")])
