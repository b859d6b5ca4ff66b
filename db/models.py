"""The domain model as SQLAlchemy 2 typed tables (DESIGN.md "Domain model").

Every row has a UUID primary key so records keep their identity when data moves
between a principal's laptop, the bureau's PC and a shared server. Coded columns hold
the Chinese words of ``policy.vocab`` and are guarded by CHECK constraints. Dated
history (memberships, postings) is appended to, never overwritten.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from policy import vocab

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Naive UTC timestamp (SQLite keeps no zone; every timestamp here is UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def coded(values: tuple[str, ...], name: str) -> Enum:
    """A string column limited to ``values`` by a CHECK constraint (portable, no native enum)."""
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, uuid.UUID: Uuid}
    if TYPE_CHECKING:
        # Every model here is mapped to a Table (SQLAlchemy types it as any FromClause, which
        # has no insert/update/name): the Core statements built from ``X.__table__`` rely on it.
        __table__: ClassVar[Table]


class Entity(Base):
    """Abstract base: UUID id plus creation/update stamps."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Versioned:
    """Optimistic concurrency: ``row_version`` counts the row's saved changes.

    Mapped as SQLAlchemy's ``version_id_col``, so every ORM UPDATE or DELETE carries
    ``WHERE row_version = :loaded`` and a lost race raises ``StaleDataError`` instead of
    overwriting a newer save (:mod:`db.versions` turns it into a message naming who changed
    the record and when). A Core UPDATE that does not set it still moves it on (``onupdate``).
    """

    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1",
                                             onupdate=text("row_version + 1"))
    if TYPE_CHECKING:  # mixed into Base subclasses only (Base narrows __table__ to a Table)
        __tablename__: str

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - declarative class attribute
        # A mixin: mypy cannot see the table of the Base subclass it is mixed into.
        table: Table = cls.__table__  # type: ignore[attr-defined]
        return {"version_id_col": table.c.row_version}


class Region(Versioned, Entity):
    """A county or district (县区) — or the city above them — with its policy profile."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(6), unique=True)  # 行政区划代码
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(coded(("市", "县区"), "region_level"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("region.id"))
    profile_id: Mapped[str] = mapped_column(String(64), default="default")

    schools: Mapped[list[School]] = relationship(back_populates="region")


class School(Versioned, Entity):
    __tablename__ = "school"
    __table_args__ = (
        CheckConstraint("students >= 0", name="students_non_negative"),
        CheckConstraint("classes >= 0", name="classes_non_negative"),
        CheckConstraint("land_area IS NULL OR land_area >= 0", name="land_non_negative"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)  # 学校代码 (often the 10-digit 学校标识码)
    name: Mapped[str] = mapped_column(String(128), index=True)
    stage: Mapped[str] = mapped_column(coded(vocab.STAGES, "school_stage"))
    location: Mapped[str] = mapped_column(coded(vocab.LOCATIONS, "school_location"))
    run_by: Mapped[str] = mapped_column(coded(vocab.RUN_BY, "school_run_by"), default="县属")
    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("region.id"), index=True)
    legal_entity: Mapped[str | None] = mapped_column(String(128))  # 法人单位; shared in a 融合型
    central_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))  # of a 教学点
    students: Mapped[int] = mapped_column(Integer, default=0)
    classes: Mapped[int] = mapped_column(Integer, default=0)
    land_area: Mapped[float | None] = mapped_column(Float)  # 占地面积, m²
    is_weak: Mapped[bool] = mapped_column(Boolean, default=False)  # 薄弱学校
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Per-stage figures of a 一贯制 school (optional, from the school list): class size is
    # judged per stage and the size limit on the 义务教育 part (保山2022方案 2).
    primary_students: Mapped[int | None] = mapped_column(Integer)
    primary_classes: Mapped[int | None] = mapped_column(Integer)
    junior_students: Mapped[int | None] = mapped_column(Integer)
    junior_classes: Mapped[int | None] = mapped_column(Integer)

    region: Mapped[Region] = relationship(back_populates="schools")
    memberships: Mapped[list[Membership]] = relationship(back_populates="school")

    @property
    def is_teaching_point(self) -> bool:
        return self.stage == vocab.TEACHING_POINT


class Cluster(Versioned, Entity):
    """An education group, school district or education community (集团 / 学区 / 教共体)."""

    __tablename__ = "cluster"

    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(coded(vocab.CLUSTER_KINDS, "cluster_kind"))
    area: Mapped[str | None] = mapped_column(String(64))  # 片区
    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("region.id"), index=True)
    lead_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    founded: Mapped[dt.date | None] = mapped_column(Date)
    dissolved: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)

    memberships: Mapped[list[Membership]] = relationship(back_populates="cluster")


class Membership(Versioned, Entity):
    """A school in a cluster from ``joined`` until the day before ``left`` (open when None)."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined", name="left_after_joined"),
        Index("ix_membership_school_dates", "school_id", "joined"),
        # The import's identity of a membership (cluster, school, joined, with the role: a
        # role changed on the joining day closes one and opens another that same day) as a
        # unique key; copy_no numbers copies stored before the key existed (migration 0004).
        Index("uq_membership_cluster_school_joined_role", "cluster_id", "school_id", "joined", "role", "copy_no",
              unique=True),
    )

    cluster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cluster.id"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    role: Mapped[str] = mapped_column(coded(vocab.MEMBERSHIP_ROLES, "membership_role"))
    joined: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    copy_no: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0: the one; 1…: old copies

    cluster: Mapped[Cluster] = relationship(back_populates="memberships")
    school: Mapped[School] = relationship(back_populates="memberships")


