"""交流计划方案比较: the year's plan scenarios side by side (issue 18), in the teachers page.

Plan a scenario (name, settings as ``指标=值`` separated by ``；``) in the background with
progress and cancel, see every scenario's figures in one table, pick two to list the
teachers whose outcome differs, print the comparison, approve one (the others freeze).
No rule lives here: ``db.scenarios`` and ``policy.scenarios`` decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.scenarios import (
    approve_scenario,
    comparison,
    delete_scenario,
    find,
    rerun_scenarios,
    run_scenario,
    save_scenario,
)
from desktop import messages
from desktop.context import AppContext
from desktop.models.record_table import Col, RecordTableModel, TableModel
from desktop.widgets import SchoolYearSpinBox, fit_columns, setup_table
from desktop.worker import run_in_background
from policy.calendar import school_year_label
from policy.idcard import masked
from policy.progress import Progress
from policy.scenarios import apply_pins, apply_settings, parse_setting

SETTINGS_HINT = "设置（可空）：指标=值，多项用；分隔，如 exchange.min_share=0.15；exchange.max_distance_km=40"


class FiguresModel(TableModel):
    """Rows: the comparison's figures; columns: the scenarios (name and status in the header)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.scenario_headers: list[str] = []

    def set_comparison(self, data: dict[str, Any]) -> None:
        self.scenario_headers = [f"{s['name']}（{s['status_label']}）" for s in data.get("scenarios", [])]
        self.set_rows(data.get("figures", []))

    def headers(self) -> Sequence[str]:
        return ("指标", *self.scenario_headers)

    def native(self, record: Any, column: int) -> Any:
        if column == 0:
            return record["label"] + ("" if record["unit"] == "%" else f"（{record['unit']}）")
        return record["texts"][column - 1]

    def extra(self, record: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class DifferenceModel(RecordTableModel):
    """Teachers whose outcome differs between the two chosen scenarios."""

    COLUMNS = (
        Col("姓名", lambda r: r["name"]),
        Col("身份证号", lambda r: masked(r["id_number"])),
        Col("原学校", lambda r: r["school"]),
        Col("方案甲", lambda r: r["a"]),
        Col("方案乙", lambda r: r["b"]),
    )


def parse_settings(text: str) -> dict[str, Any]:
    """``a=1；b=2`` (；, ; or new lines between) → {a: 1, b: 2}; PolicyError on a bad item."""
    settings: dict[str, Any] = {}
    for item in re.split(r"[；;\n]+", text):
        if item.strip():
            key, value = parse_setting(item)
            settings[key] = value
    return settings


class ScenariosPanel(QWidget):
    """The plan tab's 方案比较 view."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.job: Any = None
        self.data: dict[str, Any] = {}
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.year = SchoolYearSpinBox(self, offset=1)
        self.year.valueChanged.connect(self.refresh)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("方案名称，如 只交流10%")
        self.settings = QLineEdit(self)
        self.settings.setPlaceholderText(SETTINGS_HINT)
        self.settings.setToolTip(SETTINGS_HINT + "。off 表示关闭该规则；同名方案再次计算时替换原设置。")
        self.pins = QLineEdit(self)
        self.pins.setPlaceholderText("指定（可空）：身份证号=学校代码；身份证号=stay 留任；身份证号= 取消")
        self.pins.setToolTip("与同名方案已保存的指定合并")
        self.run_button = QPushButton("计算并保存方案", self)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("取消", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(160)
        top.addWidget(QLabel("学年", self))
        top.addWidget(self.year)
        top.addWidget(self.name, 1)
        top.addWidget(self.settings, 3)
        top.addWidget(self.pins, 2)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress)
        layout.addLayout(top)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.figures_model = FiguresModel(self)
        self.figures = setup_table(QTableView(split))
        self.figures.setModel(self.figures_model)
        lower = QWidget(split)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        self.a = QComboBox(lower)
        self.b = QComboBox(lower)
        for combo in (self.a, self.b):
            combo.setMinimumWidth(160)
            combo.currentIndexChanged.connect(self.show_differences)
        self.approve_button = QPushButton("按方案甲批准", lower)
        self.approve_button.clicked.connect(self.approve)
        self.delete_button = QPushButton("删除方案甲", lower)
        self.delete_button.clicked.connect(self.delete)
        self.print_button = QPushButton("打印比较表…", lower)
        self.print_button.clicked.connect(self.print_pdf)
        self.rerun_button = QPushButton("全部重新计算", lower)
        self.rerun_button.setToolTip("按各方案保存的设置与指定重新计算并保存（教师名册、学科需求变动后）；"
                                     "已冻结、已批准的方案不变")
        self.rerun_button.clicked.connect(self.rerun)
        pick.addWidget(QLabel("方案甲", lower))
        pick.addWidget(self.a)
        pick.addWidget(QLabel("方案乙", lower))
        pick.addWidget(self.b)
        self.diff_label = QLabel(lower)
        pick.addWidget(self.diff_label, 1)
        for button in (self.approve_button, self.delete_button, self.rerun_button, self.print_button):
            pick.addWidget(button)
        lower_layout.addLayout(pick)
        self.diff_model = DifferenceModel(self)
        self.diff_table = setup_table(QTableView(lower))
        self.diff_table.setModel(self.diff_model)
        lower_layout.addWidget(self.diff_table)
        split.addWidget(self.figures)
        split.addWidget(lower)
        split.setSizes([300, 300])
        layout.addWidget(split, 1)
        self.refresh()

    # ---- reading -----------------------------------------------------------------------

    def refresh(self, *_args: Any) -> None:
        """Re-read the year's scenarios and their comparison."""
        self.data = comparison(self.context.store, self.year.value(), profile=self.context.profile)
        self.figures_model.set_comparison(self.data)
        fit_columns(self.figures)
        names = [s["name"] for s in self.data["scenarios"]]
        for combo, pick in ((self.a, 0), (self.b, 1)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(names.index(current) if current in names else min(pick, len(names) - 1))
            combo.blockSignals(False)
        label = school_year_label(self.year.value())
        if not names:
            self.status.setText(f"{label}还没有方案。填写名称和设置后点击“计算并保存方案”；"
                                "命令行：edubridge plan --year 年份 --scenario 名称 --set 指标=值 --save")
        else:
            lines = [f"{s['name']}（{s['status_label']}）：{'；'.join(s['settings_text']) or '按政策方案原值'}"
                     + (f"；指定 {len(s['pins'])} 人" if s["pins"] else "") for s in self.data["scenarios"]]
            self.status.setText(f"{label}共 {len(names)} 个方案：\n" + "\n".join(lines))
        drafts = any(s["status"] == "draft" for s in self.data["scenarios"])
        self.approve_button.setEnabled(drafts and self.job is None)
        self.delete_button.setEnabled(drafts and self.job is None)
        self.rerun_button.setEnabled(drafts and self.job is None)
        self.print_button.setEnabled(bool(names))
        self.show_differences()

    def show_differences(self, *_args: Any) -> None:
        a, b = self.a.currentText(), self.b.currentText()
        pair = next((p for p in self.data.get("differences", []) if {p["a"], p["b"]} == {a, b} and a != b), None)
        if pair is None:
            self.diff_model.set_rows([])
            self.diff_label.setText("选择两个不同的方案，查看结果不同的教师" if a else "")
            return
        flipped = pair["a"] != a
        rows = [{**t, "a": t["b"], "b": t["a"]} if flipped else t for t in pair["teachers"]]
        self.diff_model.set_rows(rows)
        self.diff_label.setText(f"结果不同的教师：{pair['count']} 人")
        fit_columns(self.diff_table)

    # ---- work --------------------------------------------------------------------------

    def run(self) -> None:
        """Plan the named scenario in the background and save it."""
        if self.job is not None:
            return
        name = self.name.text().strip()
        if not name:
            messages.info(self, "计算方案", "请先填写方案名称。")
            return
        store, profile, year = self.context.store, self.context.profile, self.year.value()
        try:
            settings = parse_settings(self.settings.text())
            apply_settings(profile, settings)
            saved = dict(find(store, year, name).pins) if name in [s["name"] for s in self.data["scenarios"]] else {}
            pins = apply_pins([t for t in re.split(r"[；;\n]+", self.pins.text()) if t.strip()], saved)
        except Exception as exc:  # noqa: BLE001 — PolicyError / ScenarioError: a clear sentence
            messages.error(self, "方案设置有误", str(exc))
            return

        def work(progress: Progress) -> str:
            _plan, result = run_scenario(store, profile, year, settings, pins, progress=progress)
            progress("保存方案", 0.97)
            save_scenario(store, profile, year, name, settings, pins, result)
            return name

        self._started()
        job = run_in_background(work)
        job.progress.connect(lambda _text, fraction: self.progress.setValue(int(fraction * 100)))
        job.finished.connect(self._saved)
        job.failed.connect(lambda text: self._ended("计算方案失败", text))
        job.cancelled.connect(lambda: self._ended("", "已取消计算。"))
        self.job = job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _started(self) -> None:
        self.progress.setValue(0)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.approve_button.setEnabled(False)
        self.delete_button.setEnabled(False)
        self.rerun_button.setEnabled(False)

    def _ended(self, title: str, text: str) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(0)
        self.refresh()
        if title:
            messages.error(self, title, text)
        else:
            self.diff_label.setText(text)

    def _saved(self, name: str) -> None:
        self.job = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(100)
        self.refresh()
        position = self.a.findText(name)
        if position >= 0:
            self.a.setCurrentIndex(position)

    def approve(self) -> None:
        name, year = self.a.currentText(), self.year.value()
        if not name or self.job is not None:
            return
        if not messages.ask(self, "按方案批准", f"按方案“{name}”批准{school_year_label(year)}交流计划？"
                            "批准后计划冻结并按日期执行，其余方案冻结保留备查。"):
            return
        store, profile = self.context.store, self.context.profile

        def work(progress: Progress) -> int:
            return approve_scenario(store, profile, year, name, progress)

        self._started()
        job = run_in_background(work)
        job.finished.connect(lambda count: self._approved(name, count))
        job.failed.connect(lambda text: self._ended("批准失败", text))
        job.cancelled.connect(lambda: self._ended("", "已取消批准。"))
        self.job = job

    def rerun(self) -> None:
        """Plan every draft scenario of the year again, the roster read once."""
        if self.job is not None or not self.data.get("scenarios"):
            return
        store, profile, year, shown = self.context.store, self.context.profile, self.year.value(), self.a.currentText()

        def work(progress: Progress) -> list[str]:
            return rerun_scenarios(store, profile, year, progress=progress)

        def done(names: list[str]) -> None:
            self._saved(shown)
            self.diff_label.setText(f"已重新计算 {len(names)} 个方案：{'、'.join(names) or '无方案草案'}")

        self._started()
        job = run_in_background(work)
        job.progress.connect(lambda _text, fraction: self.progress.setValue(int(fraction * 100)))
        job.finished.connect(done)
        job.failed.connect(lambda text: self._ended("重新计算失败", text))
        job.cancelled.connect(lambda: self._ended("", "已取消重新计算（已算完的方案已保存）。"))
        self.job = job

    def _approved(self, name: str, count: int) -> None:
        self._saved(name)
        messages.info(self, "已批准", f"已按方案“{name}”批准交流计划（{count} 人），其余方案已冻结。")

    def delete(self) -> None:
        name = self.a.currentText()
        if not name or not messages.ask(self, "删除方案", f"删除方案“{name}”？"):
            return
        try:
            delete_scenario(self.context.store, self.year.value(), name)
        except Exception as exc:  # noqa: BLE001 — ScenarioError: a clear sentence
            messages.error(self, "删除方案", str(exc))
        self.refresh()

    def print_pdf(self) -> None:
        if not self.data.get("scenarios"):
            return
        label = school_year_label(self.year.value())
        path = messages.save_file(self, "打印方案比较表", "PDF 文件 (*.pdf)", f"{label}交流计划方案比较.pdf")
        if path is None:
            return
        from db.scenarios import flows_map
        from reports.scenario_comparison import reference, write_comparison

        try:
            county_map = flows_map(self.context.store, self.year.value(), str(reference(self.data)))
            write_comparison(self.data, path, county_map=county_map)
        except OSError as exc:
            messages.error(self, "打印方案比较表", f"无法写入 {path}：{exc}")
            return
        messages.exported(self, "打印方案比较表", f"已输出方案比较表：{path}", path)
