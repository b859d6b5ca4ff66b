"""The register of duty holders (帮扶责任人): who owes visits, whether or not they logged one.

Who owes comes from the role (POLICY.md §7 "who owes visits"; 银川2023方案 二(一)2, 二(二)5–6):

* the roster: 职务 / 骨干等级 of teachers at a school with a 包片包抓 pairing (read at quota
  time by ``db.visits``, not stored here);
* the clerk's register (``source = 登记``): 市级 / 县级 教研员, studio hosts and anyone else,
  entered in the GUI or imported from Excel (``edubridge import duties``), with the 包抓县(市)区
  of a researcher;
* the activity log (``source = 活动记录``): anyone once logged in a role some person rule counts
  stays a duty holder from that first activity until the clerk ends it (``end_on``).

Rows from the log are added by :func:`sync_logged`, which ``db.visit_tallies`` calls inside
the transaction that rebuilds or updates the stored tallies, so the register is as current as
the quota board. The unique ``key`` (name | role | home school) makes two writers adding the
same person safe: the second insert is skipped (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, String, func, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite

from db import guard
from db.engine import StoreError
from db.ids import id_text
from db.models import DutyHolder, Region, School, Visit, VisitParticipant, utcnow
from db.store import Store
from policy import vocab
from policy.quotas import DutyRec

REGISTERED, LOGGED = "登记", "活动记录"
CHUNK = 500


class DutyError(StoreError):
    """A duty-holder entry that cannot be saved as given; str() says why, in Chinese."""


def duty_key(name: str, role: str, home_school_id: object) -> str:
    """The identity of a duty holder: name, role and home school (32 hex digits or empty)."""
    home = "" if home_school_id is None else (home_school_id.hex if isinstance(home_school_id, uuid.UUID)
                                              else str(home_school_id).replace("-", ""))
    return f"{name}|{role}|{home}"


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose key is already there (another writer got first)."""
    if not rows:
        return
    table = DutyHolder.__table__
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=["key"]), rows)


def sync_logged(connection: Connection, roles: Iterable[str], visit_ids: Sequence[Any] | None = None) -> int:
    """Add to the register everyone logged in one of ``roles`` (the roles person rules count)
    who is not in it yet, from their first such activity; with ``visit_ids``, also move a
    logged holder's ``start`` earlier when one of these activities is earlier. ``visit_ids``: only the visitors of these activities (a
    write's own), else every activity — then the people are listed first without the join to
    the activities' dates, which are read only for those not registered yet (after a bulk
    load, usually few). Returns the number of people added.
    """
    roles = sorted(set(roles))
    if not roles:
        return 0
    with guard.derived(connection):
        return _sync_logged(connection, roles, visit_ids)


def _sync_logged(connection: Connection, roles: list[str], visit_ids: Sequence[Any] | None) -> int:
    v, p, d = Visit.__table__.c, VisitParticipant.__table__.c, DutyHolder.__table__.c
    query = (
        select(p.name, p.role, id_text(p.home_school_id), func.max(id_text(p.teacher_id)),
               func.min(v.date))
        .select_from(VisitParticipant.__table__.join(Visit.__table__, v.id == p.visit_id))
        .where(p.role.in_(roles))
        .group_by(p.name, p.role, p.home_school_id)
    )
    found: list[Any] = []
    if visit_ids is None:
        stored_keys = set(connection.execute(select(d.key)).scalars())
        people = connection.execute(select(p.name, p.role, type_coerce(p.home_school_id, String))
                                    .where(p.role.in_(roles)).distinct()).all()
        missing = sorted({name for name, role, home in people if duty_key(name, role, home) not in stored_keys})
        # A few missing names: their dates by name; many (a first load): one pass over everything.
        batches = [query] if len(missing) > CHUNK else [
            query.where(p.name.in_(missing[begin:begin + CHUNK])) for begin in range(0, len(missing), CHUNK)]
        for batch in batches:
            found += [row for row in connection.execute(batch) if duty_key(row[0], row[1], row[2]) not in stored_keys]
    else:
        ids = list(visit_ids)
        for begin in range(0, len(ids), CHUNK):
            found += connection.execute(query.where(v.id.in_(ids[begin:begin + CHUNK]))).all()
    if not found:
        return 0
    stored: dict[str, dt.date] = {}
    keys = [duty_key(name, role, home) for name, role, home, _t, _d in found]
    for begin in range(0, len(keys), CHUNK):
        stored.update(connection.execute(select(d.key, d.start).where(d.key.in_(keys[begin:begin + CHUNK]))).all())
    now = utcnow()
    new = []
    for key, (name, role, home, teacher, first) in zip(keys, found):
        first = first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first)[:10])
        if key not in stored:
            new.append({"id": uuid.uuid4(), "key": key, "name": name, "role": role,
                        "home_school_id": _uuid(home), "teacher_id": _uuid(teacher), "county_id": None,
                        "start": first, "end_on": None, "source": LOGGED, "notes": None,
                        "created_at": now, "updated_at": now})
            stored[key] = first
        elif first < stored[key]:
            connection.execute(update(DutyHolder.__table__).where(d.key == key, d.source == LOGGED)
                               .values(start=first, updated_at=now))
    _insert(connection, new)
    return len(new)


