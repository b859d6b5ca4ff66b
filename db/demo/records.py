"""The demo's in-memory records (schools, teachers, clusters, counties) before they become rows."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field


@dataclass
class _School:
    id: uuid.UUID
    name: str
    stage: str
    location: str
    run_by: str
    county: int
    students: int
    lat: float
    lon: float
    town: int | None = None  # index of its town within the county
    weak: bool = False
    central: uuid.UUID | None = None
    teachers: list[_Teacher] = field(default_factory=list)


@dataclass
class _Teacher:
    id: uuid.UUID
    name: str
    gender: str
    birth: dt.date
    subject: str
    started: dt.date
    home: _School
    home_start: dt.date
    title: str = "未定级"
    backbone: str | None = None
    position: str = "教师"
    position_since: dt.date | None = None


@dataclass
class _Cluster:
    id: uuid.UUID
    name: str
    kind: str
    area: str
    county: int
    lead: _School
    founded: dt.date
    members: list[_School] = field(default_factory=list)


@dataclass
class _County:
    index: int
    name: str
    code: str
    region_id: uuid.UUID
    center: tuple[float, float]
    schools: list[_School] = field(default_factory=list)
    clusters: list[_Cluster] = field(default_factory=list)
    towns: list[str] = field(default_factory=list)
