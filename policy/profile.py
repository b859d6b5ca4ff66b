"""Policy profiles: every figure of a county's rules, with the clause it rests on.

A profile is a TOML file under ``resources/policies/``. County profiles ``extend`` the
default and change only what their own document says differently; a figure can be
switched off with ``enabled = false`` (the rule is then not checked at all). A clerk's
adjustments are applied on top with :meth:`Profile.with_overrides`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from policy.calendar import CalendarDates
from policy.errors import PolicyError
from policy.exchange_forms import FormRule, build_rules
from resources import resource_path

PROFILE_DIR = resource_path("policies")
DEFAULT_PROFILE = "default"

Value = int | float | str | bool


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a profile: its value and the paper it comes from."""

    id: str
    value: Value
    label: str
    unit: str
    clause: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class QuotaRule:
    """A minimum count of assistance activity (POLICY §3)."""

    id: str
    roles: tuple[str, ...]
    activity_types: tuple[str, ...]
    measure: str  # "count" or "lessons"
    minimum: int
    period: str  # "semester" or "year"
    scope: str  # "person", "pairing", "area" (per 片区长学校) or "community"
    label: str
    clause: str
    enabled: bool = True
    # Where an activity counts: "any" school of the paired cluster / county, or only its
    # "rural" ones (乡村 schools and 教学点) where the clause says 农村学校.
    hosts: str = "any"


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A paper the profile's clauses cite by a short name (``[documents."short"]``)."""

    short: str
    title: str
    number: str = ""  # 文号; "" when the paper carries none
    issuer: str = ""
    date: str = ""

    @property
    def citation(self) -> str:
        """《title》（文号）, or just 《title》 without a 文号 (GB/T 9704 citation form)."""
        return f"《{self.title}》" + (f"（{self.number}）" if self.number else "")


@dataclass(frozen=True)
class Profile:
    """A loaded, merged policy profile. Immutable; overrides make a new one."""

    id: str
    name: str
    description: str
    figures: dict[str, Figure]
    quotas: tuple[QuotaRule, ...]
    calendar: CalendarDates
    exchange_reference: tuple[int, int]
    calendar_clause: str
    evaluation: dict[str, Any] = field(default_factory=dict)
    exchange_forms: dict[str, FormRule] = field(default_factory=dict)

    def form_rule(self, form: str) -> FormRule:
        """The rules of an exchange form.

        Raises:
            PolicyError: the profile has no rules for ``form`` (the message names both).
        """
        try:
            return self.exchange_forms[form]
        except KeyError:
            raise PolicyError(f"政策方案“{self.name}”（{self.id}）中没有交流形式“{form}”的规则") from None

    def counted_forms(self) -> frozenset[str]:
        """Forms that count toward the yearly 10 % / 20 % shares."""
        return frozenset(f for f, rule in self.exchange_forms.items() if rule.counts)
    documents: dict[str, PolicyDocument] = field(default_factory=dict)

    def cited_documents(self, *texts: str) -> list[PolicyDocument]:
        """The documents whose short name occurs in ``texts`` (by first mention), in full."""
        joined = "\n".join(texts)
        found = [(joined.find(short), doc) for short, doc in self.documents.items() if short in joined]
        return [doc for _pos, doc in sorted(found, key=lambda pair: pair[0])]

    def full_citation(self, clause: str) -> str:
        """A clause with each short document name written out: "太平区2023方案 四(二)3" →
        "《太平区义务教育发展基本均衡方案》四(二)3" (with the 文号 when the paper has one)."""
        if not self.documents:
            return clause
        names = sorted(self.documents, key=len, reverse=True)
        pattern = re.compile("(?:" + "|".join(re.escape(name) for name in names) + r")\s*")
        return pattern.sub(lambda m: self.documents[m.group(0).strip()].citation, clause)

    def figure(self, figure_id: str) -> Figure:
        """The figure with this id.

        Raises:
            PolicyError: the profile (and the default it extends) has no such figure; the
                message names the key, so a county profile missing a figure is found at once.
        """
        try:
            return self.figures[figure_id]
        except KeyError:
            raise PolicyError(f"政策方案“{self.name}”（{self.id}）中没有指标“{figure_id}”") from None

    def value(self, figure_id: str) -> Any:  # Any: each figure's own type (int, float, bool, str), as its caller reads it
        """The figure's value, or None when the profile switched the rule off."""
        fig = self.figure(figure_id)
        return fig.value if fig.enabled else None

    def clause(self, figure_id: str) -> str:
        """The citation a clerk can look up on paper."""
        return self.figure(figure_id).clause

    def quota(self, quota_id: str) -> QuotaRule:
        """The quota rule with this id.

        Raises:
            PolicyError: the profile has no such rule (the message names the id).
        """
        for rule in self.quotas:
            if rule.id == quota_id:
                return rule
        raise PolicyError(f"政策方案“{self.name}”（{self.id}）中没有帮扶指标“{quota_id}”")

    def exchange_reference_date(self, school_year: int) -> dt.date:
        """The day tenure is counted to when planning exchanges for ``school_year``."""
        return dt.date(school_year, *self.exchange_reference)

    def with_overrides(self, overrides: Mapping[str, Value]) -> Profile:
        """A copy with some figure values replaced (the clerk's adjustments in 设置).

        Raises:
            PolicyError: for an unknown figure or a value of the wrong type.
        """
        figures = dict(self.figures)
        for figure_id, value in overrides.items():
            if figure_id not in figures:
                raise PolicyError(f"方案中没有指标“{figure_id}”")
            current = figures[figure_id]
            figures[figure_id] = replace(current, value=_coerce(current, value))
        return replace(self, figures=figures)


