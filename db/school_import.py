"""The school list (学校名单) as a spreadsheet: template, import with a preview, export.

Import is in two steps that the command line and the GUI share: :func:`plan_import`
reads and checks the whole file and compares it with the store (nothing written; raises
:class:`~db.importing.ImportFailed` listing every bad cell), then :func:`apply_import`
writes the plan in one bulk transaction, audited as one entry. Rows are matched by
学校代码: new codes are added, changed ones updated, the rest left alone — importing
the same file twice changes nothing. Schools missing from the file are never deleted.

Optional columns replace what is stored: a blank 在校学生数 is 0, a blank 占地面积 or a blank
纬度/经度 pair is "unknown" (NULL). Only a file that lacks the 纬度 and 经度 columns altogether
(an older template, a clerk's own list) keeps the stored coordinates — it says nothing about
them — so re-importing such a file does not wipe the distances the exchange planner uses.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from db.importers import READING, WRITING
from db.importing import (
    CellError,
    ImportFailed,
    ImportProblem,
    RowReader,
    SheetRows,
    example_key,
    example_keys,
    iter_rows,
    normal_text,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_text,
    read_sheet,
    skipped_example_note,
)
from db.locks import write_serialised
from db.models import Region, School, utcnow
from db.store import Store
from policy import vocab
from policy.progress import Progress, quiet

STAGE_HEADERS = ("小学在校生数", "小学班级数", "初中在校生数", "初中班级数")  # optional, for 一贯制 schools
STAGE_FIELDS = ("primary_students", "primary_classes", "junior_students", "junior_classes")
HEADERS = ("学校代码", "学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "占地面积", "薄弱学校", "所属县区",
           "纬度", "经度", "法人单位", "中心校代码", *STAGE_HEADERS)
REQUIRED = ("学校代码", "学校名称", "学段", "城乡类别")
CHOICES = {"学段": vocab.STAGES, "城乡类别": vocab.LOCATIONS, "举办者": vocab.RUN_BY, "薄弱学校": ("是", "否")}
# The template's example row: written by the template, skipped by the importer when left unchanged.
EXAMPLE = ("6401990001", "示例县第一小学", "小学", "城区", "县属", 1200, 27, 30000, "否", "示例县", 38.4872, 106.2309,
           "示例县第一小学", None, None, None, None, None)
# Decimal degrees (as a map shows them, WGS-84 or GCJ-02 alike) within China's extent.
LATITUDE_RANGE = (3.0, 54.0)
LONGITUDE_RANGE = (73.0, 136.0)
COUNTY = "县区"  # Region.level of the regions a school can belong to (the city above them is "市")
NOTES = (
    "学校名单导入说明",
    "1. 每行一所学校，第一行为表头，列名须与模板一致（列的顺序可以调整）。",
    "2. 学校代码必填且唯一（建议填写10位学校标识码）；再次导入时按学校代码更新，已有学校不会被删除。",
    "3. 学段可选：" + "、".join(vocab.STAGES) + "；教学点在统计覆盖率时按乡村学校计算。",
    "4. 城乡类别可选：" + "、".join(vocab.LOCATIONS) + "；举办者可选：市属、县属（空白按县属）。",
    "5. 在校学生数、班级数填整数（可带千分位逗号或全角数字）；占地面积单位为平方米。",
    "6. 薄弱学校填“是”或“否”（空白按否）。",
    "7. 所属县区填县区名称；系统中没有的县区会自动建立（行政区划代码暂以 X00001 等占位，导入结果中注明“行政区划代码待补”）；系统中只有一个县区时可留空。",
    ("8. 纬度、经度可不填，用于计算交流教师往返学校的距离：填十进制度数（如 纬度 38.4872、经度 106.2309，"
     "可从地图上点选学校位置复制；可带“°”或“度”），两项须同时填写；纬度应在 3 到 54 之间，经度应在 73 到 136 之间。"
     "再次导入时两项都留空表示清除已有坐标；文件中没有这两列时保留已有坐标。"),
    ("9. 法人单位可不填（融合型集团中几所学校共用一个法人单位时填写其名称）；中心校代码只用于教学点等，"
     "填其所属中心校的学校代码（须已登记或在本文件中）。再次导入时留空表示清除；文件中没有这两列时保留原有数据。"),
    ("10. 小学在校生数、小学班级数、初中在校生数、初中班级数：九年一贯制、十二年一贯制学校填写后，班额按小学、初中分别检查，"
     "规模上限按义务教育阶段（小学加初中）人数检查；其他学校可不填。文件中没有这几列时保留已有数字。"),
    "11. 任何一行有错误时整个文件都不会导入，错误会列出行号、列名和原因。",
)
# School fields compared on re-import, in the order the preview names them.
FIELDS = ("name", "stage", "location", "run_by", "students", "classes", "land_area", "is_weak", "region_id",
          "latitude", "longitude", "legal_entity", "central_school_id", *STAGE_FIELDS)
LABELS = dict(zip(FIELDS, ("学校名称", "学段", "城乡类别", "举办者", "在校学生数", "班级数", "占地面积", "薄弱学校", "所属县区",
                           "纬度", "经度", "法人单位", "中心校", *STAGE_HEADERS)))


@dataclasses.dataclass(slots=True)
class ImportPlan:
    """What an import will change; shown before anything is written (``--dry-run``, GUI preview)."""

    file: str
    kind: str
    added: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    updated: list[tuple[uuid.UUID, dict[str, Any], list[str]]] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    extra: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # e.g. regions or clusters to create
    changes: list[str] = dataclasses.field(default_factory=list)  # one readable line per change
    notes: list[str] = dataclasses.field(default_factory=list)  # said after the counts, e.g. a skipped example row
    source: Any = dataclasses.field(default=None, repr=False, compare=False)  # the file's rows, compared again on apply

    @property
    def empty(self) -> bool:
        return not (self.added or self.updated or self.extra)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated), "unchanged": self.unchanged}

    def summary(self) -> str:
        c = self.counts()
        text = f"{self.file}：新增 {c['added']} 条，更新 {c['updated']} 条，未变 {c['unchanged']} 条"
        return "；".join([text, *self.notes])


def plan_import(store: Store, path: Path, progress: Progress = quiet) -> ImportPlan:
    """Read and check ``path`` and say what importing it would change; writes nothing.

    Raises:
        ImportFailed: every problem of the file (row, column, reason).
    """
    progress(*READING)
    name, rows = _read(Path(path))
    with store.read() as session:
        return _compare(session.connection(), name, rows)


def _compare(connection: Connection, name: str, rows: SheetRows) -> ImportPlan:
    """The plan of ``rows`` against the store as ``connection`` sees it (also under the
    import lock, see :func:`apply_import`)."""
    all_regions = connection.execute(select(Region.name, Region.id, Region.level)).all()
    existing = {
        r.code: r for r in connection.execute(select(School.id, School.code, *[getattr(School, f) for f in FIELDS]))
    }
    regions = {r.name: r.id for r in all_regions}
    counties = [r for r in all_regions if r.level == COUNTY]
    problems: list[ImportProblem] = []
    plan = ImportPlan(file=name, kind="schools", source=rows)
    seen: dict[str, int] = {}
    new_regions: dict[str, uuid.UUID] = {}
    only_county = counties[0].id if len(counties) == 1 else None
    # Ids of the file's new schools, chosen now so that a 中心校代码 can name one of them.
    code_ids = {code: r.id for code, r in existing.items()}
    for row in rows:
        listed = normal_text(row.get("学校代码")).replace(" ", "")
        if listed and listed not in code_ids and len(listed) <= 32:
            code_ids[listed] = uuid.uuid4()
    if counties:
        no_county = "请填写所属县区（系统中有：" + "、".join(sorted(r.name for r in counties)) + "）"
    else:
        no_county = "请填写所属县区（首次导入时必填）"
    for reader in iter_rows(name, rows, problems):
        code = reader.cell("学校代码", parse_text, max_length=32)
        if code is not None:
            code = code.replace(" ", "")
            if code in seen:
                reader.fail("学校代码", f"学校代码“{code}”与第{seen[code]}行重复")
            seen.setdefault(code, reader.row.number)
        values = {
            "name": reader.cell("学校名称", parse_text, max_length=128),
            "stage": reader.cell("学段", parse_choice, vocab.STAGES),
            "location": reader.cell("城乡类别", parse_choice, vocab.LOCATIONS),
            "run_by": reader.cell("举办者", parse_choice, vocab.RUN_BY, required=False) or "县属",
            "students": reader.cell("在校学生数", parse_int) or 0,
            "classes": reader.cell("班级数", parse_int) or 0,
            "land_area": reader.cell("占地面积", parse_float),
            "is_weak": bool(reader.cell("薄弱学校", parse_bool)),
        }
        region_name = reader.cell("所属县区", parse_text, required=False, max_length=64)
        if region_name:
            region_name = region_name.replace(" ", "")
            region_id = regions.get(region_name) or new_regions.get(region_name)
            if region_id is None:
                region_id = new_regions[region_name] = uuid.uuid4()
        elif code in existing:
            region_id = existing[code].region_id
        elif only_county is not None:
            region_id = only_county
        else:
            region_id = None
            reader.fail("所属县区", no_county)
        values["region_id"] = region_id
        old = existing.get(code)
        if "纬度" in reader.row.cells or "经度" in reader.row.cells:
            values["latitude"], values["longitude"] = _read_coordinates(reader)
        else:  # the file has no coordinate columns: it says nothing about them
            values["latitude"], values["longitude"] = (old.latitude, old.longitude) if old else (None, None)
        if "法人单位" in reader.row.cells:
            values["legal_entity"] = reader.cell("法人单位", parse_text, required=False, max_length=128)
        else:
            values["legal_entity"] = old.legal_entity if old else None
        if "中心校代码" in reader.row.cells:
            values["central_school_id"] = _central(reader, code, code_ids)
        else:
            values["central_school_id"] = old.central_school_id if old else None
        if any(h in reader.row.cells for h in STAGE_HEADERS):
            values.update(_read_stages(reader, values["students"]))
        else:  # the file has no per-stage columns: it says nothing about them
            values.update({f: getattr(old, f) if old else None for f in STAGE_FIELDS})
        if not reader.ok or code is None:
            continue
        if old is None:
            plan.added.append({"id": code_ids[code], "code": code, **values})
            plan.changes.append(f"新增 {code} {values['name']}")
            continue
        changed = [f for f in FIELDS if _differs(getattr(old, f), values[f])]
        if changed:
            plan.updated.append((old.id, values, changed))
            plan.changes.append(f"更新 {code} {values['name']}：" + "、".join(LABELS[f] for f in changed))
        else:
            plan.unchanged += 1
    if problems:
        raise ImportFailed(problems)
    plan.extra = [{"id": rid, "name": rname} for rname, rid in new_regions.items()]
    # The file gives no 行政区划代码: a new county gets a placeholder (X00001…); say so.
    created = [f"新建县区 {rname}（行政区划代码待补）" for rname in new_regions]
    plan.changes[:0] = created
    plan.notes.extend(created)
    note = skipped_example_note(rows)
    if note:
        plan.notes.append(note)
    return plan


def _read_stages(reader: RowReader, students: int) -> dict[str, int | None]:
    """The per-stage figures of one row; primary and junior students together may not
    exceed 在校学生数 (a 十二年一贯制 school's senior students make up the rest)."""
    values = {f: reader.cell(h, parse_int) for f, h in zip(STAGE_FIELDS, STAGE_HEADERS)}
    stage_total = (values["primary_students"] or 0) + (values["junior_students"] or 0)
    if stage_total > students:
        reader.fail("小学在校生数", f"小学与初中在校生合计{stage_total}人，多于在校学生数{students}人")
    return values


_DEGREE_TEXT = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:°|度)?$")