class Pairing(Versioned, Entity):
    """包片包抓 (city school → cluster) and the 1:1 pairings of 海门2019计划 四(二)."""

    __tablename__ = "pairing"

    kind: Mapped[str] = mapped_column(coded(vocab.PAIRING_KINDS, "pairing_kind"))
    supporter_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), index=True)
    supporter_teacher_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teacher.id"))
    supporter_name: Mapped[str | None] = mapped_column(String(64))  # a bureau leader, a studio
    cluster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cluster.id"), index=True)
    target_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    target_teacher_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teacher.id"))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)


class Teacher(Versioned, Entity):
    __tablename__ = "teacher"

    id_number: Mapped[str] = mapped_column(String(18), unique=True)  # GB 11643, validated on entry
    name: Mapped[str] = mapped_column(String(64), index=True)
    gender: Mapped[str] = mapped_column(coded(vocab.GENDERS, "teacher_gender"))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str | None] = mapped_column(String(32))  # 职称
    backbone_level: Mapped[str | None] = mapped_column(String(32))  # 骨干等级; None = not backbone
    position: Mapped[str] = mapped_column(coded(vocab.POSITIONS, "teacher_position"), default="教师")
    started_teaching: Mapped[dt.date | None] = mapped_column(Date)  # 参加工作时间
    # 任现职时间: when a principal took office at the current school (terms count from it).
    position_since: Mapped[dt.date | None] = mapped_column(Date)

    postings: Mapped[list[Posting]] = relationship(back_populates="teacher", order_by="Posting.start")


class Posting(Versioned, Entity):
    """Where a teacher works from ``start`` to ``end``; ``holds_personnel`` marks 人事关系."""

    __tablename__ = "posting"
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start", name="end_after_start"),
        Index("ix_posting_teacher_start", "teacher_id", "start"),
    )

    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"))
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(coded(vocab.POSTING_KINDS, "posting_kind"), default="任职")
    holds_personnel: Mapped[bool] = mapped_column(Boolean, default=True)
    start: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    exchange_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("exchange.id"), index=True)  # deleting a draft plan checks it

    teacher: Mapped[Teacher] = relationship(back_populates="postings")


class Exemption(Versioned, Entity):
    """A recorded reason a teacher is not rotated this period (POLICY §6)."""

    __tablename__ = "exemption"
    __table_args__ = (
        # The import's identity of an exemption (teacher, reason, start) as a unique key;
        # copy_no numbers copies stored before the key existed (migration 0004).
        Index("uq_exemption_teacher_reason_start", "teacher_id", "reason", "start", "copy_no", unique=True),
    )

    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(coded(vocab.EXEMPTION_REASONS, "exemption_reason"))
    evidence: Mapped[str] = mapped_column(Text)
    start: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    copy_no: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0: the one; 1…: old copies