def _coerce(figure: Figure, value: Value) -> Value:
    """Bring an override to the type of the figure it replaces."""
    kind = type(figure.value)
    if kind is bool:
        if not isinstance(value, bool):
            raise PolicyError(f"指标“{figure.label}”应为是/否")
        return value
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise PolicyError(f"指标“{figure.label}”的值“{value}”不是有效的{figure.unit}") from None


def available_profiles(directory: Path = PROFILE_DIR) -> dict[str, str]:
    """Profile id → display name for every profile file in ``directory``."""
    result = {}
    for path in sorted(directory.glob("*.toml")):
        data = _read(path)
        result[data["profile"]["id"]] = data["profile"]["name"]
    return result


def load_profile(name: str = DEFAULT_PROFILE, directory: Path = PROFILE_DIR) -> Profile:
    """Load a profile by id (file stem) or by path, following ``extends``.

    Raises:
        PolicyError: missing file, bad TOML, a loop of ``extends`` or a bad entry.
    """
    data = _merged(name, directory, seen=())
    return _build(data)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"找不到政策方案文件：{path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"政策方案文件格式错误：{path}：{exc}") from None


def _merged(name: str, directory: Path, seen: tuple[str, ...]) -> dict[str, Any]:
    path = Path(name) if name.endswith(".toml") else directory / f"{name}.toml"
    if str(path) in seen:
        raise PolicyError(f"政策方案继承关系成环：{' → '.join(seen)}")
    data = _read(path)
    parent_name = data.get("profile", {}).get("extends")
    if not parent_name:
        return data
    parent = _merged(parent_name, path.parent, seen + (str(path),))
    return _overlay(parent, data)


def _overlay(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """The child's profile/calendar/evaluation keys and per-figure fields win."""
    merged = copy.deepcopy(parent)
    for section in ("profile", "calendar", "evaluation"):
        merged.setdefault(section, {}).update(child.get(section, {}))
    for figure_id, fields in child.get("figures", {}).items():
        merged.setdefault("figures", {}).setdefault(figure_id, {}).update(fields)
    for form, fields in child.get("exchange_forms", {}).items():
        merged.setdefault("exchange_forms", {}).setdefault(form, {}).update(fields)
    quotas = {q["id"]: q for q in merged.get("quotas", [])}
    for quota in child.get("quotas", []):
        quotas[quota["id"]] = quota
    for quota_id, fields in child.get("quota_overrides", {}).items():
        if quota_id not in quotas:
            raise PolicyError(f"方案覆盖了不存在的帮扶指标“{quota_id}”")
        quotas[quota_id] = {**quotas[quota_id], **fields}
    merged["quotas"] = list(quotas.values())
    return merged


def _month_day(text: str, what: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in text.split("-"))
        dt.date(2000, month, day)
    except ValueError:
        raise PolicyError(f"政策方案中的{what}“{text}”应写作 月-日，如 09-01") from None
    return month, day


def _borrowed(clause: str, head: dict[str, Any]) -> str:
    """A county profile's clause that cites neither its own document nor a national one says
    it is borrowed (issue 11: a clerk must not take another city's paper for their own)."""
    own = head.get("document")
    if not own or own in clause or any(source in clause for source in head.get("national_sources", ())):
        return clause
    return f"{clause}（{own}未作规定，借用）"


def _build(data: dict[str, Any]) -> Profile:
    head = data["profile"]
    try:
        figures = {
            figure_id: Figure(
                id=figure_id,
                value=fields["value"],
                label=fields["label"],
                unit=fields.get("unit", ""),
                clause=_borrowed(fields["clause"], head),
                enabled=fields.get("enabled", True),
            )
            for figure_id, fields in data.get("figures", {}).items()
        }
        quotas = tuple(replace(rule, clause=_borrowed(rule.clause, head))
                       for rule in (_quota(q) for q in data.get("quotas", [])))
    except KeyError as exc:
        raise PolicyError(f"政策方案“{head.get('id')}”缺少字段 {exc}") from None
    calendar = data.get("calendar", {})
    return Profile(
        id=head["id"],
        name=head["name"],
        description=head.get("description", ""),
        figures=figures,
        quotas=quotas,
        calendar=CalendarDates(
            year_start=_month_day(calendar.get("year_start", "09-01"), "学年开始日"),
            semester2_start=_month_day(calendar.get("semester2_start", "02-01"), "第二学期开始日"),
        ),
        exchange_reference=_month_day(calendar.get("exchange_reference", "09-01"), "交流基准日"),
        calendar_clause=calendar.get("clause", ""),
        evaluation=data.get("evaluation", {}),
        exchange_forms=build_rules(data.get("exchange_forms", {})),
        documents={
            short: PolicyDocument(short, str(fields["title"]), str(fields.get("number", "")),
                                  str(fields.get("issuer", "")), str(fields.get("date", "")))
            for short, fields in data.get("documents", {}).items()
        },
    )


def _quota(fields: dict[str, Any]) -> QuotaRule:
    roles = fields["role"]
    return QuotaRule(
        id=fields["id"],
        roles=tuple(roles) if isinstance(roles, list) else (roles,),
        activity_types=tuple(fields["activity_types"]),
        measure=fields.get("measure", "count"),
        minimum=int(fields["minimum"]),
        period=fields.get("period", "semester"),
        scope=fields.get("scope", "person"),
        label=fields["label"],
        clause=fields["clause"],
        enabled=fields.get("enabled", True),
        hosts=_hosts(fields.get("hosts", "any"), fields["id"]),
    )


def _hosts(value: str, quota_id: str) -> str:
    if value not in ("any", "rural"):
        raise PolicyError(f"帮扶指标“{quota_id}”的 hosts 应为 any 或 rural，而不是“{value}”")
    return value
