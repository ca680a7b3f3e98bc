"""The journey form: /journey asks destination, dates and participants; the card's Edit asks one part again.

What each step accepts and what comes next is `services.packing.journeys`; this module asks it in the chat.
The conversation's state is the current `Step`; the draft is a `JourneyDraft` in user_data (a `DraftSlot`),
so a restart resumes the form.
After the last answer the weather is fetched (or asked, when there is no service or no answer), and the
journey and its packing list are written in one transaction.

Its buttons (payloads below): `jf:new` and `jf:edit:<journey id>:<dest|dates|people>` start the form (at
any time; `handlers.journeys` declares them); while a question is open: `jf:place:<index>` (a geocoder
match), `jf:cal:<s|e>:<YYYY-MM>` (another month), `jf:day:<s|e>:<YYYYMMDD>`,
`jf:pp:<adult|child|infant>:<+|-|t>`, `jf:pp:ok`, `jf:temp:<warm|mild|cold>` and `jf:rain:<y|n>`. Calendar
cells that only label carry `cb.LABEL_ONLY`, answered by the fallback (`jf:x` on calendars sent before).
"""

from __future__ import annotations

import datetime as dt
import enum
import html
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from conversations.common import conversation
from handlers import callback_data as cb
from handlers.context import BotContext
from handlers.drafts import DraftSlot, fields_of
from handlers.journeys import EditJourney, NewJourney
from handlers.keyboards import Option, keyboard
from handlers.packing_list import send_list
from handlers.screens import edit_markup_in_place, show_next
from services import journeys
from services.geocoding import MAX_RESULTS
from services.packing.conditions import Participant, WeatherForecast
from services.packing.journeys import (
    TEMPERATURES,
    CalendarMonth,
    Step,
    answer_date,
    answer_day,
    answer_rain,
    answer_temperature,
    calendar_month,
    change_count,
    check_participants,
    day_token,
    draft_of,
    edit_of,
    ends_of,
    first_step,
    journey_values,
    needs_weather,
    new_draft,
    next_step,
    pick_match,
    read_place_query,
    starts_of,
    with_location,
    with_matches,
)
from services.preferences import format_day
from services.validation import InvalidInput

DATE_STEPS = (Step.START, Step.END)


@dataclass
class JourneyDraft:
    """The answers so far (the layout of `services.packing.journeys.new_draft`, whose functions take it as a
    dict): dates as ISO text, participants as counts per type, the geocoder's matches offered as buttons."""

    journey_id: int | None = None  # the journey being edited; None: a new one
    edit: str | None = None  # the part being edited (`EditTarget`)
    destination: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    participants: dict[str, int] = field(default_factory=dict)
    matches: list[dict[str, Any]] = field(default_factory=list)
    temperature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JourneyDraft:
        return cls(**fields_of(cls, data))


FORM = DraftSlot("journey_form", JourneyDraft, version=1)


class Change(enum.StrEnum):
    MORE = "+"
    FEWER = "-"
    TOGGLE = "t"  # between none and one


@dataclass(frozen=True)
class PickPlace(cb.Payload, template="jf:place:{index}"):
    index: int  # of the geocoder's matches kept in the draft


@dataclass(frozen=True)
class TurnMonth(cb.Payload, template="jf:cal:{step}:{month}"):
    step: Step
    month: str  # YYYY-MM


@dataclass(frozen=True)
class PickDay(cb.Payload, template="jf:day:{step}:{day}"):
    step: Step
    day: str  # YYYYMMDD


@dataclass(frozen=True)
class CountPeople(cb.Payload, template="jf:pp:{kind}:{change}"):
    kind: Participant
    change: Change


@dataclass(frozen=True)
class PeopleDone(cb.Payload, template="jf:pp:ok"):
    pass


@dataclass(frozen=True)
class ChooseTemperature(cb.Payload, template="jf:temp:{choice}"):
    choice: str  # warm, mild, cold


@dataclass(frozen=True)
class ExpectRain(cb.Payload, template="jf:rain:{answer}"):
    answer: str  # y, n


@dataclass(frozen=True)
class OldCalendarLabel(cb.Payload, template="jf:x"):
    """A label cell of a calendar sent before those carried `cb.LABEL_ONLY`: answered with nothing."""

    label = True


Callback = Callable[[Update, BotContext], Awaitable[Any]]


def _form(context: BotContext) -> dict[str, Any]:
    """The draft as the flow's functions take it (`_needs_form` has made sure there is one)."""
    draft = FORM.load(context.user_data)
    if draft is None:
        raise LookupError("the journey form has no draft")
    return draft.to_dict()


def _store(context: BotContext, draft: dict[str, Any]) -> None:
    FORM.save(context.user_data, JourneyDraft.from_dict(draft))