class ExchangePlan(Versioned, Entity):
    """One school year's exchange plan; frozen once approved."""

    __tablename__ = "exchange_plan"
    __table_args__ = (
        # One draft per school year, enforced by the database: two saves at once cannot both
        # insert one (db.exchange_plans.save_plan replaces the year's draft; migration 0008).
        Index("uq_exchange_plan_draft_year", "school_year", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
    )

    school_year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(coded(("draft", "approved"), "plan_status"), default="draft")
    profile_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64))


class Exchange(Versioned, Entity):
    """A planned or actual exchange of a teacher (交流轮岗 and the other forms of vocab.EXCHANGE_FORMS).

    ``status`` stores the decision (planned in a draft, approved, cancelled); what the
    exchange is on a day — not started, in progress, done, ended early — follows from its
    dates (:func:`policy.exchange_forms.status_on`). ``planned_end`` keeps the end as
    approved; ``end_on`` is the end in force after an early end or an extension. Every
    change is also an :class:`ExchangeEvent`, so the history is never rewritten.
    """

    __tablename__ = "exchange"
    __table_args__ = (
        # One recorded exchange per teacher, receiving school, form and start: two clerks importing
        # the same sheet at once cannot both insert it (db.exchange_import).
        Index("uq_exchange_recorded", "teacher_id", "to_school_id", "form", "start", unique=True,
              sqlite_where=text("status = 'approved'"), postgresql_where=text("status = 'approved'")),
    )

    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("exchange_plan.id"), index=True)
    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teacher.id"), index=True)
    from_school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    to_school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    form: Mapped[str] = mapped_column(coded(vocab.EXCHANGE_FORMS, "exchange_form"))
    school_year: Mapped[int] = mapped_column(Integer, index=True)
    start: Mapped[dt.date | None] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    moves_personnel: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(coded(vocab.EXCHANGE_STATUSES, "exchange_status"), default="planned")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)  # the first day it no longer held
    days_per_week: Mapped[int | None] = mapped_column(Integer)  # 走教: days a week at this school


class PlanScenario(Versioned, Entity):
    """One named draft of a year's exchange plan (issue 18): the clerk's settings (profile
    figures changed for this scenario) and pins, and the result they gave, kept side by side
    with the year's other scenarios. ``status``: draft; approved (the one carried out, see
    ``plan_id``); frozen (the year's plan was approved from another scenario: kept unchanged,
    so the decision can be shown later)."""

    __tablename__ = "plan_scenario"
    __table_args__ = (UniqueConstraint("school_year", "name", name="uq_plan_scenario_year_name"),)

    school_year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(coded(("draft", "approved", "frozen"), "scenario_status"), default="draft")
    profile_id: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # figure id → value ("off": switched off)
    pins: Mapped[dict[str, Any]] = mapped_column(JSON)  # ID number → school code, or None: stays
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # db.scenarios.result_json
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("exchange_plan.id"))
    note: Mapped[str | None] = mapped_column(Text)


class ExchangeEvent(Entity):
    """One dated step of an exchange (approved, recorded, cancelled, ended early, extended).

    Appended, never changed: the teacher's detail reads the exchange's history from here.
    """

    __tablename__ = "exchange_event"

    exchange_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exchange.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(coded(vocab.EXCHANGE_EVENTS, "exchange_event_action"))
    on: Mapped[dt.date] = mapped_column(Date)  # the day it takes effect
    end_before: Mapped[dt.date | None] = mapped_column(Date)
    end_after: Mapped[dt.date | None] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class SubjectNeed(Versioned, Entity):
    """A receiving school's need for teachers of a subject in a school year."""

    __tablename__ = "subject_need"
    __table_args__ = (UniqueConstraint("school_id", "school_year", "subject", name="school_year_subject"),)

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    school_year: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(32))
    slots: Mapped[int] = mapped_column(Integer, CheckConstraint("slots >= 0", name="slots_non_negative"))


