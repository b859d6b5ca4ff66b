"""The agreement PDF: serif face embedded, every party with a signature-and-seal block,
clauses and the profile's targets on paper; ``edubridge report agreement`` records the print."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from db import agreements as ag
from db.models import Cluster, Membership, Region, School
from db.store import Store
from desktop.cli import main
from policy.profile import load_profile
from reports import documents
from reports.agreement import write_agreement

LONG_NAME = "青禾县洪广镇金山村九年一贯制学校附属幼儿园与教学点联合校区（东区）"


def _seed(store: Store) -> uuid.UUID:
    with store.write("seed") as s:
        region = Region(code="640122", name="青禾县", level="县区")
        s.add(region)
        s.flush()
        schools = [
            School(code="S001", name="青禾县第一小学", stage="小学", location="城区", region_id=region.id),
            School(code="S002", name=LONG_NAME, stage="九年一贯制", location="乡村", region_id=region.id),
            School(code="S003", name="A&B<柳湾>小学", stage="小学", location="乡村", region_id=region.id),
        ]
        s.add_all(schools)
        s.flush()
        cluster = Cluster(name="青禾县第一小学教共体", kind="协作型教共体", region_id=region.id,
                          lead_school_id=schools[0].id)
        s.add(cluster)
        s.flush()
        for school, role in zip(schools, ("支援校", "受援校", "受援校"), strict=True):
            s.add(Membership(cluster_id=cluster.id, school_id=school.id, role=role, joined=dt.date(2023, 9, 1)))
        return cluster.id


def test_agreement_pdf_has_parties_clauses_and_signature_blocks(store: Store, tmp_path: Path, pdf) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    out = tmp_path / "agreement.pdf"
    pages = write_agreement(ag.load_agreement(store, agreement_id), out)
    assert pages == pdf.pages(out) >= 2
    pdf.assert_all_embedded(out)
    assert any("NotoSerifSC" in name for name, _, _ in pdf.fonts(out))
    pdf.assert_inside_page(out)
    flat = pdf.flat(out)
    for expected in ("青禾县第一小学教共体建设协议书", "甲方：青禾县第一小学（支援校）", "乙方：A&B<柳湾>小学",
                     LONG_NAME, "愿景协同", "项目评估", "2025年9月1日至2028年8月31日",
                     "不少于符合交流条件教师的10%", "备案单位：青禾县教育局"):
        assert expected in flat, expected
    last = pdf.page_texts(out)[-1]
    assert last.count("法定代表人或授权代表（签字）") == 3 and last.count("盖章处") == 4  # + the bureau's
    for label in ("甲方", "乙方", "丙方"):
        assert f"{label}（" in last


def _counts(store: Store) -> tuple[int, int]:
    from sqlalchemy import func, select

    from db.models import Agreement, AuditEntry

    with store.read() as s:
        return s.scalar(select(func.count()).select_from(Agreement)), s.scalar(select(func.count()).select_from(AuditEntry))


def test_cli_without_agreement_lays_out_a_draft_and_stores_nothing(store: Store, db_path: Path, tmp_path: Path,
                                                                    pdf, capsys) -> None:
    cluster_id = _seed(store)
    before = _counts(store)
    out = tmp_path / "协议.pdf"
    assert main(["--db", str(db_path), "report", "agreement", "--cluster", "青禾县第一小学教共体",
                 "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == documents.DRAFT_WARNING
    assert "未保存" in captured.out
    assert _counts(store) == before and ag.latest_for_cluster(store, cluster_id) is None
    flat = pdf.flat(out)
    assert "模板草稿，未保存" in flat and "甲方：青禾县第一小学（支援校）" in flat


def test_cli_prints_and_records_the_version_of_an_existing_agreement(store: Store, db_path: Path, tmp_path: Path,
                                                                     pdf, capsys) -> None:
    cluster_id = _seed(store)
    agreement_id = ag.create_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    out = tmp_path / "协议.pdf"
    assert main(["--db", str(db_path), "report", "agreement", "--cluster", "青禾县第一小学教共体",
                 "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "第 1 版" in captured.out and captured.err == ""
    doc = ag.load_agreement(store, agreement_id)
    assert (doc.version, doc.printed_version) == (1, 1)
    snapshot = ag.printed_snapshot(store, agreement_id)
    assert snapshot is not None and snapshot["parties"][0]["school"] == "青禾县第一小学"
    assert "第1版" in pdf.flat(out)
    # A second print reuses the same agreement.
    assert main(["--db", str(db_path), "report", "agreement", "--cluster", "青禾县第一小学教共体",
                 "-o", str(out)]) == 0
    assert len(ag.list_agreements(store, cluster_id)) == 1


def test_new_flag_stores_a_new_agreement_on_request(store: Store, db_path: Path, tmp_path: Path, capsys) -> None:
    cluster_id = _seed(store)
    assert main(["--db", str(db_path), "report", "agreement", "--cluster", "青禾县第一小学教共体", "--new",
                 "-o", str(tmp_path / "n.pdf")]) == 0
    assert "按模板新建协议" in capsys.readouterr().out
    agreement_id = ag.latest_for_cluster(store, cluster_id)
    assert agreement_id is not None and ag.load_agreement(store, agreement_id).printed_version == 1


def test_every_party_signs_and_the_copies_add_up(store: Store, tmp_path: Path, pdf) -> None:
    """Twelve schools: every one is a party with its own label and block; copies = parties + 1."""
    cluster_id = _seed(store)
    with store.write("more members") as s:
        cluster = s.get(Cluster, cluster_id)
        assert cluster is not None
        for n in range(9):
            school = School(code=f"M{n:02d}", name=f"柳湾第{n + 1}小学", stage="小学", location="乡村",
                            region_id=cluster.region_id)
            s.add(school)
            s.flush()
            s.add(Membership(cluster_id=cluster_id, school_id=school.id, role="受援校",
                             joined=dt.date(2026, 3, 1)))  # joined after the term began
    doc = ag.draft_agreement(store, cluster_id, load_profile(), term_start=dt.date(2025, 9, 1))
    assert len(doc.parties) == 12
    assert [p.label for p in doc.parties][-3:] == ["癸方", "第十一方", "第十二方"]
    out = tmp_path / "twelve.pdf"
    write_agreement(doc, out)
    flat = pdf.flat(out)
    for party in doc.parties:
        assert f"{party.label}（{party.role}）：{party.school_name}（盖章）".replace(" ", "") in esc_free(flat)
    # Twelve parties and the bureau's filing block.
    assert flat.count("法定代表人或授权代表（签字）") == 12 and flat.count("盖章处") == 13
    assert "本协议一式十三份，协议十二方各执一份，报青禾县教育局备案一份" in flat


def esc_free(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def test_cli_unknown_cluster_is_one_line_exit_2(store: Store, db_path: Path, tmp_path: Path, capsys) -> None:
    _seed(store)
    out = tmp_path / "x.pdf"
    assert main(["--db", str(db_path), "report", "agreement", "--cluster", "没有这个教共体", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "没有这个教共体" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["--db", str(db_path), "report", "agreement", "--cluster", "青禾县第一小学教共体",
                 "-o", str(tmp_path / "no" / "x.pdf")]) == 2
    assert "输出文件夹不存在" in capsys.readouterr().err