# --- questions --------------------------------------------------------------------------------------


def _calendar_markup(context: BotContext, step: Step, month: CalendarMonth) -> InlineKeyboardMarkup:
    months = context.t("journeys.calendar.months").split()
    title = context.t("journeys.calendar.title", month=months[month.month - 1], year=month.year)
    rows: list[list[Option]] = [
        [
            ("◀", TurnMonth(step, month.previous).encode()) if month.previous else (" ", cb.LABEL_ONLY),
            (title, cb.LABEL_ONLY),
            ("▶", TurnMonth(step, month.following).encode()) if month.following else (" ", cb.LABEL_ONLY),
        ],
        [(name, cb.LABEL_ONLY) for name in context.t("journeys.calendar.weekdays").split()],
    ]
    rows += [[_day_button(step, month, day) for day in week] for week in month.weeks]
    return keyboard(rows)


def _day_button(step: Step, month: CalendarMonth, day: dt.date | None) -> Option:
    """A day that can be picked; "·" for one that can't (past, too far); blank outside the month."""
    if day is None:
        return " ", cb.LABEL_ONLY
    if month.can_pick(day):
        return str(day.day), PickDay(step, day_token(day)).encode()
    return "·", cb.LABEL_ONLY


def _people_markup(context: BotContext, counts: dict[str, int]) -> InlineKeyboardMarkup:
    rows: list[list[Option]] = [
        [
            ("−", CountPeople(kind, Change.FEWER).encode()),
            (
                context.t(f"journeys.people.{kind}_button", count=counts[kind]),
                CountPeople(kind, Change.TOGGLE).encode(),
            ),
            ("+", CountPeople(kind, Change.MORE).encode()),
        ]
        for kind in Participant
    ]
    rows.append([(context.t("journeys.done"), PeopleDone().encode())])
    return keyboard(rows)


def _question(context: BotContext, step: Step) -> tuple[str, InlineKeyboardMarkup | None]:
    draft = _form(context)
    if step is Step.DESTINATION:
        key = "journeys.ask_destination_edit" if edit_of(draft) else "journeys.ask_destination"
        return context.t(key), None
    if step in DATE_STEPS:
        key = "journeys.ask_start" if step is Step.START else "journeys.ask_end"
        return context.t(key), _calendar_markup(context, step, calendar_month(step, draft, context.today))
    if step is Step.PEOPLE:
        return context.t("journeys.ask_people"), _people_markup(context, draft["participants"])
    if step is Step.TEMPERATURE:
        options = [
            (context.t(f"journeys.temperature.{choice}"), ChooseTemperature(choice).encode())
            for choice in TEMPERATURES
        ]
        text = context.t("journeys.ask_temperature", destination=html.escape(draft["destination"]))
        return text, keyboard([[option] for option in options])
    rain = [
        (context.t("journeys.rain_yes"), ExpectRain("y").encode()),
        (context.t("journeys.rain_no"), ExpectRain("n").encode()),
    ]
    return context.t("journeys.ask_rain"), keyboard([rain])


async def _ask(
    update: Update, context: BotContext, step: Step, *, note: str | None = None, new_message: bool = False
) -> Step:
    """Ask `step`, after `note` (what the previous answer was) when there is one."""
    text, markup = _question(context, step)
    text = f"{note}\n\n{text}" if note else text
    if new_message:
        await update.effective_message.reply_text(text, reply_markup=markup)
    else:
        await show_next(update, text, markup)
    return step


# --- starting ---------------------------------------------------------------------------------------


async def start_new(update: Update, context: BotContext) -> Step:
    if update.callback_query:
        await update.callback_query.answer()
    _store(context, new_draft())
    return await _ask(update, context, Step.DESTINATION, new_message=True)


async def start_edit(update: Update, context: BotContext) -> Step | int:
    """`jf:edit:<id>:<target>`, after the reset warning: that part of the form, then a new list."""
    query = update.callback_query
    payload = EditJourney.parse(query.data)
    if payload is None:
        await query.answer(context.t("common.expired_button"))
        return ConversationHandler.END
    journey = await journeys.get_journey(context.uow, context.account.id, payload.journey_id)
    if journey is None:
        await query.answer(context.t("journeys.not_found"))
        return ConversationHandler.END
    await query.answer()
    edit = payload.target
    _store(context, draft_of(journey, edit))
    return await _ask(update, context, first_step(edit))


async def _lost(update: Update, context: BotContext) -> int:
    """The draft is gone (its stored user data was dropped): end the flow instead of failing."""
    if update.callback_query:
        await update.callback_query.answer(context.t("common.expired_button"))
    else:
        await update.effective_message.reply_text(context.t("journeys.lost"))
    return ConversationHandler.END