class Visit(Versioned, Entity):
    """One assistance activity (帮扶活动) at a host school."""

    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint("lessons >= 0", name="lessons_non_negative"),
        Index("ix_visit_updated_at", "updated_at"),  # staleness signature of the tallies
        Index("uq_visit_import_key", "import_key", unique=True),
    )

    date: Mapped[dt.date] = mapped_column(Date, index=True)
    host_school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    activity_type: Mapped[str] = mapped_column(coded(vocab.ACTIVITY_TYPES, "activity_type"))
    lessons: Mapped[int] = mapped_column(Integer, default=0)  # 听课节数
    summary: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str | None] = mapped_column(String(64))
    # An activity created by a batch import: "date|host school id|activity type", the
    # import's identity of an activity (db.visit_import). Unique, so two imports at once
    # cannot both create it; None for activities entered by hand (several a day may share
    # date, host and type) and for those stored before migration 0004.
    import_key: Mapped[str | None] = mapped_column(String(96))

    participants: Mapped[list[VisitParticipant]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(cascade="all, delete-orphan")


class VisitParticipant(Versioned, Entity):
    """A visitor of an activity; linked to a teacher record when one exists."""

    __tablename__ = "visit_participant"
    __table_args__ = (
        Index("ix_visit_participant_name", "name"),  # re-tallying one person (db.visit_tallies)
        Index("ix_visit_participant_updated_at", "updated_at"),  # staleness signature of the tallies
        Index("uq_visit_participant_import_key", "visit_id", "import_key", unique=True),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(coded(vocab.VISITOR_ROLES, "visitor_role"))
    home_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    teacher_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teacher.id"), index=True)
    # 听课节数 this visitor observed, when it differs from the activity's (batch rows are per
    # visitor); None = the activity's ``Visit.lessons``. Lesson quotas sum this per person.
    lessons: Mapped[int | None] = mapped_column(Integer)
    # A visitor added by a batch import: "name|home school id" (the import's identity of a
    # visitor within an activity), unique per activity; None when entered by hand.
    import_key: Mapped[str | None] = mapped_column(String(112))

    visit: Mapped[Visit] = relationship(back_populates="participants")


DUTY_SOURCES = ("登记", "活动记录")


class DutyHolder(Versioned, Entity):
    """A person who owes visits (帮扶责任人, DESIGN.md "DutyHolder"), whether or not anything
    was logged: a researcher or studio host the clerk registered (``登记``), or anyone once
    logged in a duty role (``活动记录``: added by ``db.duty_holders`` from the activity log).
    They owe the quotas of ``role`` from ``start`` until the clerk sets ``end_on``.

    ``key`` (name | role | home school) is unique, so two writers logging the same person
    cannot register them twice. ``county_id``: the 包抓县(市)区 of a researcher, where their
    activities count.
    """

    __tablename__ = "duty_holder"

    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(coded(vocab.VISITOR_ROLES, "duty_role"))
    home_school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), index=True)
    teacher_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teacher.id"))
    county_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("region.id"))
    start: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(coded(DUTY_SOURCES, "duty_source"), default="登记")
    notes: Mapped[str | None] = mapped_column(Text)