def parse_degrees(value: object) -> float | None:
    """Decimal degrees as clerks paste them: 38.4872, "38.4872°", "38.4872度", full-width digits;
    None for a blank cell. Degrees-minutes-seconds (38°29′14″) are refused with a hint."""
    if isinstance(value, bool):
        raise CellError(f"“{value}”不是数字")
    if isinstance(value, (int, float)):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value or "")).strip().replace("º", "°").replace("˚", "°")
    if not text:
        return None
    match = _DEGREE_TEXT.match(text)
    if match:
        return float(match.group(1))
    if re.search(r"[′'\"″分秒]", text):
        raise CellError(f"“{text}”请改为十进制度数（如 38.4872），不要写度分秒")
    raise CellError(f"“{text}”不是数字（请填十进制度数，如 38.4872）")


def _central(reader: RowReader, code: str | None, code_ids: dict[str, uuid.UUID]) -> uuid.UUID | None:
    """The 中心校 named by its code: a school stored or in the file, not the school itself."""
    central = reader.cell("中心校代码", parse_text, required=False, max_length=32)
    if central is None:
        return None
    central = central.replace(" ", "")
    if central == code:
        reader.fail("中心校代码", "中心校不能是本校")
        return None
    if central not in code_ids:
        reader.fail("中心校代码", f"找不到学校代码“{central}”（中心校须已登记或在本文件中）")
        return None
    return code_ids[central]


