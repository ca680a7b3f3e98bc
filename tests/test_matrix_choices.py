"""Inline keyboards as numbered lines for Matrix, and answers (numbers, letters, keycaps, labels) as taps."""

from __future__ import annotations

from bot.matrix.choices import menu

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