def _needs_form(callback: Callback) -> Callback:
    async def guarded(update: Update, context: BotContext) -> Any:
        if FORM.load(context.user_data) is None:
            return await _lost(update, context)
        return await callback(update, context)

    return guarded


# --- answers ----------------------------------------------------------------------------------------


async def on_place_text(update: Update, context: BotContext) -> Step:
    """A typed place: up to five matches as buttons, or a clear "not found" and the question again."""
    text = update.effective_message.text
    try:
        query = read_place_query(text)
    except InvalidInput as error:
        await update.effective_message.reply_text(context.explain(error))
        return Step.DESTINATION
    await update.effective_chat.send_action(ChatAction.TYPING)
    places = await context.runtime.geocoder.search(query, limit=MAX_RESULTS)
    if not places:
        await update.effective_message.reply_text(context.t("journeys.no_place", value=html.escape(query)))
        return Step.DESTINATION
    _store(context, with_matches(_form(context), places))
    options = [[(place.label, PickPlace(index).encode())] for index, place in enumerate(places)]
    await update.effective_message.reply_text(
        context.t("journeys.choose_place"), reply_markup=keyboard(options)
    )
    return Step.DESTINATION


async def on_place_tap(update: Update, context: BotContext) -> Step | int:
    query = update.callback_query
    try:
        draft = pick_match(_form(context), str(PickPlace.parse(query.data).index))
    except InvalidInput as error:
        await query.answer(context.explain(error))
        return Step.DESTINATION
    await query.answer()
    return await _destination_chosen(update, context, draft)


async def on_location(update: Update, context: BotContext) -> Step | int:
    """A shared location, or a venue (a place with a name)."""
    message = update.effective_message
    venue = message.venue
    location = venue.location if venue else message.location
    try:
        draft = with_location(
            _form(context), location.latitude, location.longitude, venue.title if venue else None
        )
    except InvalidInput as error:
        await message.reply_text(context.explain(error))
        return Step.DESTINATION
    return await _destination_chosen(update, context, draft)


async def _destination_chosen(update: Update, context: BotContext, draft: dict[str, Any]) -> Step | int:
    _store(context, draft)
    note = context.t("journeys.destination_set", destination=html.escape(draft["destination"]))
    return await _advance(update, context, Step.DESTINATION, note)


def _date_note(context: BotContext, step: Step) -> str:
    draft = _form(context)
    day = starts_of(draft) if step is Step.START else ends_of(draft)
    return f"📅 {format_day(day, context.language)}"


def _typed_date(step: Step) -> Callback:
    async def on_text(update: Update, context: BotContext) -> Step | int:
        try:
            draft = answer_date(_form(context), step, update.effective_message.text, context.today)
        except InvalidInput as error:
            await update.effective_message.reply_text(context.explain(error))
            return step
        _store(context, draft)
        return await _advance(update, context, step, _date_note(context, step))

    return on_text


def _tapped_day(step: Step) -> Callback:
    async def on_tap(update: Update, context: BotContext) -> Step | int:
        query = update.callback_query
        try:
            draft = answer_day(_form(context), step, PickDay.parse(query.data).day, context.today)
        except InvalidInput as error:
            await query.answer(context.explain(error))
            return step
        await query.answer()
        _store(context, draft)
        return await _advance(update, context, step, _date_note(context, step))

    return on_tap


def _turned_month(step: Step) -> Callback:
    async def on_tap(update: Update, context: BotContext) -> Step:
        query = update.callback_query
        try:
            month = calendar_month(step, _form(context), context.today, TurnMonth.parse(query.data).month)
        except InvalidInput as error:
            await query.answer(context.explain(error))
            return step
        await query.answer()
        await edit_markup_in_place(query, _calendar_markup(context, step, month))
        return step

    return on_tap


async def on_people_tap(update: Update, context: BotContext) -> Step | int:
    query = update.callback_query
    count = CountPeople.parse(query.data)
    draft = _form(context)
    try:
        if count is None:  # Done
            check_participants(draft)
        changed = draft if count is None else change_count(draft, f"{count.kind}:{count.change}")
    except InvalidInput as error:
        await query.answer(context.explain(error))
        return Step.PEOPLE
    await query.answer()
    if count is None:
        return await _advance(update, context, Step.PEOPLE)
    if changed["participants"] != draft["participants"]:  # "−" at zero changes nothing: no identical edit
        _store(context, changed)
        await edit_markup_in_place(query, _people_markup(context, changed["participants"]))
    return Step.PEOPLE