def _read_coordinates(reader: RowReader) -> tuple[float | None, float | None]:
    """纬度 and 经度 of one row, checked as a pair; (None, None) when both are blank or either is bad."""
    failed_before = len(reader.problems)
    latitude = reader.cell("纬度", parse_degrees)
    longitude = reader.cell("经度", parse_degrees)
    if len(reader.problems) > failed_before:
        return None, None
    if latitude is None and longitude is None:
        return None, None
    if latitude is None:
        reader.fail("纬度", "填写了经度，纬度也须填写（两项都留空表示位置不详）")
        return None, None
    if longitude is None:
        reader.fail("经度", "填写了纬度，经度也须填写（两项都留空表示位置不详）")
        return None, None
    (lat_low, lat_high), (lon_low, lon_high) = LATITUDE_RANGE, LONGITUDE_RANGE
    lat_ok, lon_ok = lat_low <= latitude <= lat_high, lon_low <= longitude <= lon_high
    if not lat_ok and not lon_ok and lon_low <= latitude <= lon_high and lat_low <= longitude <= lat_high:
        reader.fail("纬度", f"纬度、经度可能填反了（纬度 {latitude:g}，经度 {longitude:g}）")
        return None, None
    if not lat_ok:
        reader.fail("纬度", f"纬度 {latitude:g} 超出范围，应在 {lat_low:g} 到 {lat_high:g} 之间")
    if not lon_ok:
        reader.fail("经度", f"经度 {longitude:g} 超出范围，应在 {lon_low:g} 到 {lon_high:g} 之间")
    if not (lat_ok and lon_ok):
        return None, None
    return latitude, longitude


