"""Typed SQLAlchemy models: the logbook (weapons, sessions, entries, files, AI texts), the gear locker and
journeys, users, and the bot's own state (persistence, job runs, Matrix accounts).

Every row belongs to a user (directly or through its parent); query functions filter on the user's id.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAME_LENGTH = 120
SHORT_TEXT_LENGTH = 255

# Deterministic constraint names, so that migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[str]: JSON}


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def _user_fk() -> Mapped[int]:
    return mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)


class AiStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CoachRole(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


def _str_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """Store an enum by its value (not its Python name), as a portable VARCHAR + CHECK."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


# --- people -------------------------------------------------------------------------------------


class User(Timestamps, Base):
    """A person who may use the bot, keyed by their Telegram user id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    language: Mapped[str | None] = mapped_column(String(8), doc="None: follow the Telegram app's language")
    telegram_language: Mapped[str | None] = mapped_column(
        String(16), doc="the app's language at the last message, for messages the bot starts (jobs)"
    )
    time_zone: Mapped[str | None] = mapped_column(String(64), doc="IANA name; None: the default zone")
    licence_number: Mapped[str | None] = mapped_column(String(32), doc="KNSA licence number")
    renewal_date: Mapped[dt.date | None] = mapped_column(Date, doc="the WM-4 permit's next renewal")
    attendance_reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    csv_separator: Mapped[str] = mapped_column(
        String(1), default=",", server_default=",", doc="';' for Excel set to Dutch"
    )
    claimed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), doc="set when this user claimed the bot with the start-up code"
    )


class BotClaim(Base):
    """The bot's claim, one row (id 1) that every process shares: the one-time code that makes its sender
    the owner, while the bot has none. The owner is the user whose `claimed_at` is set; claiming spends the
    code and sets it in one transaction that holds this row, so the bot has one owner at most."""

    __tablename__ = "bot_claim"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str | None] = mapped_column(String(32), doc="None: no code out (the bot has an owner)")


# --- AimTrack ------------------------------------------------------------------------------------


class Weapon(Timestamps, Base):
    __tablename__ = "weapons"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    type: Mapped[str] = mapped_column(String(32))
    caliber: Mapped[str] = mapped_column(String(32))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    storage_location: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    notes: Mapped[str | None] = mapped_column(Text)
    purchased_at: Mapped[dt.date | None] = mapped_column(Date)
    retired_at: Mapped[dt.date | None] = mapped_column(Date)

    entries: Mapped[list[SessionWeaponEntry]] = relationship(back_populates="weapon", passive_deletes=True)
    insight: Mapped[AiWeaponInsight | None] = relationship(
        back_populates="weapon", cascade="all, delete-orphan", passive_deletes=True
    )


class Competition(enum.StrEnum):
    """Whether a session was a match, for the WM-4 competition rule (3 KNSA or 5 club matches a year)."""

    NONE = "none"
    KNSA = "knsa"
    CLUB = "club"


class ShootingSession(Timestamps, Base):
    """A range session (the seed's `sessions`; not `Session`, which is SQLAlchemy's)."""

    __tablename__ = "shooting_sessions"
    __table_args__ = (
        Index("ix_shooting_sessions_user_date", "user_id", "date"),
        CheckConstraint(
            "end_time IS NULL OR start_time IS NULL OR end_time >= start_time", name="time_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    date: Mapped[dt.date] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    club: Mapped[str | None] = mapped_column(String(NAME_LENGTH), doc="the seed's baan/vereniging")
    weather: Mapped[str | None] = mapped_column(String(SHORT_TEXT_LENGTH))
    ammo_brand: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    manual_reflection: Mapped[str | None] = mapped_column(Text)
    raw_notes: Mapped[str | None] = mapped_column(Text)
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    competition: Mapped[Competition] = mapped_column(
        _str_enum(Competition, "competition"), default=Competition.NONE, server_default=Competition.NONE.value
    )
    discipline: Mapped[str | None] = mapped_column(String(64))

    entries: Mapped[list[SessionWeaponEntry]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SessionWeaponEntry.id",
    )
    reflection: Mapped[AiReflection | None] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )


class SessionWeaponEntry(Timestamps, Base):
    """One weapon × distance block of a session."""

    __tablename__ = "session_weapon_entries"
    __table_args__ = (
        CheckConstraint("distance_m > 0", name="distance_positive"),
        CheckConstraint("shot_count > 0", name="shots_positive"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("shooting_sessions.id", ondelete="CASCADE"), index=True
    )
    # RESTRICT: a weapon with history is retired, not deleted, so exports keep it.
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="RESTRICT"), index=True)
    distance_m: Mapped[int] = mapped_column(Integer)
    shot_count: Mapped[int] = mapped_column(Integer)
    ammo_caliber: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer)
    grouping_note: Mapped[str | None] = mapped_column(String(SHORT_TEXT_LENGTH))

    session: Mapped[ShootingSession] = relationship(back_populates="entries")
    weapon: Mapped[Weapon] = relationship(back_populates="entries")


class AttachableType(enum.StrEnum):
    SESSION = "session"
    ENTRY = "entry"
    WEAPON = "weapon"


class Attachment(Timestamps, Base):
    """A photo or file; polymorphic owner (session, entry or weapon) as in the seed's morph relation."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_attachable", "attachable_type", "attachable_id"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    attachable_type: Mapped[AttachableType] = mapped_column(_str_enum(AttachableType, "attachable_type"))
    attachable_id: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(SHORT_TEXT_LENGTH), doc="relative to the data dir")
    mime: Mapped[str] = mapped_column(String(NAME_LENGTH))
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(SHORT_TEXT_LENGTH))
    sha256: Mapped[str] = mapped_column(String(64), doc="content hash; the file is stored under it")
    telegram_file_id: Mapped[str | None] = mapped_column(
        String(SHORT_TEXT_LENGTH), doc="to show the file again without uploading it"
    )


