"""Agreements an official can sign (issue 15): generated article numbers, duties per type,
one 法人 for a 融合型 community, 教学点 through their 中心校, targets only for signers,
full document titles, refusal of expired terms and unwaived over-limit clusters, and
Chinese line breaking on paper."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from db import agreements as ag
from db.models import Cluster, Membership, Region, School, Waiver
from db.store import Store
from policy import vocab
from policy.profile import load_profile
from reports.agreement import write_agreement

CN_NUMBERS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五",
              "十六", "十七", "十八", "十九", "二十"]


def _seed(store: Store, kind: str, members: int = 2, teaching_point: bool = False) -> uuid.UUID:
    with store.write("seed") as s:
        region = Region(code="640122", name="青禾县", level="县区")
        s.add(region)
        s.flush()
        lead = School(code="L001", name="青禾县第一小学", stage="小学", location="城区", region_id=region.id)
        s.add(lead)
        s.flush()
        schools = [School(code=f"M{n:03}", name=f"乡村第{n}小学", stage="小学", location="乡村", region_id=region.id)
                   for n in range(1, members + 1)]
        if teaching_point:
            schools.append(School(code="T001", name="石湾村教学点", stage=vocab.TEACHING_POINT, location="乡村",
                                  region_id=region.id, central_school_id=lead.id))
        s.add_all(schools)
        s.flush()
        cluster = Cluster(name="测试教共体", kind=kind, region_id=region.id, lead_school_id=lead.id,
                          founded=dt.date(2023, 9, 1))
        s.add(cluster)
        s.flush()
        s.add(Membership(cluster_id=cluster.id, school_id=lead.id, role="牵头校", joined=dt.date(2023, 9, 1)))
        for school in schools:
            s.add(Membership(cluster_id=cluster.id, school_id=school.id, role="成员校", joined=dt.date(2023, 9, 1)))
        return cluster.id


def _start() -> dt.date:
    return dt.date.today().replace(day=1)


@pytest.mark.parametrize("kind", vocab.CLUSTER_KINDS)
def test_articles_are_numbered_without_gaps_for_every_type(store: Store, kind: str) -> None:
    cluster_id = _seed(store, kind, members=3)
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=_start())
    numbers = [re.match(r"第(.+?)条", s.heading).group(1) for s in doc.sections]  # type: ignore[union-attr]
    assert numbers == CN_NUMBERS[:len(numbers)]
    headings = "".join(s.heading for s in doc.sections)
    for needed in ("职责", "目标任务", "协议的变更", "协议的终止", "争议解决", "附则"):
        assert needed in headings, (kind, needed)


def test_a_clause_inserted_by_the_clerk_is_renumbered_on_paper(store: Store, tmp_path: Path, pdf) -> None:
    cluster_id = _seed(store, "共建型教共体")
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=_start())
    doc = ag.load_agreement(store, agreement_id)
    sections = list(doc.sections)
    sections.insert(2, ag.Section("第X条　补充条款", "双方同意增加同步课堂。"))
    del sections[5]
    ag.edit_clauses(store, agreement_id, sections)
    out = tmp_path / "a.pdf"
    write_agreement(ag.load_agreement(store, agreement_id), out)
    found = re.findall(r"第([一二三四五六七八九十]+)条", pdf.flat(out))
    assert found == CN_NUMBERS[:len(sections)]
    assert "第三条　补充条款".replace("　", "") in pdf.flat(out)


def test_fusion_community_signs_once_for_every_campus(store: Store, tmp_path: Path, pdf) -> None:
    cluster_id = _seed(store, "融合型教共体", members=2)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=_start())
    doc = ag.load_agreement(store, agreement_id)
    assert [p.school_name for p in doc.parties] == ["青禾县第一小学"]
    assert doc.parties[0].represents == ("乡村第1小学", "乡村第2小学")
    text = "".join(s.text for s in doc.sections)
    assert "一式二份，甲方执一份" in text and "法人单位" in text
    out = tmp_path / "f.pdf"
    write_agreement(doc, out)
    last = pdf.page_texts(out)[-1]
    assert last.count("法定代表人或授权代表（签字）") == 1 and "代表校区：乡村第1小学、乡村第2小学" in last


def test_teaching_point_signs_through_its_central_school(store: Store) -> None:
    cluster_id = _seed(store, "学区", members=2, teaching_point=True)
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=_start())
    assert "石湾村教学点" not in [p.school_name for p in doc.parties]
    assert doc.parties[0].represents == ("石湾村教学点",)
    assert "教学点（石湾村教学点）不单独签署" in doc.sections[0].text
    assert "对石湾村教学点：" in "".join(s.text for s in doc.sections)  # still has its targets


def test_targets_bind_only_signers_and_name_each_member(store: Store) -> None:
    cluster_id = _seed(store, "共建型教共体", members=2)
    profile = load_profile().with_overrides({"agreement.sync_lessons": 6})
    doc = ag.draft_agreement(store, cluster_id, profile, term_start=_start())
    targets = next(s.text for s in doc.sections if "目标任务" in s.heading)
    assert "市级教研员" not in targets and "市属学校校级干部" not in targets
    assert "对乙方乡村第1小学：" in targets and "对丙方乡村第2小学：" in targets
    assert targets.count("同步课堂每学期不少于6节") == 2  # the profile's figure, per member


def test_preamble_cites_full_titles_and_numbers_of_the_quoted_papers(store: Store) -> None:
    cluster_id = _seed(store, "协作型教共体")
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=_start())
    assert "《关于深化城乡义务教育共同体建设的通知》（余教〔2020〕155号）" in doc.preamble
    assert "有关文件精神" not in doc.preamble
    assert "海门" not in doc.preamble  # no clause of this agreement quotes it
    projects = next(s.text for s in doc.sections if "合作项目" in s.heading)
    assert "（一）同步课堂" in projects


def test_unwaived_over_limit_is_refused_and_a_waiver_is_stated(store: Store) -> None:
    cluster_id = _seed(store, "学区", members=7)  # 8 schools, limit 6
    with pytest.raises(ag.AgreementError, match="超过上限6所"):
        ag.draft_agreement(store, cluster_id, load_profile(), term_start=_start())
    with store.write("waiver") as s:
        s.add(Waiver(rule="cluster.max_schools", subject_kind="cluster", subject_id=cluster_id, reason="拆分方案已报批",
                     approver="局长办公会", start=dt.date(2024, 1, 1)))
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=_start())
    assert "现有学校8所，超过上限，经局长办公会批准" in "".join(s.text for s in doc.sections)


def test_expired_stored_agreement_prints_a_warning_and_no_blank_signing_date(store: Store, tmp_path: Path,
                                                                              pdf) -> None:
    cluster_id = _seed(store, "共建型教共体")
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=_start())
    ag.set_term(store, agreement_id, dt.date(2020, 9, 1), dt.date(2023, 8, 31))
    out = tmp_path / "e.pdf"
    write_agreement(ag.load_agreement(store, agreement_id), out)
    flat = pdf.flat(out)
    assert "本协议期限已于2023年8月31日届满" in flat
    assert "签订日期" not in flat  # unsigned: each block carries its own date line


def test_no_printed_line_starts_with_closing_punctuation(store: Store, tmp_path: Path) -> None:
    cluster_id = _seed(store, "学区", members=4, teaching_point=True)
    out = tmp_path / "p.pdf"
    write_agreement(ag.draft_agreement(store, cluster_id, load_profile(), term_start=_start()), out)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert len(lines) > 60
    assert [line for line in lines if line[0] in "，。、；：！？）》”"] == []
    assert [line for line in lines if line[-1] in "（《“"] == []


def test_line_breaker_moves_closing_marks_off_the_line_start() -> None:
    from reports.fonts import line_breaks

    chars = list("甲乙丙丁；戊己")
    lines = line_breaks(chars, [10.0] * len(chars), [40.0])
    assert [("".join(chars[a:b])) for a, b, _u, _r in lines][0] == "甲乙丙"  # not "甲乙丙丁" + "；戊…"
    assert all(chars[a] != "；" for a, _b, _u, _r in lines)
