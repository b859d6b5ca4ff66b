"""Agreements: made from the template for a cluster, edited as audited versions, printed,
signed and scanned (db.agreements)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from db import agreements as ag
from db.models import AuditEntry, Cluster, Membership, Region, School
from db.store import Store
from policy.profile import load_profile

LONG_NAME = "青禾县洪广镇金山村九年一贯制学校与教学点联合校区（东区）"


def _seed(store: Store, kind: str = "共建型教共体") -> uuid.UUID:
    with store.write("seed") as s:
        region = Region(code="640122", name="青禾县", level="县区")
        s.add(region)
        s.flush()
        lead = School(code="S001", name="青禾县第一小学", stage="小学", location="城区", region_id=region.id,
                      students=1800, classes=40)
        member = School(code="S002", name=LONG_NAME, stage="九年一贯制", location="乡村", region_id=region.id,
                        students=300, classes=9)
        other = School(code="S003", name="柳湾小学", stage="小学", location="乡村", region_id=region.id,
                       students=120, classes=6)
        gone = School(code="S004", name="已离开小学", stage="小学", location="乡村", region_id=region.id)
        s.add_all([lead, member, other, gone])
        s.flush()
        cluster = Cluster(name="青禾县第一小学教共体", kind=kind, region_id=region.id, lead_school_id=lead.id,
                          founded=dt.date(2023, 9, 1))
        s.add(cluster)
        s.flush()
        for school, role in ((lead, "支援校"), (member, "受援校"), (other, "受援校")):
            s.add(Membership(cluster_id=cluster.id, school_id=school.id, role=role, joined=dt.date(2023, 9, 1)))
        s.add(Membership(cluster_id=cluster.id, school_id=gone.id, role="受援校", joined=dt.date(2023, 9, 1),
                         left_on=dt.date(2024, 9, 1)))
        return cluster.id


def test_create_fills_parties_duties_and_profile_figures(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    doc = ag.load_agreement(store, agreement_id)
    assert [(p.label, p.school_name) for p in doc.parties] == [
        ("甲方", "青禾县第一小学"), ("乙方", "柳湾小学"), ("丙方", LONG_NAME)]
    assert doc.term_end == dt.date(2028, 8, 31)
    assert doc.version == 1 and doc.printed_version is None
    text = "\n".join(f"{s.heading}{s.text}" for s in doc.sections)
    assert "考核捆绑" in text and "师资同盘" not in text  # 共建型 duties, not 融合型
    assert "不少于符合交流条件教师的10%" in text and "骨干教师不少于交流人数的20%" in text
    # Targets bind only those who sign: no 市级教研员 minimum, the community's own quota with its clause.
    assert "市级教研员" not in text and "每学期不少于1次（余教〔2020〕155号 六(二)）" in text
    assert "已离开小学" not in text + doc.preamble
    assert doc.bureau == "青禾县教育局"


def test_figures_follow_the_profile(store: Store) -> None:
    cluster_id = _seed(store, kind="融合型教共体")
    profile = load_profile().with_overrides({"exchange.min_share": 0.15})
    doc = ag.load_agreement(store, ag.create_agreement(store, cluster_id, profile))
    text = "".join(s.heading + s.text for s in doc.sections)
    assert "教师的15%" in text and "师资同盘" in text


def test_edit_bumps_version_and_is_audited(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile())
    doc = ag.load_agreement(store, agreement_id)
    sections = list(doc.sections)
    sections[0] = ag.Section(sections[0].heading, "经协商，双方同意增加同步课堂每周两节。")
    assert ag.edit_clauses(store, agreement_id, sections) == 2
    assert ag.edit_clauses(store, agreement_id, sections) == 2  # nothing changed: no new version
    assert ag.load_agreement(store, agreement_id).sections[0].text == "经协商，双方同意增加同步课堂每周两节。"
    with store.read() as s:
        updates = s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "agreement", AuditEntry.action == "update",
            AuditEntry.entity_id == str(agreement_id))).all()
    assert len(updates) == 1
    assert updates[0].before["version"] == 1 and updates[0].after["version"] == 2
    assert "同步课堂每周两节" in str(updates[0].after["clauses"])
    with pytest.raises(ag.AgreementError, match="第1条条款为空"):
        ag.edit_clauses(store, agreement_id, [ag.Section(" ", "")])


def test_printing_keeps_what_went_to_paper_and_signing_needs_it(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile())
    with pytest.raises(ag.AgreementError, match="尚未打印"):
        ag.record_signed(store, agreement_id, dt.date(2025, 9, 10))
    assert ag.record_printing(store, agreement_id) == 1
    printed = ag.load_agreement(store, agreement_id)
    ag.edit_clauses(store, agreement_id, [ag.Section("第一条", "改过的文字")])
    snapshot = ag.printed_snapshot(store, agreement_id)
    assert snapshot is not None and snapshot["version"] == 1
    assert snapshot["sections"][0]["text"] == printed.sections[0].text != "改过的文字"
    doc = ag.load_agreement(store, agreement_id)
    assert (doc.version, doc.printed_version, doc.printed_is_current) == (2, 1, False)
    ag.record_signed(store, agreement_id, dt.date(2025, 9, 10))
    assert ag.load_agreement(store, agreement_id).signed_on == dt.date(2025, 9, 10)


def test_scan_is_kept_in_the_database(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile())
    scan_id = ag.attach_scan(store, agreement_id, "签字版.pdf", b"%PDF-1.4 scanned")
    doc = ag.load_agreement(store, agreement_id)
    assert [(s.filename, s.mime_type, s.size) for s in doc.scans] == [("签字版.pdf", "application/pdf", 16)]
    assert ag.scan_bytes(store, scan_id) == ("签字版.pdf", b"%PDF-1.4 scanned")
    assert ag.list_agreements(store)[0].scans == 1
    with pytest.raises(ag.AgreementError, match="空文件"):
        ag.attach_scan(store, agreement_id, "空.png", b"")


def test_cluster_without_members_cannot_have_an_agreement(store: Store) -> None:
    with store.write("seed") as s:
        region = Region(code="640122", name="青禾县", level="县区")
        s.add(region)
        s.flush()
        cluster = Cluster(name="空集团", kind="学区", region_id=region.id)
        s.add(cluster)
        s.flush()
        cluster_id = cluster.id
    with pytest.raises(ag.AgreementError, match="至少需要两方"):
        ag.create_agreement(store, cluster_id, load_profile())
    with pytest.raises(ag.AgreementError, match="没有名为“不存在”"):
        ag.find_cluster(store, "不存在")


def test_clauses_and_term_change_as_one_version_and_clause_dates_follow(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    doc = ag.load_agreement(store, agreement_id)
    assert any("自2025年9月1日起至2028年8月31日止" in s.text for s in doc.sections)
    version = ag.edit_clauses(store, agreement_id, list(doc.sections),
                              term=(dt.date(2026, 3, 1), dt.date(2029, 2, 28)))
    doc = ag.load_agreement(store, agreement_id)
    assert version == doc.version == 2
    assert (doc.term_start, doc.term_end) == (dt.date(2026, 3, 1), dt.date(2029, 2, 28))
    text = "".join(s.text for s in doc.sections)
    assert "自2026年3月1日起至2029年2月28日止" in text and "2025年9月1日" not in text
    assert ag.set_term(store, agreement_id, dt.date(2026, 3, 1), dt.date(2029, 2, 28)) == 2  # same term
    with pytest.raises(ag.AgreementError, match="结束日期早于开始日期"):
        ag.edit_clauses(store, agreement_id, list(doc.sections), term=(dt.date(2026, 3, 1), dt.date(2025, 1, 1)))


def test_printing_refuses_a_version_other_than_the_one_laid_out(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile())
    ag.edit_clauses(store, agreement_id, [ag.Section("第一条", "新文字")])  # now version 2
    with pytest.raises(ag.AgreementError, match="已改为第2版，打印的是第1版"):
        ag.record_printing(store, agreement_id, expected_version=1)
    assert ag.load_agreement(store, agreement_id).printed_version is None
    assert ag.record_printing(store, agreement_id, expected_version=2) == 2


def test_cluster_list_shows_status_of_the_latest_agreement(store: Store) -> None:
    cluster_id = _seed(store)
    [line] = ag.cluster_agreements(store)
    assert (line.cluster_name, line.lead_name, line.status) == ("青禾县第一小学教共体", "青禾县第一小学", "无协议")
    agreement_id = ag.create_agreement(store, cluster_id, load_profile())
    assert ag.cluster_agreements(store)[0].status == "草稿 v1"
    ag.record_printing(store, agreement_id)
    assert ag.cluster_agreements(store)[0].status == "已打印 v1"
    ag.edit_clauses(store, agreement_id, [ag.Section("第一条", "新文字")])
    assert ag.cluster_agreements(store)[0].status == "草稿 v2（已打印 v1）"
    ag.record_signed(store, agreement_id, dt.date(2025, 9, 10))
    assert ag.cluster_agreements(store)[0].status == "已签订 2025-09-10"


# ---- parties, copies, area, expiry, drafts (new-user trial, issue 6) --------------------


def _add_member(store: Store, cluster_id: uuid.UUID, code: str, name: str, joined: dt.date,
                left_on: dt.date | None = None) -> uuid.UUID:
    with store.write("member") as s:
        cluster = s.get(Cluster, cluster_id)
        assert cluster is not None
        school = School(code=code, name=name, stage="小学", location="乡村", region_id=cluster.region_id)
        s.add(school)
        s.flush()
        s.add(Membership(cluster_id=cluster_id, school_id=school.id, role="受援校", joined=joined, left_on=left_on))
        return school.id


def test_parties_are_every_member_of_the_term_and_the_text_names_the_same_list(store: Store) -> None:
    """A school that joined after the term began signs; one that left and rejoined signs once;
    one that left before the agreement was drawn up does not."""
    cluster_id = _seed(store)
    _add_member(store, cluster_id, "S005", "后加入小学", dt.date(2026, 3, 1))
    twice = _add_member(store, cluster_id, "S006", "重新加入小学", dt.date(2023, 9, 1), dt.date(2024, 2, 1))
    with store.write("rejoin") as s:
        s.add(Membership(cluster_id=cluster_id, school_id=twice, role="受援校", joined=dt.date(2024, 9, 1)))
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    doc = ag.load_agreement(store, agreement_id)
    names = [p.school_name for p in doc.parties]
    assert names == ["青禾县第一小学", "后加入小学", "柳湾小学", "重新加入小学", LONG_NAME]
    assert [p.label for p in doc.parties] == ["甲方", "乙方", "丙方", "丁方", "戊方"]
    text = doc.preamble + "".join(s.text for s in doc.sections)
    assert "已离开小学" not in text
    assert "成员（受援）学校：" + "、".join(names[1:]) + "。" in text
    assert "、".join(f"{p.label}{p.school_name}" for p in doc.parties) in doc.preamble
    assert "本协议一式六份，协议五方各执一份，报青禾县教育局备案一份" in text


def test_term_parties_rule() -> None:
    Row = __import__("collections").namedtuple("Row", "school_id role joined left_on")
    lead, a, b, c, d = (uuid.uuid4() for _ in range(5))
    rows = [Row(lead, "牵头校", dt.date(2020, 9, 1), None),
            Row(a, "成员校", dt.date(2020, 9, 1), dt.date(2024, 1, 1)),   # left before the term
            Row(b, "成员校", dt.date(2027, 9, 1), None),                  # joins within the term
            Row(c, "成员校", dt.date(2030, 9, 1), None),                  # joins after the term
            Row(d, "成员校", dt.date(2020, 9, 1), dt.date(2025, 10, 1))]  # leaves before drawn up
    got = ag.term_parties(rows, None, dt.date(2025, 9, 1), dt.date(2028, 8, 31), dt.date(2025, 11, 1))
    assert got == [(lead, "牵头校"), (b, "成员校")]
    # Drawn up before the term starts: a member leaving during the term still signs.
    got = ag.term_parties(rows, lead, dt.date(2025, 9, 1), dt.date(2028, 8, 31), dt.date(2025, 6, 1))
    assert [sid for sid, _ in got] == [lead, b, d]


@pytest.mark.parametrize("area", ["东片区", "东", " 东片区 "])
def test_area_is_named_once_whether_or_not_it_ends_in_pianqu(store: Store, area: str) -> None:
    cluster_id = _seed(store, kind="学区")
    with store.write("area") as s:
        cluster = s.get(Cluster, cluster_id)
        assert cluster is not None
        cluster.area = area
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    text = "".join(s.text for s in doc.sections)
    assert "属东片区，" in text and "片区片区" not in text


def test_area_phrase() -> None:
    assert ag.area_phrase("西片区") == ag.area_phrase("西") == "，属西片区"
    assert ag.area_phrase(None) == ag.area_phrase("") == ""


def test_draft_is_laid_out_without_writing(store: Store) -> None:
    cluster_id = _seed(store)
    with store.read() as s:
        audit = s.scalar(select(func.count()).select_from(AuditEntry))
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    assert doc.draft and doc.id == uuid.UUID(int=0) and doc.version == 1
    assert [p.label for p in doc.parties] == ["甲方", "乙方", "丙方"]
    assert ag.latest_for_cluster(store, cluster_id) is None
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit
    # What create stores is the same text.
    stored = ag.load_agreement(store, ag.create_agreement(store, cluster_id, load_profile(),
                                                          term_start=dt.date(2025, 9, 1)))
    assert (stored.preamble, stored.sections, [p.school_name for p in stored.parties]) == (
        doc.preamble, doc.sections, [p.school_name for p in doc.parties])
    assert not stored.draft


def test_party_labels_never_run_out() -> None:
    labels = ag.party_labels(23)
    assert labels[:3] == ("甲方", "乙方", "丙方") and labels[9] == "癸方"
    assert labels[10:13] == ("第十一方", "第十二方", "第十三方") and labels[19] == "第二十方" and labels[22] == "第二十三方"
    shuffled = [labels[i] for i in (22, 3, 10, 0, 19, 9, 12)]
    assert sorted(shuffled, key=ag.label_order) == [labels[i] for i in (0, 3, 9, 10, 12, 19, 22)]


def test_an_agreement_whose_term_ended_is_expired_not_signed(store: Store) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=dt.date(2023, 9, 1))
    ag.record_printing(store, agreement_id)
    ag.record_signed(store, agreement_id, dt.date(2023, 8, 20))
    during = ag.cluster_agreements(store, on=dt.date(2026, 8, 31))[0]
    assert during.status == "已签订 2023-08-20" and not during.expired
    after = ag.cluster_agreements(store, on=dt.date(2026, 9, 1))[0]
    assert after.expired and after.status == "已到期 2026-08-31"