def _uuid(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def load_duties(store: Store, school_id: uuid.UUID | None = None) -> list[DutyRec]:
    """The register as ``policy.quotas`` records (ids as 32 hex digits); ``school_id``: only
    that school's people (a principal's view)."""
    d = DutyHolder.__table__.c
    query = select(d.id, d.name, d.role, d.start, d.end_on, d.home_school_id, d.teacher_id, d.county_id, d.source)
    if school_id is not None:
        query = query.where(d.home_school_id == school_id)
    with store.engine.connect() as connection:  # Core rows: thousands of holders, no ORM identity work
        return [DutyRec(i.hex, name, role, start, end, home.hex if home else None, teacher.hex if teacher else None,
                        county.hex if county else None, source)
                for i, name, role, start, end, home, teacher, county, source in connection.execute(query)]


@dataclasses.dataclass(frozen=True, slots=True)
class DutyView:
    """One register row as the page and the export show it."""

    id: uuid.UUID
    name: str
    role: str
    school_code: str
    school: str
    county: str
    start: dt.date
    end: dt.date | None
    source: str
    notes: str


def catch_up(store: Store) -> int:
    """Register now everyone logged in a duty role who is not yet — what the next quota read
    would do after a bulk load (the demo, an import) — so the register shown or exported is
    complete at once. Returns the number added."""
    from db.settings import active_profile
    from policy.quotas import tally_spec

    with store.engine.begin() as connection:
        return sync_logged(connection, tally_spec(active_profile(store)).roles)


def list_duties(store: Store, school_id: uuid.UUID | None = None) -> list[DutyView]:
    """The register by role and name (``school_id``: only that school's people), caught up
    with the activities logged (:func:`catch_up`)."""
    catch_up(store)
    query = (select(DutyHolder, School.code, School.name, Region.name)
             .outerjoin(School, School.id == DutyHolder.home_school_id)
             .outerjoin(Region, Region.id == DutyHolder.county_id)
             .order_by(DutyHolder.role, DutyHolder.name, School.code))
    if school_id is not None:
        query = query.where(DutyHolder.home_school_id == school_id)
    with store.read() as session:
        return [DutyView(d.id, d.name, d.role, code or "", school or "", county or "", d.start, d.end_on,
                         d.source, d.notes or "")
                for d, code, school, county in session.execute(query)]


def register_duty(
    store: Store,
    name: str,
    role: str,
    start: dt.date,
    *,
    home_school_id: uuid.UUID | None = None,
    county_id: uuid.UUID | None = None,
    end: dt.date | None = None,
    notes: str | None = None,
) -> uuid.UUID:
    """Register a duty holder (audited); the same name, role and school again updates the entry."""
    name = (name or "").strip()
    if not name:
        raise DutyError("姓名不能为空")
    if role not in vocab.VISITOR_ROLES:
        raise DutyError(f"角色“{role}”不是可选值")
    if end is not None and end < start:
        raise DutyError("结束日期不能早于开始日期")
    key = duty_key(name, role, home_school_id)
    with store.write(note=f"登记帮扶责任人：{name}（{role}）") as session:
        duty = session.scalars(select(DutyHolder).where(DutyHolder.key == key)).first()
        teacher = None
        if home_school_id is not None:
            from db.teacher_queries import unique_teacher  # the same linking as the visit form

            teacher = unique_teacher(session, name, home_school_id)
        if duty is None:
            duty = DutyHolder(id=uuid.uuid4(), key=key, name=name, role=role, home_school_id=home_school_id)
            session.add(duty)
        duty.teacher_id, duty.county_id, duty.start, duty.end_on = teacher, county_id, start, end
        duty.source, duty.notes = REGISTERED, notes
    return duty.id


def end_duty(store: Store, duty_id: uuid.UUID, end: dt.date) -> None:
    """The clerk ends a duty (the person left the role); their rows stop after ``end``."""
    with store.write(note="帮扶责任人结束") as session:
        duty = session.get(DutyHolder, duty_id)
        if duty is None:
            raise DutyError("该帮扶责任人已不存在")
        if end < duty.start:
            raise DutyError(f"结束日期不能早于开始日期 {duty.start.isoformat()}")
        duty.end_on = end



def region_choices(store: Store) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the counties (县区) a researcher can be assigned to, by name."""
    with store.read() as session:
        return [(rid, name) for rid, name in session.execute(
            select(Region.id, Region.name).where(Region.level == "县区").order_by(Region.name))]