class AiReflection(Timestamps, Base):
    __tablename__ = "ai_reflections"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("shooting_sessions.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[str | None] = mapped_column(Text)
    went_well: Mapped[str | None] = mapped_column(Text)
    needs_improvement: Mapped[str | None] = mapped_column(Text)
    next_focus: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    status: Mapped[AiStatus] = mapped_column(_str_enum(AiStatus, "ai_status"), default=AiStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    generated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), doc="set while a bot process works on the pending row (UTC)"
    )

    session: Mapped[ShootingSession] = relationship(back_populates="reflection")


class AiWeaponInsight(Timestamps, Base):
    __tablename__ = "ai_weapon_insights"

    id: Mapped[int] = mapped_column(primary_key=True)
    weapon_id: Mapped[int] = mapped_column(ForeignKey("weapons.id", ondelete="CASCADE"), unique=True)
    trends: Mapped[str | None] = mapped_column(Text)
    typical_issues: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    status: Mapped[AiStatus] = mapped_column(_str_enum(AiStatus, "ai_status"), default=AiStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    generated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), doc="set while a bot process works on the pending row (UTC)"
    )

    weapon: Mapped[Weapon] = relationship(back_populates="insight")


class CoachThread(Timestamps, Base):
    __tablename__ = "coach_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    topic: Mapped[str | None] = mapped_column(String(SHORT_TEXT_LENGTH))
    # The context the user pinned with /coach (one session or one weapon), if any.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("shooting_sessions.id", ondelete="SET NULL"))
    weapon_id: Mapped[int | None] = mapped_column(ForeignKey("weapons.id", ondelete="SET NULL"))

    messages: Mapped[list[CoachMessage]] = relationship(
        back_populates="thread",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CoachMessage.id",
    )


