"""Policy profiles: every figure cited, county profiles inherit, overrides are checked."""

import datetime as dt

import pytest

from policy.errors import PolicyError
from policy.profile import available_profiles, load_profile

POLICY_FIGURES = {
    "cluster.max_schools": 6,
    "cluster.max_students": 12000,
    "exchange.eligible_years": 9,
    "exchange.max_years": 12,
    "exchange.min_share": 0.10,
    "exchange.backbone_share": 0.20,
    "principal.term_years": 3,
    "principal.max_terms": 2,
    "school.max_students.primary": 2000,
    "school.max_students.through": 2500,
    "class.max_size.primary": 45,
    "class.max_size.junior": 50,
    "land.per_student.primary": 24.29,
    "land.per_student.junior": 26.31,
    "training.hours_5y": 360,
    "training.rural_hours": 180,
    "funding.floor_students": 500,
}


@pytest.mark.parametrize(("figure_id", "value"), POLICY_FIGURES.items())
def test_default_profile_carries_policy_figures(figure_id, value):
    profile = load_profile()
    assert profile.value(figure_id) == value
    assert profile.clause(figure_id).strip()


def test_every_figure_and_quota_has_a_clause():
    for profile_id in available_profiles():
        profile = load_profile(profile_id)
        assert all(f.clause for f in profile.figures.values()), profile_id
        assert all(q.clause for q in profile.quotas), profile_id


def test_default_quotas_match_policy_section_3():
    quotas = {q.id: q for q in load_profile().quotas}
    assert quotas["visit.city_researcher_lessons"].measure == "lessons"
    assert quotas["visit.city_researcher_lessons"].minimum == 15
    assert quotas["visit.county_researcher_guidance"].minimum == 4
    assert quotas["visit.backbone_teaching"].roles == ("名师工作室主持人", "学科带头人", "骨干教师")
    assert quotas["visit.area_seminar"].period == "year"


def test_county_profiles_extend_the_default():
    profiles = available_profiles()
    assert {"default", "yinchuan", "taiping", "yuyao", "baoshan", "haimen"} <= set(profiles)
    taiping = load_profile("taiping")
    assert taiping.value("school.max_students.through") == 2000
    assert "太平区" in taiping.clause("school.max_students.through")
    assert taiping.value("cluster.max_schools") is None  # switched off: not in its document
    assert taiping.value("exchange.max_years") == 12  # inherited
    yinchuan = load_profile("yinchuan")
    assert not {q.id: q for q in yinchuan.quotas}["visit.area_seminar"].enabled


def test_reference_date_and_calendar():
    profile = load_profile()
    assert profile.exchange_reference_date(2026) == dt.date(2026, 9, 1)
    assert profile.calendar.semester2_start == (2, 1)


def test_overrides_keep_types_and_reject_unknowns():
    profile = load_profile().with_overrides({"exchange.min_share": "0.15", "cluster.max_schools": 8})
    assert profile.value("exchange.min_share") == 0.15
    assert profile.value("cluster.max_schools") == 8
    with pytest.raises(PolicyError, match="没有指标"):
        load_profile().with_overrides({"no.such": 1})
    with pytest.raises(PolicyError, match="不是有效"):
        load_profile().with_overrides({"cluster.max_schools": "六"})


def test_bad_profile_files_give_clear_errors(tmp_path):
    (tmp_path / "broken.toml").write_text("[profile\nid=", encoding="utf-8")
    with pytest.raises(PolicyError, match="格式错误"):
        load_profile("broken", tmp_path)
    (tmp_path / "a.toml").write_text('[profile]\nid="a"\nname="a"\nextends="b"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[profile]\nid="b"\nname="b"\nextends="a"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="成环"):
        load_profile("a", tmp_path)
    with pytest.raises(PolicyError, match="找不到"):
        load_profile("missing", tmp_path)
