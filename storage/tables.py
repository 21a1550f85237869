"""Typed SQLAlchemy 2 tables: the only description of the database shape.

Storage knows nothing of flows or channels: channels are plain strings here, answers are
plain values (the flow engine decides what they mean).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:  # every model here is mapped to a Table (SQLAlchemy types it as any FromClause)
        __table__: ClassVar[Table]
    # none_as_null: a Python None must be SQL NULL, not the JSON text 'null' (IS NULL must work).
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON(none_as_null=True),
        list[Any]: JSON(none_as_null=True),
    }


class Agency(Base):
    """An agency (cơ quan, đơn vị) with its own desk, officers and settings."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Field(Base):
    """A field of procedures (lĩnh vực)."""

    __tablename__ = "fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))


class Procedure(Base):
    """An administrative procedure (thủ tục hành chính)."""

    __tablename__ = "procedures"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    legal_days: Mapped[int | None]


class Officer(Base):
    """A receiving officer (cán bộ tiếp nhận); ratings are kept per officer."""

    __tablename__ = "officers"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    photo_url: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)


class Contact(Base):
    """A person we may reach; personal data, purged after the retention period."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ContactAddress(Base):
    """One way to reach a contact on one channel (phone number, Telegram chat id, Zalo user id)."""

    __tablename__ = "contact_addresses"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Reachability(Base):
    """A person-level refusal of one address on one channel of a plan: (+8491…, zalo_zns) closed
    because the number has no Zalo account leaves (+8491…, sms) open. Account-level refusals
    (permission, quota, template) are never stored here. Deleted with the address."""

    __tablename__ = "reachability"
    __table_args__ = (UniqueConstraint("contact_address_id", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_address_id: Mapped[int] = mapped_column(ForeignKey("contact_addresses.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # the plan's channel: sms, zalo_zns, telegram, zalo
    reason: Mapped[str] = mapped_column(String(32))  # bad_number, no_account, blocked, not_mobile, …
    since: Mapped[datetime]


class Dossier(Base):
    """A dossier (hồ sơ) with its dates; only status 9 (processed) or 10 (returned) may be evaluated."""

    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    status: Mapped[int] = mapped_column(SmallInteger)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    # Each participating unit's step, [{"unit": "…", "due_on": "YYYY-MM-DD", "done_on": "YYYY-MM-DD"}],
    # as the import or API supplied it (indicator 2); None: not supplied, indicator 2 not measured.
    unit_steps: Mapped[list[Any] | None]
    online: Mapped[bool | None]  # submitted online (trực tuyến); None: not said (indicator 9)
    # Legal exceptions staff recorded (indicators 3 and 4): DossierExceptions.to_json() + "by", "at".
    exceptions: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Survey(Base):
    """The survey of one dossier; the unique dossier_id makes a second one impossible."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_revision: Mapped[int | None]  # pinned when the session starts (0: the shipped file)
    status: Mapped[str] = mapped_column(String(16), default="invited")
    channel: Mapped[str | None] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SurveySession(Base):
    """The engine's session state of a survey, as JSON, with a version for optimistic updates."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime]


class Evaluation(Base):
    """The evaluation form (phiếu đánh giá) of a dossier: at most one per dossier, whatever the channel."""

    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    flow_id: Mapped[str | None] = mapped_column(String(64))
    flow_revision: Mapped[int | None]
    schema_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    completed_at: Mapped[datetime] = mapped_column(index=True)


class Answer(Base):
    """One schema field of an evaluation: a number (points, level, count), a text or a list."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("evaluation_id", "field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[int | None]
    level: Mapped[int | None] = mapped_column(SmallInteger)
    text: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[Any] | None]


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the session change that produced it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_address", "channel", "address", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class InboundMessage(Base):
    """A provider message id seen once: the unique key makes a redelivery change nothing."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what to which record, and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EvaluationFact(Base):
    """One evaluation flattened for reports: its local day, drill-down keys and scored answers."""

    __tablename__ = "evaluation_facts"
    __table_args__ = (Index("ix_evaluation_facts_day_agency", "day", "agency_id"),)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    agency_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    officer_id: Mapped[int | None]
    procedure_id: Mapped[int | None]
    field_id: Mapped[int | None]
    overall: Mapped[int | None] = mapped_column(SmallInteger)
    convenience: Mapped[int | None] = mapped_column(SmallInteger)
    timeliness: Mapped[int | None] = mapped_column(SmallInteger)
    attitude: Mapped[int | None] = mapped_column(SmallInteger)
    i1: Mapped[int | None] = mapped_column(SmallInteger)
    i2: Mapped[int | None] = mapped_column(SmallInteger)
    i3: Mapped[int | None] = mapped_column(SmallInteger)
    i4: Mapped[int | None] = mapped_column(SmallInteger)
    i6: Mapped[int | None] = mapped_column(SmallInteger)
    i7: Mapped[int | None] = mapped_column(SmallInteger)
    batch: Mapped[int] = mapped_column(Integer, index=True)  # the refresh that added it, for the roll-up


class FactBucket(Base):
    """Evaluation facts summed per half-month bucket (split at the cut-off day), agency and drill-down key."""

    __tablename__ = "fact_buckets"
    grid: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # the cut-off day the buckets split at
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    evaluations: Mapped[int]
    # Per level field: count of level 0, 1, 2; per indicator: sum of points and how many have them.
    overall_0: Mapped[int]
    overall_1: Mapped[int]
    overall_2: Mapped[int]
    convenience_0: Mapped[int]
    convenience_1: Mapped[int]
    convenience_2: Mapped[int]
    timeliness_0: Mapped[int]
    timeliness_1: Mapped[int]
    timeliness_2: Mapped[int]
    attitude_0: Mapped[int]
    attitude_1: Mapped[int]
    attitude_2: Mapped[int]
    i1_sum: Mapped[int]
    i1_n: Mapped[int]
    i2_sum: Mapped[int]
    i2_n: Mapped[int]
    i3_sum: Mapped[int]
    i3_n: Mapped[int]
    i4_sum: Mapped[int]
    i4_n: Mapped[int]
    i6_sum: Mapped[int]
    i6_n: Mapped[int]
    i7_sum: Mapped[int]
    i7_n: Mapped[int]


# Response rates count the surveys created in the period.
Index("ix_surveys_created_at", Survey.created_at)
# Settlement figures group dossiers by agency, procedure and officer and read only their dates: this
# index covers the query in group order, so it never touches the table or sorts.
Index("ix_dossiers_settlement", Dossier.agency_id, Dossier.procedure_id, Dossier.officer_id, Dossier.returned_on,
      Dossier.received_on, Dossier.due_on)


class FollowUp(Base):
    """A follow-up item opened by a dissatisfied evaluation, to be handled before its deadline."""

    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    dossier_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class AgencyScore(Base):
    """An agency's self-score (điểm tự chấm) and the supervisor's appraisal (điểm thẩm định) for a period."""

    __tablename__ = "agency_scores"
    __table_args__ = (UniqueConstraint("agency_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    period: Mapped[str] = mapped_column(String(16))
    self_score: Mapped[float | None] = mapped_column(Float)
    appraisal_score: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]


class AgencyIndicatorEntry(Base):
    """One indicator's points for an agency and period, entered as a self-score or an appraisal, with a note.

    Points are kept exact, in tenths (1.5 points → 15). The older ``agency_scores`` (one total
    per agency and period) is kept as it was entered: it is a total, not per indicator.
    """

    __tablename__ = "agency_entries"
    __table_args__ = (UniqueConstraint("agency_id", "period", "indicator", "by"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    period: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[int] = mapped_column(SmallInteger)
    by: Mapped[str] = mapped_column(String(16))  # self | appraisal
    points_tenths: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[datetime]


class ComplaintEntry(Base):
    """The register of complaints and petitions (phản ánh, kiến nghị): one entry, with its dates.

    Opened by staff, or from a citizen's answer (``evaluation_id``, once per evaluation).
    """

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    handled_on: Mapped[date | None] = mapped_column(Date)
    protracted_on: Mapped[date | None] = mapped_column(Date)
    verification: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | untrue
    verified_on: Mapped[date | None] = mapped_column(Date)
    dossier_code: Mapped[str | None] = mapped_column(String(64), index=True)
    about_conduct: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(16), default="staff")  # citizen_answer | staff
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Job(Base):
    """A timer as a row (invite, remind, expire a survey): claimed when due, survives restarts."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("survey_id", "kind"), Index("ix_jobs_due", "status", "due_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class RateLimit(Base):
    """A token bucket shared by every process (per provider, per recipient), updated atomically."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class ProviderToken(Base):
    """A provider's OAuth token pair; the single-use refresh token rotates with every refresh."""

    __tablename__ = "provider_tokens"
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The refresh lease: who is trading the refresh token now, and until when (no row lock is held
    # during the provider's HTTP call; see bot/conversation/zalo_tokens.py).
    refresh_owner: Mapped[str | None] = mapped_column(String(64))
    refresh_until: Mapped[datetime | None]


class AddressActivity(Base):
    """When a person last wrote from an address, and whether they follow us there (reply windows)."""

    __tablename__ = "address_activity"
    __table_args__ = (UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    last_inbound_at: Mapped[datetime | None]
    following: Mapped[bool | None]
    updated_at: Mapped[datetime]


class TemplateMessage(Base):
    """A template invitation sent to a phone (Zalo ZNS), to match its rating by message id."""

    __tablename__ = "template_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    sent_at: Mapped[datetime]