class CoachMessage(Timestamps, Base):
    __tablename__ = "coach_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_thread_id: Mapped[int] = mapped_column(
        ForeignKey("coach_threads.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[CoachRole] = mapped_column(_str_enum(CoachRole, "coach_role"))
    content: Mapped[str] = mapped_column(Text)
    tokens: Mapped[int | None] = mapped_column(Integer)

    thread: Mapped[CoachThread] = relationship(back_populates="messages")


# --- Gear ----------------------------------------------------------------------------------------


class GearJourney(Timestamps, Base):
    __tablename__ = "gear_journeys"
    __table_args__ = (
        CheckConstraint("ends_at >= starts_at", name="dates_in_order"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        Index("ix_gear_journeys_user_starts", "user_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    destination: Mapped[str] = mapped_column(String(SHORT_TEXT_LENGTH))
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    starts_at: Mapped[dt.date] = mapped_column(Date)
    ends_at: Mapped[dt.date] = mapped_column(Date)
    participants: Mapped[list[str]] = mapped_column(JSON, doc="participant types: adult, child, infant")
    weather: Mapped[dict[str, Any] | None] = mapped_column(
        JSON,
        doc="the forecast the list was made with: source, average_temp_celsius, max_precipitation_chance",
    )

    items: Mapped[list[GearJourneyItem]] = relationship(
        back_populates="journey", cascade="all, delete-orphan", passive_deletes=True
    )


class GearCategory(Timestamps, Base):
    __tablename__ = "gear_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))

    items: Mapped[list[GearItem]] = relationship(back_populates="category", passive_deletes=True)


class GearItem(Timestamps, Base):
    __tablename__ = "gear_items"
    __table_args__ = (
        CheckConstraint("quantity_per_day >= 0", name="per_day_not_negative"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("gear_categories.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    quantity_per_day: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    quantity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    properties: Mapped[list[str] | None] = mapped_column(JSON, doc="GearProperty values, AND-ed")

    category: Mapped[GearCategory | None] = relationship(back_populates="items")


class GearJourneyItem(Timestamps, Base):
    __tablename__ = "gear_journey_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("gear_journeys.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("gear_items.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    packed_for_departure: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    packed_for_return: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    reasons: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default="[]", doc="the GearProperty values that put it on the list"
    )

    journey: Mapped[GearJourney] = relationship(back_populates="items")
    item: Mapped[GearItem] = relationship()


# --- bot state -----------------------------------------------------------------------------------


class ConversationState(Base):
    """The state of one ConversationHandler for one key (chat/user), so flows survive a restart."""

    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("name", "key", name="uq_conversation_states_name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128), doc="the conversation key as a JSON array")
    state: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class PersistedData(Base):
    """user_data / chat_data of the PTB persistence (drafts of flows), as JSON per user or chat."""

    __tablename__ = "persisted_data"
    __table_args__ = (
        UniqueConstraint("scope", "owner_id", name="uq_persisted_data_scope_owner"),
        CheckConstraint("scope IN ('user', 'chat')", name="scope_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class JobRun(Base):
    """One run of a scheduled job for one period: the unique (name, period) row is the lock that lets one
    bot process run the job when several serve the bot."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("name", "period", name="uq_job_runs_name_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16), doc="the day (2026-11-22) or the ISO week (2026-W47)")
    runner: Mapped[str] = mapped_column(String(NAME_LENGTH), doc="host and process id that ran it")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MatrixAccount(Base):
    """A Matrix user of the bot: the user id their logbook is kept under (a Telegram user's own id once
    linked) and the room the bot answers them in."""

    __tablename__ = "matrix_accounts"

    matrix_id: Mapped[str] = mapped_column(String(255), primary_key=True, doc="@name:server")
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    room_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MatrixSync(Base):
    """Where the bot's Matrix account has read up to: the sync token of the last batch fully handled."""

    __tablename__ = "matrix_sync"

    account: Mapped[str] = mapped_column(String(255), primary_key=True, doc="the bot's Matrix id")
    next_batch: Mapped[str] = mapped_column(Text)


class MatrixLinkCode(Base):
    """A one-time code a Telegram user got with /link: sent from Matrix, it links that account to theirs."""

    __tablename__ = "matrix_link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, doc="the Telegram user whose logbook the code opens")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