def _read(path: Path) -> tuple[str, SheetRows]:
    """The file's rows without the template's example row.

    The example is compared only on the columns the file has: a template written before
    纬度/经度 were added still has its unchanged example row skipped (read_sheet's own
    comparison would see the missing coordinates as changed cells and import the example).
    """
    name, rows = read_sheet(path, REQUIRED, [h for h in HEADERS if h not in REQUIRED])
    if not rows:
        return name, rows
    present = rows[0].cells.keys()  # every row has the same columns
    keys = {h: k for h, k in example_keys(dict(zip(HEADERS, EXAMPLE))).items() if h in present}
    kept, skipped = SheetRows(), []
    for row in rows:
        if all(example_key(row.cells.get(h)) == k for h, k in keys.items()):
            skipped.append(row.number)
        else:
            kept.append(row)
    kept.skipped_example, kept.sheet_note = tuple(skipped), rows.sheet_note
    return name, kept


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is not new
        return abs(float(old) - float(new)) > 1e-6
    return bool(old != new)


def apply_import(store: Store, plan: ImportPlan, progress: Progress = quiet) -> ImportPlan:
    """Write ``plan`` in one transaction (one audit entry); nothing when it changes nothing.

    The file is compared with the store again under the import lock (db.locks): when
    another import changed the store since the preview, what is written — and returned —
    is the new comparison, with a note saying so.
    """
    if plan.empty:
        return plan
    progress(*WRITING)
    if plan.source is None:  # a plan made by hand (tests): written as it is, under the lock
        return write_serialised(_transaction(store), plan, lambda _connection: plan, _write, progress)
    return write_serialised(_transaction(store), plan, lambda c: _compare(c, plan.file, plan.source), _write,
                            progress)


