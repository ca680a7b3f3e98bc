"""The offline coach's sentences per language. They are generated from numbers, so they live here as small
format tables rather than in the bot's catalogs (whose texts are whole messages)."""

from __future__ import annotations

import datetime as dt

from services.preferences import format_day

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "entry": "{weapon} at {distance} m: {score} from {shots} shots ({per_shot} per shot)",
        "entry_unscored": "{weapon} at {distance} m: {shots} shots",
        "summary": "{day}{club}: {rounds} rounds with {weapons}. {entries}.",
        "at_club": " at {club}",
        "above": "{weapon} at {distance} m: {per_shot} per shot, above your average of {average} there"
        " ({earlier} earlier entries).",
        "baseline": "{weapon} at {distance} m: {per_shot} per shot is your first scored result there,"
        " a baseline to improve on.",
        "kept_going": "You kept training: {sessions} sessions in the last 12 months.",
        "below": "{weapon} at {distance} m: {per_shot} per shot, below your average of {average} there"
        " ({earlier} earlier entries).",
        "level": "{weapon} at {distance} m: {per_shot} per shot, level with your average there"
        " ({earlier} earlier entries).",
        "recurring": "“{word}” comes back in {count} of your notes.",
        "no_weak_spot": "Nothing stands out against your earlier results.",
        "focus_below": "Next time, work on {weapon} at {distance} m: get back to your average of {average}"
        " per shot.",
        "focus_word": "Next time, pay attention to “{word}”: it is in {count} of your notes.",
        "focus_hold": "Next time, repeat {weapon} at {distance} m and try to hold {per_shot} per shot.",
        "focus_score": "Log a score for each entry, so your progress can be measured.",
        "trend": "{distance} m: {first} → {last} per shot (first {window} vs last {window} of {scored}"
        " scored entries, average {average}).",
        "usage": "{sessions} sessions, {rounds} rounds, last used {day}.",
        "months": "Rounds per month: {months}.",
        "best_worst": "Best session: {best} ({best_score} per shot); weakest: {worst} ({worst_score}"
        " per shot).",
        "no_entries": "No sessions are logged with this weapon yet.",
        "no_scores": "No scores are logged with this weapon yet, so there is no score trend.",
        "issue_word": "“{word}” in {count} of {notes} notes.",
        "no_issue": "No recurring issue in your notes ({notes} notes).",
        "rec_falling": "At {distance} m your score fell from {first} to {last} per shot: spend your next"
        " session there and go back to basics (grip, trigger, follow-through).",
        "rec_rising": "At {distance} m you improved from {first} to {last} per shot: keep that routine.",
        "rec_word": "Work on “{word}”: note after each series whether it still happens.",
        "rec_volume": "You fired {rounds} rounds in {month}; regular sessions keep the trend going.",
        "rec_start": "Log a few sessions with scores with this weapon to see trends.",
        "offline_note": "(Offline coach: answers come from your own statistics.)",
        "scope_all": "All your sessions",
        "scope_weapon": "{weapon}",
        "scope_distance": "at {distance} m",
        "scope_year": "in {year}",
        "answer_totals": "{scope}: {sessions} sessions, {rounds} rounds.",
        "answer_average": "Average {per_shot} per shot over {scored} scored entries.",
        "answer_last": "Last session: {day}.",
        "answer_none": "I found no logged entries for: {scope}.",
        "answer_empty": "You have not logged any sessions yet, so I have nothing to go on. Log one with"
        " /log, then ask me about your scores, weapons or distances.",
        "answer_session": "About your session of {day}: {summary}",
    },
    "nl": {
        "entry": "{weapon} op {distance} m: {score} uit {shots} schoten ({per_shot} per schot)",
        "entry_unscored": "{weapon} op {distance} m: {shots} schoten",
        "summary": "{day}{club}: {rounds} schoten met {weapons}. {entries}.",
        "at_club": " bij {club}",
        "above": "{weapon} op {distance} m: {per_shot} per schot, boven je gemiddelde van {average} daar"
        " ({earlier} eerdere onderdelen).",
        "baseline": "{weapon} op {distance} m: {per_shot} per schot is je eerste score daar, een"
        " nulmeting om op te verbeteren.",
        "kept_going": "Je bleef trainen: {sessions} sessies in de afgelopen 12 maanden.",
        "below": "{weapon} op {distance} m: {per_shot} per schot, onder je gemiddelde van {average} daar"
        " ({earlier} eerdere onderdelen).",
        "level": "{weapon} op {distance} m: {per_shot} per schot, gelijk aan je gemiddelde daar"
        " ({earlier} eerdere onderdelen).",
        "recurring": "“{word}” komt terug in {count} van je notities.",
        "no_weak_spot": "Niets valt op ten opzichte van je eerdere resultaten.",
        "focus_below": "Werk volgende keer aan {weapon} op {distance} m: terug naar je gemiddelde van"
        " {average} per schot.",
        "focus_word": "Let volgende keer op “{word}”: het staat in {count} van je notities.",
        "focus_hold": "Herhaal volgende keer {weapon} op {distance} m en probeer {per_shot} per schot vast"
        " te houden.",
        "focus_score": "Noteer bij elk onderdeel een score, zodat je vooruitgang meetbaar wordt.",
        "trend": "{distance} m: {first} → {last} per schot (eerste {window} vs laatste {window} van"
        " {scored} onderdelen met score, gemiddeld {average}).",
        "usage": "{sessions} sessies, {rounds} schoten, laatst gebruikt op {day}.",
        "months": "Schoten per maand: {months}.",
        "best_worst": "Beste sessie: {best} ({best_score} per schot); zwakste: {worst} ({worst_score}"
        " per schot).",
        "no_entries": "Er zijn nog geen sessies met dit wapen gelogd.",
        "no_scores": "Er zijn nog geen scores met dit wapen gelogd, dus nog geen scoreverloop.",
        "issue_word": "“{word}” in {count} van {notes} notities.",
        "no_issue": "Geen terugkerend probleem in je notities ({notes} notities).",
        "rec_falling": "Op {distance} m daalde je score van {first} naar {last} per schot: besteed je"
        " volgende sessie daaraan en ga terug naar de basis (grip, trekker, nazorg).",
        "rec_rising": "Op {distance} m verbeterde je van {first} naar {last} per schot: houd die routine"
        " vast.",
        "rec_word": "Werk aan “{word}”: noteer na elke serie of het nog gebeurt.",
        "rec_volume": "Je schoot {rounds} schoten in {month}; regelmatig trainen houdt de lijn erin.",
        "rec_start": "Log een paar sessies met score met dit wapen om trends te zien.",
        "offline_note": "(Offline coach: antwoorden komen uit je eigen statistieken.)",
        "scope_all": "Al je sessies",
        "scope_weapon": "{weapon}",
        "scope_distance": "op {distance} m",
        "scope_year": "in {year}",
        "answer_totals": "{scope}: {sessions} sessies, {rounds} schoten.",
        "answer_average": "Gemiddeld {per_shot} per schot over {scored} onderdelen met score.",
        "answer_last": "Laatste sessie: {day}.",
        "answer_none": "Ik vond geen gelogde onderdelen voor: {scope}.",
        "answer_empty": "Je hebt nog geen sessies gelogd, dus ik heb nog niets om op te bouwen. Log er een"
        " met /log en vraag me dan naar je scores, wapens of afstanden.",
        "answer_session": "Over je sessie van {day}: {summary}",
    },
}


class Phrases:
    """Sentences and numbers in one language (English for a language without a table)."""

    def __init__(self, language: str) -> None:
        self.language = language if language in PHRASES else "en"

    def __call__(self, key: str, /, **values: object) -> str:
        return PHRASES[self.language][key].format(**values)

    def number(self, value: float) -> str:
        shown = f"{value:.2f}"
        return shown.replace(".", ",") if self.language == "nl" else shown

    def day(self, value: dt.date) -> str:
        return format_day(value, self.language)
