"""The /log steps and the quick-log parser as plain data, without Telegram."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from services.preferences import format_day
from services.session_log import (
    MAX_ENTRIES,
    SKIP,
    Action,
    EntryDraft,
    Facts,
    Label,
    SessionDraft,
    StaleChoice,
    Step,
    WeaponChoice,
    answer_choice,
    answer_text,
    draft_from_quick,
    entry_values,
    match_weapon,
    max_score,
    parse_quick_log,
    prompt,
    session_values,
    summary_lines,
)
from services.validation import InvalidInput
from storage.models import Competition

TODAY = dt.date(2026, 11, 21)
GLOCK = WeaponChoice(1, "Glock 17", "9mm")
SHADOW = WeaponChoice(2, "CZ Shadow 2", "9mm")
CZ75 = WeaponChoice(3, "CZ 75", "9mm")
AIR = WeaponChoice(4, "Walther LP500", "4.5mm")
FACTS = Facts(
    today=TODAY,
    weapons=(SHADOW, GLOCK),
    clubs=("SV De Roos", "SV Oost"),
    common_weather=("Sunny", "Rain"),
    disciplines=("Pistol 25 m",),
    common_disciplines=("Pistol 25 m", "Air pistol 10 m"),
)


def values(step: Step, draft: SessionDraft, facts: Facts = FACTS) -> list[str]:
    return [option.value for option in prompt(step, draft, facts).options]


def entry_draft() -> SessionDraft:
    draft = SessionDraft(date=TODAY.isoformat(), club="SV Oost")
    draft.start_entry()
    return draft


def test_the_flow_from_date_to_summary_with_buttons_and_skips() -> None:
    draft = SessionDraft()
    step = answer_choice(Step.DATE, draft, "yesterday", FACTS).step
    assert (step, draft.date) == (Step.CLUB, "2026-11-20")
    assert values(Step.CLUB, draft) == ["0", "1"]
    step = answer_choice(Step.CLUB, draft, "1", FACTS).step
    assert (step, draft.club) == (Step.LOCATION, "SV Oost")
    step = answer_choice(Step.LOCATION, draft, SKIP, FACTS).step
    assert step is Step.WEAPON and draft.current == 0 and len(draft.entries) == 1
    assert values(Step.WEAPON, draft) == ["2", "1"]
    for step_now, token, expected in [
        (Step.WEAPON, "1", Step.DISTANCE),
        (Step.DISTANCE, "25", Step.SHOTS),
        (Step.SHOTS, "50", Step.CALIBER),
        (Step.CALIBER, "w", Step.SCORE),
        (Step.SCORE, SKIP, Step.GROUPING),
        (Step.GROUPING, SKIP, Step.MORE),
        (Step.MORE, "done", Step.AMMO_BRAND),
    ]:
        assert answer_choice(step_now, draft, token, FACTS).step is expected
    assert draft.entries == [EntryDraft(None, 1, "Glock 17", "9mm", 25, 50, "9mm", None, None)]
    for step_now in (Step.AMMO_BRAND, Step.WEATHER, Step.START, Step.END, Step.NOTES, Step.REFLECTION):
        answer_choice(step_now, draft, SKIP, FACTS)
    assert answer_choice(Step.COMPETITION, draft, "knsa", FACTS).step is Step.DISCIPLINE
    assert answer_choice(Step.DISCIPLINE, draft, "1", FACTS).step is Step.SUMMARY
    assert (draft.competition, draft.discipline) == ("knsa", "Air pistol 10 m")
    assert answer_choice(Step.SUMMARY, draft, "save", FACTS).action is Action.SAVE
    assert json.loads(json.dumps(draft.to_dict())) == draft.to_dict()
    assert SessionDraft.from_dict(draft.to_dict()) == draft


def test_typed_answers_are_checked_and_leave_the_draft_alone_when_bad() -> None:
    draft = entry_draft()
    before = draft.to_dict()
    bad = [
        (Step.DATE, "2026-11-22", "input.future_date"),
        (Step.DATE, "31-02", "input.no_such_date"),
        (Step.DATE, "soon", "input.bad_date"),
        (Step.CLUB, "x" * 101, "input.too_long"),
        (Step.LOCATION, "   ", "input.empty"),
        (Step.AMMO_BRAND, "x" * 101, "input.too_long"),
        (Step.DISCIPLINE, "x" * 65, "input.too_long"),
        (Step.NOTES, "x" * 2001, "input.too_long"),
        (Step.REFLECTION, "x" * 2001, "input.too_long"),
        (Step.DISTANCE, "0", "log.bad_distance"),
        (Step.DISTANCE, "1001 m", "log.bad_distance"),
        (Step.SHOTS, "0", "log.bad_shots"),
        (Step.SHOTS, "10001", "log.bad_shots"),
        (Step.START, "24:00", "input.bad_time"),
        (Step.WEAPON, "walther", "log.unknown_weapon"),
    ]
    for step, text, key in bad:
        with pytest.raises(InvalidInput) as error:
            answer_text(step, draft, text, FACTS)
        assert error.value.key == key, (step, text)
    assert draft.to_dict() == before


def test_typed_answers_that_fit() -> None:
    draft = entry_draft()
    assert answer_text(Step.DATE, draft, "21-11", FACTS).step is Step.CLUB and draft.date == "2026-11-21"
    answer_text(Step.DATE, draft, "2026-11-01", FACTS)
    assert draft.date == "2026-11-01"
    answer_text(Step.WEAPON, draft, "shadow", FACTS)
    assert draft.entry.weapon_id == SHADOW.id
    answer_text(Step.DISTANCE, draft, "25 m", FACTS)
    answer_text(Step.SHOTS, draft, "60", FACTS)
    answer_text(Step.CALIBER, draft, ".22 LR", FACTS)
    assert answer_text(Step.SCORE, draft, "654", FACTS).step is Step.GROUPING
    assert (draft.entry.distance_m, draft.entry.shot_count, draft.entry.ammo_caliber) == (25, 60, ".22 LR")
    assert draft.entry.score == 654 == max_score(60)


def test_a_score_is_at_most_ten_point_nine_per_shot() -> None:
    draft = entry_draft()
    draft.entry.shot_count = 50
    for text in ("-1", "546", "many"):
        with pytest.raises(InvalidInput) as error:
            answer_text(Step.SCORE, draft, text, FACTS)
        assert error.value.key == "log.bad_score"
    assert error.value.values["maximum"] == 545
    answer_text(Step.SCORE, draft, "0", FACTS)
    assert draft.entry.score == 0


def test_the_end_time_is_not_before_the_start() -> None:
    draft = entry_draft()
    assert answer_text(Step.START, draft, "19.30", FACTS).step is Step.END
    with pytest.raises(InvalidInput) as error:
        answer_text(Step.END, draft, "19:00", FACTS)
    assert error.value.values == {"start": "19:30", "end": "19:00"}
    assert draft.end_time is None
    answer_text(Step.END, draft, "19:30", FACTS)
    assert draft.end_time == "19:30"


def test_stale_and_forged_choices_are_refused() -> None:
    draft = entry_draft()
    for step, token in [(Step.WEAPON, "99"), (Step.CLUB, "7"), (Step.DISTANCE, "30"), (Step.EDIT, "x0")]:
        with pytest.raises(StaleChoice):
            answer_choice(step, draft, token, FACTS)
    with pytest.raises(StaleChoice):  # the club cannot be skipped
        answer_choice(Step.CLUB, draft, SKIP, FACTS)


def test_buttons_only_questions_ask_again_when_typed_at() -> None:
    outcome = answer_text(Step.COMPETITION, entry_draft(), "knsa", FACTS)
    assert (outcome.step, outcome.note) == (Step.COMPETITION, "log.use_buttons")


def test_other_day_asks_for_a_typed_date() -> None:
    outcome = answer_choice(Step.DATE, SessionDraft(), "other", FACTS)
    assert (outcome.step, outcome.ask, outcome.note) == (Step.DATE, False, "log.type_date")


def test_the_edit_menu_returns_to_the_summary_after_a_field() -> None:
    draft = entry_draft()
    draft.entries[0] = EntryDraft(7, 1, "Glock 17", "9mm", 25, 50, "9mm")
    draft.current = None
    assert answer_choice(Step.SUMMARY, draft, "edit", FACTS).step is Step.EDIT
    assert answer_choice(Step.EDIT, draft, "c", FACTS).step is Step.CLUB
    assert answer_text(Step.CLUB, draft, "New Club", FACTS).step is Step.SUMMARY
    assert not draft.editing
    answer_choice(Step.EDIT, draft, Step.START.value, FACTS)
    assert answer_text(Step.START, draft, "10:00", FACTS).step is Step.END
    assert answer_choice(Step.END, draft, SKIP, FACTS).step is Step.SUMMARY
    # Adding an entry, then removing the first: the stored entry's id goes with it.
    assert answer_choice(Step.EDIT, draft, "add", FACTS).step is Step.WEAPON
    for step, token in [(Step.WEAPON, "2"), (Step.DISTANCE, "10"), (Step.SHOTS, "10"), (Step.CALIBER, "w")]:
        answer_choice(step, draft, token, FACTS)
    answer_choice(Step.SCORE, draft, SKIP, FACTS)
    assert answer_choice(Step.GROUPING, draft, SKIP, FACTS).step is Step.EDIT, "back to the edit menu"
    assert (draft.editing, draft.current) == (False, None)
    assert "x1" in values(Step.EDIT, draft)
    assert answer_choice(Step.EDIT, draft, "x0", FACTS).step is Step.EDIT
    assert [entry.weapon_id for entry in draft.entries] == [SHADOW.id]
    assert "x0" not in values(Step.EDIT, draft), "the last entry cannot be removed"
    assert [entry["id"] for entry in entry_values(draft)] == [None]


def test_editing_an_entry_shows_each_stored_value_and_keeps_it() -> None:
    draft = SessionDraft(
        session_id=3,
        date=TODAY.isoformat(),
        entries=[EntryDraft(7, 1, "Glock 17", "9mm", 25, 50, "9mm", 471, "low left")],
    )
    shown = {
        Step.WEAPON: "Glock 17 (9mm)",
        Step.DISTANCE: Label("log.metres", {"distance": 25}),
        Step.SHOTS: 50,
        Step.CALIBER: "9mm",
        Step.SCORE: 471,
        Step.GROUPING: "low left",
    }
    for step, value in shown.items():
        assert answer_choice(Step.EDIT, draft, "e0", FACTS).step is Step.ENTRY, "a menu of the entry's fields"
        assert values(Step.ENTRY, draft) == [*(field.value for field in shown), "back"]
        assert answer_choice(Step.ENTRY, draft, step.value, FACTS).step is step
        question = prompt(step, draft, FACTS)
        assert question.current == ("log.current", {"value": value}), step
        assert question.options[-1].value == "keep" and question.options[-1].key == "weapons.form.keep"
        assert SKIP not in values(step, draft), "Keep takes Skip's place: skipping would erase nothing"
        if step is Step.SHOTS:
            outcome = answer_text(step, draft, "45", FACTS)
        else:
            outcome = answer_choice(step, draft, "keep", FACTS)
        if step is Step.WEAPON:  # a weapon is followed by its caliber
            assert outcome.step is Step.CALIBER
            outcome = answer_choice(Step.CALIBER, draft, "keep", FACTS)
        assert outcome.step is Step.EDIT, step
        assert (draft.editing, draft.single, draft.current) == (False, False, None)
    assert entry_values(draft)[0] == {
        "id": 7,
        "weapon_id": 1,
        "distance_m": 25,
        "shot_count": 45,
        "ammo_caliber": "9mm",
        "score": 471,
        "grouping_note": "low left",
    }
    answer_choice(Step.EDIT, draft, "e0", FACTS)
    assert answer_choice(Step.ENTRY, draft, "back", FACTS).step is Step.EDIT
    assert prompt(Step.SCORE, SessionDraft(entries=[EntryDraft()], current=0), FACTS).current is None
    with pytest.raises(StaleChoice):  # Keep is only offered while editing
        answer_choice(Step.SCORE, SessionDraft(entries=[EntryDraft()], current=0), "keep", FACTS)


def test_fewer_shots_than_the_stored_score_allows_ask_the_score_again() -> None:
    """471 from 50 shots, edited to 40 shots (at most 436): the score is asked, with no Keep or Skip."""
    draft = SessionDraft(
        session_id=3,
        date=TODAY.isoformat(),
        entries=[EntryDraft(7, 1, "Glock 17", "9mm", 25, 50, "9mm", 471, "low left")],
    )
    answer_choice(Step.EDIT, draft, "e0", FACTS)
    answer_choice(Step.ENTRY, draft, Step.SHOTS.value, FACTS)
    assert answer_text(Step.SHOTS, draft, "40", FACTS).step is Step.SCORE
    question = prompt(Step.SCORE, draft, FACTS)
    assert question.options == () and question.current == ("log.current", {"value": 471})
    with pytest.raises(StaleChoice):
        answer_choice(Step.SCORE, draft, "keep", FACTS)
    with pytest.raises(InvalidInput):
        answer_text(Step.SCORE, draft, "471", FACTS)
    assert answer_text(Step.SCORE, draft, "400", FACTS).step is Step.EDIT
    assert (entry_values(draft)[0]["shot_count"], entry_values(draft)[0]["score"]) == (40, 400)


def test_editing_a_field_without_a_value_skips_as_before_and_a_stored_one_is_kept() -> None:
    draft = SessionDraft(date=TODAY.isoformat(), raw_notes="Wrist firm", entries=[EntryDraft()])
    answer_choice(Step.EDIT, draft, Step.NOTES.value, FACTS)
    assert values(Step.NOTES, draft) == ["keep"]
    assert answer_choice(Step.NOTES, draft, "keep", FACTS).step is Step.SUMMARY
    assert draft.raw_notes == "Wrist firm"
    answer_choice(Step.EDIT, draft, Step.WEATHER.value, FACTS)
    assert values(Step.WEATHER, draft)[-1] == SKIP and prompt(Step.WEATHER, draft, FACTS).current is None
    assert answer_choice(Step.WEATHER, draft, SKIP, FACTS).step is Step.SUMMARY


def test_a_saved_entry_keeps_its_retired_weapon_choosable() -> None:
    draft = SessionDraft(entries=[EntryDraft(7, 9, "Old Colt", ".45 ACP", 25, 50, ".45 ACP")], current=0)
    assert values(Step.WEAPON, draft)[0] == "9"
    assert answer_choice(Step.WEAPON, draft, "9", FACTS).step is Step.DISTANCE
    assert draft.entry.weapon_id == 9


def test_no_more_entries_than_a_summary_can_show() -> None:
    draft = entry_draft()
    draft.entries = [EntryDraft(None, 1, "Glock 17", "9mm", 25, 10, "9mm") for _ in range(MAX_ENTRIES)]
    assert values(Step.MORE, draft) == ["done"]
    assert "add" not in values(Step.EDIT, draft)


def test_no_weapons_offers_to_try_again() -> None:
    question = prompt(Step.WEAPON, entry_draft(), Facts(today=TODAY))
    assert question.key == "log.no_weapons_now" and [option.value for option in question.options] == ["retry"]


def test_the_summary_and_the_stored_values() -> None:
    draft = SessionDraft(
        date="2026-11-20",
        club="SV Oost",
        entries=[EntryDraft(None, 1, "Glock 17", "9mm", 25, 50, "9mm", 471, "low")],
        start_time="19:00",
        raw_notes="n" * 500,
        competition="club",
        files=[{"path": "p"}],
        existing_files=2,
    )
    lines = dict(summary_lines(draft))
    assert lines["log.line_date"] == {"date": dt.date(2026, 11, 20)}
    assert lines["log.line_entry"]["weapon"] == "Glock 17"
    assert lines["log.line_score"] == {"value": 471}
    assert lines["log.line_start"] == {"value": dt.time(19, 0)}
    assert len(lines["log.line_notes"]["value"]) == 200, "long notes are cut in the summary"
    assert lines["log.line_competition"] == {"value": Label("log.competition_club")}
    assert lines["log.line_files"] == {"count": 3}
    assert "log.line_location" not in lines
    stored = session_values(draft)
    assert stored["date"] == dt.date(2026, 11, 20) and stored["start_time"] == dt.time(19, 0)
    assert stored["end_time"] is None and stored["competition"] is Competition.CLUB
    assert stored["raw_notes"] == "n" * 500


def test_an_incomplete_draft_cannot_be_stored() -> None:
    with pytest.raises(ValueError):
        session_values(entry_draft())


def test_days_are_written_as_the_language_does() -> None:
    assert format_day(dt.date(2026, 11, 1), "nl") == "01-11-2026"
    assert format_day(dt.date(2026, 11, 1), "en") == "1 Nov 2026"


# --- the quick log -----------------------------------------------------------------------------------

WEAPONS = (GLOCK, SHADOW, AIR)


@pytest.mark.parametrize(
    ("text", "weapon", "distance", "shots", "score"),
    [
        ("/log 25m glock 50 shots 471", GLOCK, 25, 50, 471),
        ("log cz 10m 60 schoten 540", SHADOW, 10, 60, 540),
        ("Log Walther 10 m 60x", AIR, 10, 60, None),
        ("log 25 m 50 x 480 glock", GLOCK, 25, 50, 480),
        ("/log@aimtrack_bot glo 50m 1 shot", GLOCK, 50, 1, None),
        ("log lp500 10m 40 schoten 390", AIR, 10, 40, 390),
    ],
)
def test_the_quick_log_is_understood(
    text: str, weapon: WeaponChoice, distance: int, shots: int, score: int
) -> None:
    quick = parse_quick_log(text, WEAPONS)
    assert (quick.weapon, quick.distance_m, quick.shot_count, quick.score) == (weapon, distance, shots, score)


def test_a_number_in_a_weapons_name_is_not_the_score() -> None:
    quick = parse_quick_log("log cz 75 25m 50 shots 460", (CZ75, GLOCK))
    assert (quick.weapon, quick.score) == (CZ75, 460)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("log glock 50 shots", "log.quick_help"),
        ("log glock 25m", "log.quick_help"),
        ("log glock 25m 10m 50 shots", "log.quick_help"),
        ("log glock 25m 50 shots 400 300", "log.quick_help"),
        ("log 25m 50 shots", "log.which_weapon"),
        ("log sig 25m 50 shots", "log.unknown_weapon"),
        ("log glock 25m 50 shots 546", "log.bad_score"),
        ("log glock 0m 50 shots", "log.bad_distance"),
        ("log glock 25m 10001 shots", "log.bad_shots"),
        ("log glock 25m 0x", "log.bad_shots"),
    ],
)
def test_the_quick_log_says_what_it_cannot_use(text: str, key: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_quick_log(text, WEAPONS)
    assert error.value.key == key


def test_the_quick_log_needs_a_weapon_at_all() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_quick_log("log glock 25m 50 shots", ())
    assert error.value.key == "log.no_weapons"


def test_weapons_are_matched_by_unique_part_of_the_name() -> None:
    weapons = (SHADOW, CZ75, GLOCK)
    assert match_weapon(["cz", "shadow"], weapons) == SHADOW, "the words agree on one"
    assert match_weapon(["GLOCK"], weapons) == GLOCK
    assert match_weapon(["cz 75"], weapons) == CZ75, "a whole name wins"
    with pytest.raises(InvalidInput) as error:
        match_weapon(["cz"], weapons)
    assert error.value.key == "log.ambiguous_weapon"
    assert error.value.values["weapons"] == "CZ Shadow 2, CZ 75"
    with pytest.raises(InvalidInput) as error:
        match_weapon(["glock", "shadow"], weapons)
    assert error.value.key == "log.ambiguous_weapon"
    with pytest.raises(InvalidInput) as error:
        match_weapon(["sig"], weapons)
    assert error.value.values["weapons"] == "CZ Shadow 2, CZ 75, Glock 17"


def test_a_quick_log_becomes_todays_draft_at_the_club() -> None:
    draft = draft_from_quick(parse_quick_log("log glock 25m 50x 471", WEAPONS), TODAY, "SV Oost")
    assert (draft.date, draft.club) == ("2026-11-21", "SV Oost")
    assert entry_values(draft) == [
        {
            "id": None,
            "weapon_id": GLOCK.id,
            "distance_m": 25,
            "shot_count": 50,
            "ammo_caliber": "9mm",
            "score": 471,
            "grouping_note": None,
        }
    ]