def _transaction(store: Store) -> Callable[[ImportPlan], AbstractContextManager[Connection]]:
    return lambda p: store.bulk("school", f"导入学校名单 {p.file}：{p.summary()}")


def _write(connection: Connection, plan: ImportPlan) -> None:
    now = utcnow()
    if plan.extra:
        used = {c for (c,) in connection.execute(select(Region.code))}
        rows = []
        for number, region in enumerate(plan.extra, start=1):
            code = _free_code(used, number)
            rows.append({"id": region["id"], "code": code, "name": region["name"], "level": COUNTY,
                         "profile_id": "default", "created_at": now, "updated_at": now})
        connection.execute(Region.__table__.insert(), rows)
    if plan.added:
        # Central schools are linked after every new school exists (one may name another).
        connection.execute(School.__table__.insert(), [
            {"created_at": now, "updated_at": now, **row, "central_school_id": None} for row in plan.added
        ])
        centrals = [{"_id": row["id"], "_central": row["central_school_id"]}
                    for row in plan.added if row["central_school_id"] is not None]
        if centrals:
            table = School.__table__
            connection.execute(update(table).where(table.c.id == bindparam("_id"))
                               .values(central_school_id=bindparam("_central")), centrals)
    if plan.updated:
        statement = (
            update(School.__table__)
            .where(School.__table__.c.id == bindparam("_id"))
            .values({f: bindparam(f) for f in FIELDS} | {"updated_at": bindparam("_now")})
        )
        connection.execute(statement, [{"_id": sid, "_now": now, **values} for sid, values, _ in plan.updated])


def _free_code(used: set[str], start: int) -> str:
    """A placeholder 行政区划代码 for a county created by name (the clerk can correct it later)."""
    number = start
    while True:
        code = f"X{number:05d}"
        if code not in used:
            used.add(code)
            return code
        number += 1


def import_file(store: Store, path: Path, dry_run: bool = False, *,
                progress: Progress = quiet) -> ImportPlan:
    """The ``edubridge import schools`` entry (db.importers)."""
    plan = plan_import(store, path, progress)
    return plan if dry_run else apply_import(store, plan, progress)


# ---- Writing -------------------------------------------------------------------------


def export_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every school as a row of the template, by code."""
    central = School.__table__.alias("central")
    with store.read() as session:
        rows = session.execute(
            select(School.code, School.name, School.stage, School.location, School.run_by, School.students,
                   School.classes, School.land_area, School.is_weak, Region.name, School.latitude, School.longitude,
                   School.legal_entity, central.c.code,
                   School.primary_students, School.primary_classes, School.junior_students, School.junior_classes)
            .join(Region, Region.id == School.region_id)
            .outerjoin(central, central.c.id == School.central_school_id)
            .order_by(School.code)
        ).all()
    return [(*r[:8], "是" if r[8] else "否", *r[9:]) for r in rows]


def example_rows() -> Sequence[tuple[Any, ...]]:
    return [EXAMPLE]