class VisitTally(Base):
    """Derived data: activities per visitor entry, host school, type and semester (``ActivityTally``).

    Nothing here is entered by anyone; every row can be recomputed from ``visit`` and
    ``visit_participant`` (``db.visit_tallies``). It exists because grouping 200,000
    activities in SQL takes seconds, while the quota dashboard must answer in under one.
    Writes of activities keep it current in their own transaction; a semester whose
    :class:`VisitTallyPeriod` signature no longer matches the visit tables (a bulk load) is
    rebuilt on its next read. Not audited: it records no decision, only a count.
    """

    __tablename__ = "visit_tally"
    __table_args__ = (Index("ix_visit_tally_semester_name", "semester", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    semester: Mapped[str] = mapped_column(String(8))  # "2025-1"
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    home_school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    teacher_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    host_school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: a type no rule of the role counts
    activity_type: Mapped[str | None] = mapped_column(String(16))
    activities: Mapped[int] = mapped_column(Integer)
    lessons: Mapped[int] = mapped_column(Integer)
    first_on: Mapped[dt.date] = mapped_column(Date)  # earliest of these activities


class VisitSchoolTally(Base):
    """Derived data: activities per pairing rule, sending school, host school and semester
    (``SchoolTally``); kept like :class:`VisitTally`."""

    __tablename__ = "visit_school_tally"
    __table_args__ = (Index("ix_visit_school_tally_semester", "semester", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(64))
    semester: Mapped[str] = mapped_column(String(8))
    home_school_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    host_school_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    activities: Mapped[int] = mapped_column(Integer)
    lessons: Mapped[int] = mapped_column(Integer)


class VisitTallyPeriod(Base):
    """Derived data: which semesters :class:`VisitTally` holds, for which tally spec (the
    profile's counted roles and types), and the visit tables' signature they were current
    at (row counts and latest ``updated_at``). A mismatch means: rebuild before reading."""

    __tablename__ = "visit_tally_period"

    semester: Mapped[str] = mapped_column(String(8), primary_key=True)
    first_on: Mapped[dt.date] = mapped_column(Date)
    last_on: Mapped[dt.date] = mapped_column(Date)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    visit_rows: Mapped[int] = mapped_column(Integer)  # signature: rows in ``visit`` …
    participant_rows: Mapped[int] = mapped_column(Integer)  # … in ``visit_participant`` …
    visit_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # … and their latest updated_at
    participant_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Attachment(Entity):
    """A file kept inside the database (a path would break when the laptop changes)."""

    __tablename__ = "attachment"

    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Agreement(Versioned, Entity):
    """An assistance agreement (教共体建设协议书 / 帮扶协议) of a cluster."""

    __tablename__ = "agreement"

    cluster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cluster.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    term_start: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date] = mapped_column(Date)
    clauses: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"sections": [{"heading", "text"}]}
    version: Mapped[int] = mapped_column(Integer, default=1)
    printed_version: Mapped[int | None] = mapped_column(Integer)
    printed_text: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    # 品牌费 the assisted schools are charged under it, 元 (银川2023方案 四(一): none); None = not stated.
    brand_fee: Mapped[float | None] = mapped_column(Float)

    parties: Mapped[list[AgreementParty]] = relationship(cascade="all, delete-orphan")


class AgreementParty(Versioned, Entity):
    __tablename__ = "agreement_party"

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    label: Mapped[str] = mapped_column(String(8))  # 甲方 / 乙方 / 丙方
    signatory: Mapped[str | None] = mapped_column(String(64))


class QualityIndicator(Versioned, Entity):
    """A quality figure of a school for a school year (学业质量监测, 巩固率, …)."""

    __tablename__ = "quality_indicator"
    __table_args__ = (UniqueConstraint("school_id", "school_year", "indicator", name="school_year_indicator"),)

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"))
    school_year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)


class TrainingRecord(Versioned, Entity):
    """Hours of training a teacher completed (五年一周期360学时; 乡村教师专项培训180学时).

    ``special``: the record is the rural teachers' and principals' 专项培训 (海门2019计划 三(四)2).
    One row per teacher, day and course, so re-importing a county's records changes nothing.
    """

    __tablename__ = "training_record"
    __table_args__ = (UniqueConstraint("teacher_id", "completed_on", "course", name="teacher_day_course"),)

    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), index=True)
    completed_on: Mapped[dt.date] = mapped_column(Date)
    course: Mapped[str] = mapped_column(String(128))
    hours: Mapped[float] = mapped_column(Float, CheckConstraint("hours > 0", name="hours_positive"))
    special: Mapped[bool] = mapped_column(Boolean, default=False)


class TeacherDesignation(Versioned, Entity):
    """A teacher named 种子教师 or 榜样教师 of a rural school from a date (海门2019计划 三(五)3)."""

    __tablename__ = "teacher_designation"
    __table_args__ = (UniqueConstraint("teacher_id", "kind", "start", name="teacher_kind_start"),)

    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(coded(vocab.DESIGNATIONS, "designation_kind"))
    start: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)


class Evaluation(Versioned, Entity):
    """The annual evaluation of a community's assistance work."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("cluster_id", "school_year", name="cluster_year"),)

    cluster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cluster.id"))
    school_year: Mapped[int] = mapped_column(Integer)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    value_added: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(16))


class SemesterSummary(Versioned, Entity):
    """A community's semester summary (余教〔2020〕155号 六(二))."""

    __tablename__ = "semester_summary"
    __table_args__ = (UniqueConstraint("cluster_id", "semester", name="cluster_semester"),)

    cluster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cluster.id"))
    semester: Mapped[str] = mapped_column(String(8))  # "2025-1"
    attainment: Mapped[str] = mapped_column(Text, default="")  # 目标达成度
    achievements: Mapped[str] = mapped_column(Text, default="")  # 主要成效
    problems: Mapped[str] = mapped_column(Text, default="")  # 问题
    next_steps: Mapped[str] = mapped_column(Text, default="")  # 下步计划