async def on_temperature(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    try:
        draft = answer_temperature(_form(context), ChooseTemperature.parse(query.data).choice)
    except InvalidInput as error:
        await query.answer(context.explain(error))
        return Step.TEMPERATURE
    await query.answer()
    _store(context, draft)
    return await _ask(update, context, Step.RAIN)


async def on_rain(update: Update, context: BotContext) -> Step | int:
    query = update.callback_query
    try:
        forecast = answer_rain(_form(context), ExpectRain.parse(query.data).answer)
    except InvalidInput as error:
        await query.answer(context.explain(error))
        return Step.RAIN
    await query.answer()
    return await _save(update, context, forecast)


async def use_buttons(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("journeys.use_buttons"))


async def label_only(update: Update, context: BotContext) -> None:
    """A label cell of an older calendar: nothing to do, but the spinner must stop."""
    await update.callback_query.answer()


# --- finishing --------------------------------------------------------------------------------------


async def _advance(update: Update, context: BotContext, step: Step, note: str | None = None) -> Step | int:
    draft = _form(context)
    edit = edit_of(draft)
    following = next_step(step, edit)
    if following is not None:
        return await _ask(update, context, following, note=note)
    if not needs_weather(edit):
        return await _save(update, context, None)
    forecast = await _fetch_weather(update, context, draft)
    if forecast is None:
        return await _ask(update, context, Step.TEMPERATURE, note=note)
    return await _save(update, context, forecast)


async def _fetch_weather(
    update: Update, context: BotContext, draft: dict[str, Any]
) -> WeatherForecast | None:
    """The forecast or climate for the trip; None without a weather service or an answer from it."""
    weather = context.runtime.weather
    if weather is None:
        return None
    await update.effective_chat.send_action(ChatAction.TYPING)
    return await weather.weather_for(
        draft["latitude"], draft["longitude"], starts_of(draft), ends_of(draft), today=context.today
    )


async def _save(update: Update, context: BotContext, forecast: WeatherForecast | None) -> int:
    """Write the journey (new, or the edited part with a new forecast) and its new packing list at once."""
    draft = _form(context)
    FORM.drop(context.user_data)
    values = journey_values(draft, forecast)
    journey = await journeys.save_journey(context.uow, context.account.id, draft["journey_id"], values)
    if journey is None:  # deleted while it was being edited
        await show_next(update, context.t("journeys.not_found"))
        return ConversationHandler.END
    key = "journeys.updated" if draft["journey_id"] else "journeys.saved"
    await show_next(update, context.t(key, destination=html.escape(journey.destination)))
    await send_list(update.effective_message, context, journey.id)
    return ConversationHandler.END


# --- wiring -----------------------------------------------------------------------------------------


def _starts() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("journey", start_new),
        CallbackQueryHandler(start_new, pattern=cb.matches(NewJourney)),
        CallbackQueryHandler(start_edit, pattern=cb.matches(EditJourney)),
    ]


def _typing(callback: Callback) -> MessageHandler[Any, Any]:
    return MessageHandler(filters.TEXT & ~filters.COMMAND, _needs_form(callback))


def _tap(pattern: Callable[[object], bool], callback: Callback) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(_needs_form(callback), pattern=pattern)


def _at(kind: type[TurnMonth] | type[PickDay], step: Step) -> Callable[[object], bool]:
    """The buttons of `kind` of the calendar asked at `step` (a button of the other date's is stale)."""

    def check(data: object) -> bool:
        return isinstance(data, str) and (payload := kind.parse(data)) is not None and payload.step is step

    return check


def build() -> ConversationHandler:
    label = CallbackQueryHandler(label_only, pattern=cb.matches(OldCalendarLabel))
    buttons_only = MessageHandler(filters.TEXT & ~filters.COMMAND, use_buttons)
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        Step.DESTINATION: [
            _typing(on_place_text),
            MessageHandler(filters.LOCATION, _needs_form(on_location)),
            _tap(cb.matches(PickPlace), on_place_tap),
        ],
        **{
            step: [
                _typing(_typed_date(step)),
                _tap(_at(PickDay, step), _tapped_day(step)),
                _tap(_at(TurnMonth, step), _turned_month(step)),
                label,
            ]
            for step in DATE_STEPS
        },
        Step.PEOPLE: [_tap(cb.matches(CountPeople, PeopleDone), on_people_tap), buttons_only],
        Step.TEMPERATURE: [_tap(cb.matches(ChooseTemperature), on_temperature), buttons_only],
        Step.RAIN: [_tap(cb.matches(ExpectRain), on_rain), buttons_only],
    }
    # Starting again from inside the form (/journey, another Edit) begins afresh.
    return conversation(
        "journey_form", entry_points=_starts(), states=states, fallbacks=_starts(), drafts=(FORM.key,)
    )