class ReportText(Versioned, Entity):
    """Text a clerk wrote for a printed report (年度评价报告 conclusions, 学年度工作报告
    sections), per document, school year and scope; kept until edited again (audited)."""

    __tablename__ = "report_text"
    __table_args__ = (UniqueConstraint("document", "school_year", "scope", name="document_year_scope"),)

    document: Mapped[str] = mapped_column(String(16))  # "annual" | "work_report"
    school_year: Mapped[int] = mapped_column(Integer)
    # The cluster's id (32 hex digits) or "all" for the whole area: a unique key that, unlike a
    # NULL cluster_id, SQLite and PostgreSQL both compare as equal.
    scope: Mapped[str] = mapped_column(String(36))
    cluster_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cluster.id"))
    sections: Mapped[dict[str, Any]] = mapped_column(JSON)  # section title → list of paragraphs


class Waiver(Versioned, Entity):
    """A rule knowingly not applied to one cluster or school; shown as waived, never hidden."""

    __tablename__ = "waiver"

    rule: Mapped[str] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(coded(("cluster", "school"), "waiver_subject"))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    reason: Mapped[str] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(64))
    start: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)


class User(Entity):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(coded(vocab.USER_ROLES, "user_role"))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))  # a principal's school
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # argon2id PHC string (argon2-cffi); None: the user cannot sign in (e.g. an imported roster).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # since the last success
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # lock-out after repeated failures
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Setting(Versioned, Base):
    """Key/value settings kept with the data (active profile, the clerk's figure overrides)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEntry(Base):
    """Who changed what, when, from what to what. Appended only by ``db.audit``.

    ``hash`` is SHA-256 over ``prev_hash`` and the entry's canonical JSON (``db.audit``), so
    an entry edited, deleted or inserted outside the app breaks the chain; the write guard
    (``db.guard``) refuses UPDATE and DELETE of this table from every role.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # insert / update / delete / import / …
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(36), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The end of the audit chain: one row (id 1), locked by every append.

    Appends read and move it under the database's write lock (SQLite) or ``SELECT … FOR
    UPDATE`` (PostgreSQL), so two writers cannot both chain onto the same entry; a chain
    that ends before ``last_id`` was cut.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")


class PackagePeer(Base):
    """A database this one exchanges data packages with, or itself (``kind`` "self").

    ``id`` is the database's identity carried in every package; ``public_key`` (Ed25519,
    32 bytes) verifies its signatures. Only the "self" row holds a private key. A laptop
    peer is registered for one school: its packages may only carry that school's records.
    Written by ``db.packages`` only (bookkeeping, not audited: keys stay out of the log).
    """

    __tablename__ = "package_peer"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # self / bureau / laptop
    name: Mapped[str] = mapped_column(String(128))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PackageLog(Base):
    """Every package written to or applied from a peer, one row each.

    The unique (direction, peer, seq) key makes the sequence the database's to enforce:
    a replayed or concurrently applied package cannot be recorded twice. ``watermark``:
    the local audit id the package covers up to (out) or reached after applying (in);
    ``ack``: the last package from the other side the sender had applied.
    """

    __tablename__ = "package_log"
    __table_args__ = (UniqueConstraint("direction", "peer_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(3))  # out / in
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("package_peer.id"))
    seq: Mapped[int] = mapped_column(Integer)
    watermark: Mapped[int] = mapped_column(Integer, default=0)
    ack: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the manifest
    user: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # counts; the sender's audit entries (in)


class PackageConflict(Base):
    """A record changed on both sides: the incoming version kept here until the clerk chooses.

    ``theirs`` None: the other side deleted it; the local version stays in its own table
    (``mine`` is its copy at import time, None when deleted here).
    """

    __tablename__ = "package_conflict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("package_peer.id"))
    seq: Mapped[int] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    mine: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    theirs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open / mine / theirs
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
