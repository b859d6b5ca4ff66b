"""设置: choose the active policy profile and adjust its figures.

The profile and the clerk's adjustments are stored with the data (``db.settings``), so
every machine using this data file applies the same rules. Editing a value in the table
stores it as an override of the chosen profile; the original value stays visible in the
tooltip and 恢复默认值 drops every override.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.settings import set_active_profile
from desktop import messages
from desktop.context import AppContext
from desktop.models.record_table import Index, TableModel
from desktop.pages.base import Page
from desktop.widgets import setup_table
from policy.errors import PolicyError
from policy.profile import Figure, Profile, available_profiles, load_profile

COL_LABEL, COL_VALUE, COL_UNIT, COL_CLAUSE = range(4)
HEADERS = ("指标", "取值", "单位", "依据条款")


#: Unit of figures that are shares: shown and typed as percentages, stored as fractions (0.1).
RATIO_UNIT = "比例"
#: Chinese labels of coded figure values (a figure whose unit is ``"a|b"`` is one of those codes).
CODE_LABELS = {"moved": "交流人数", "eligible": "符合条件人数"}


def choices_of(figure: Figure) -> tuple[str, ...]:
    """The codes a coded figure may take (its unit is ``"moved|eligible"``), else ()."""
    return tuple(figure.unit.split("|")) if "|" in figure.unit else ()


def is_ratio(figure: Figure) -> bool:
    return figure.unit == RATIO_UNIT and isinstance(figure.value, (int, float)) \
        and not isinstance(figure.value, bool)


def format_percent(value: float) -> str:
    """0.1 → ``10%``, 0.125 → ``12.5%``, 1.0 → ``100%``."""
    return f"{round(value * 100, 4):g}%"


def format_value(figure: Figure) -> str:
    if not figure.enabled:
        return "（本方案不适用）"
    value = figure.value
    if isinstance(value, bool):
        return "是" if value else "否"
    if is_ratio(figure):
        return format_percent(float(value))
    if choices_of(figure):
        return CODE_LABELS.get(str(value), str(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_unit(figure: Figure) -> str:
    """The 单位 column: coded figures list their choices in Chinese."""
    choices = choices_of(figure)
    if choices:
        return " / ".join(CODE_LABELS.get(code, code) for code in choices)
    return figure.unit


def parse_value(figure: Figure, text: str) -> Any:
    """What the clerk typed, as the value to store; ValueError with a Chinese sentence when invalid.

    Shares accept ``15%`` or ``0.15`` (a bare number above 1 is read as a percentage);
    coded figures accept the Chinese label or the code; 是/否 figures 是, 否, true, false, 1, 0.
    """
    text = text.strip()
    if isinstance(figure.value, bool):
        if text not in ("是", "否", "true", "false", "True", "False", "1", "0"):
            raise ValueError(f"指标“{figure.label}”只能填“是”或“否”。")
        return text in ("是", "true", "True", "1")
    if is_ratio(figure):
        number = text.rstrip("%％").strip()
        try:
            share = float(number)
        except ValueError:
            raise ValueError(f"指标“{figure.label}”应填百分比，如 15% 或 0.15：“{text}”不是数字。") from None
        if number != text or share > 1:
            share /= 100
        if not 0 <= share <= 1:
            raise ValueError(f"指标“{figure.label}”应在 0% 到 100% 之间：“{text}”。")
        return round(share, 6)
    choices = choices_of(figure)
    if choices:
        by_label = {CODE_LABELS.get(code, code): code for code in choices}
        if text in by_label:
            return by_label[text]
        if text in choices:
            return text
        raise ValueError(f"指标“{figure.label}”只能选：{'、'.join(by_label)}。")
    return text


def overrides_of(profile: Profile) -> dict[str, Any]:
    """The figures of ``profile`` whose value differs from its profile file."""
    base = load_profile(profile.id)
    return {
        fid: fig.value for fid, fig in profile.figures.items()
        if fid in base.figures and fig.value != base.figures[fid].value
    }


class ProfileFigureModel(TableModel):
    """The figures of a profile; the 取值 column is editable through ``on_edit``.

    ``on_edit(figure_id, value)`` is called with the typed text (or a bool for 是/否
    figures); it stores the override and returns True, or returns False after telling the
    clerk what is wrong. The model itself never writes anything.
    """

    HEADERS = HEADERS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._base: dict[str, Figure] = {}
        self.on_edit: Callable[[str, Any], bool] | None = None

    def set_profile(self, profile: Profile, base: Profile | None = None) -> None:
        self._base = dict((base or profile).figures)
        self.set_rows(list(profile.figures.values()))

    def figure_at(self, row: int) -> Figure:
        figure: Figure = self.row_at(row)
        return figure

    def is_overridden(self, figure: Figure) -> bool:
        base = self._base.get(figure.id)
        return base is not None and base.value != figure.value

    def native(self, fig: Figure, column: int) -> Any:
        return (fig.label, fig.value, fig.unit, fig.clause)[column]

    def display(self, fig: Figure, column: int) -> str:
        return (fig.label, format_value(fig), format_unit(fig), fig.clause)[column]

    def extra(self, fig: Figure, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.EditRole and column == COL_VALUE:
            return format_value(fig)
        if role == Qt.ItemDataRole.FontRole and column == COL_VALUE and self.is_overridden(fig):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_VALUE and self.is_overridden(fig):
                return f"已调整；方案原值：{format_value(self._base[fig.id])}"
            if column == COL_VALUE and is_ratio(fig):
                return "可填 15% 或 0.15"
            if column == COL_LABEL:
                return fig.id
            if column == COL_CLAUSE:
                return fig.clause
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == COL_VALUE and self.figure_at(index.row()).enabled:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != COL_VALUE or role != Qt.ItemDataRole.EditRole:
            return False
        fig = self.figure_at(index.row())
        if not fig.enabled or self.on_edit is None:
            return False
        text = str(value).strip()
        try:
            typed = parse_value(fig, text)
        except ValueError as exc:
            messages.warn(None, "取值无效", str(exc))
            return False
        if typed == fig.value or text == format_value(fig):
            return False
        return self.on_edit(fig.id, typed)


class FigureDelegate(QStyledItemDelegate):
    """Edits 是/否 and coded figures with a drop-down of their Chinese labels; others as text."""

    def __init__(self, model: ProfileFigureModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def _options(self, index: QModelIndex | QPersistentModelIndex) -> list[str]:
        fig = self._model.figure_at(index.row())
        if isinstance(fig.value, bool):
            return ["是", "否"]
        return [CODE_LABELS.get(code, code) for code in choices_of(fig)]

    def createEditor(self, parent: QWidget, option: Any, index: QModelIndex | QPersistentModelIndex) -> QWidget:  # noqa: N802
        options = self._options(index)
        if not options:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.addItems(options)
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


class SettingsPage(Page):
    """Profile picker and the figure table."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.profiles = available_profiles()
        self.combo = QComboBox()
        self.combo.setObjectName("profileCombo")
        for profile_id, name in self.profiles.items():
            self.combo.addItem(name, profile_id)
        self.combo.activated.connect(self._on_profile_picked)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.reset_button = QPushButton("恢复方案原值")
        self.reset_button.setObjectName("resetOverrides")
        self.reset_button.clicked.connect(self._reset_overrides)
        self.model = ProfileFigureModel(self)
        self.model.on_edit = self._store_override
        self.view = QTableView()
        self.view.setObjectName("figureTable")
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(COL_VALUE, FigureDelegate(self.model, self.view))
        setup_table(self.view)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_VALUE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_UNIT, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        title = QLabel("政策方案")
        font = title.font()
        font.setPointSize(font.pointSize() + 6)
        font.setBold(True)
        title.setFont(font)
        picker = QHBoxLayout()
        picker.addWidget(QLabel("当前方案："))
        picker.addWidget(self.combo, 1)
        picker.addWidget(self.reset_button)
        hint = QLabel("双击“取值”可调整本数据文件采用的指标；调整随数据保存，所有使用此数据的电脑一致。切换方案会清除调整。")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(picker)
        layout.addWidget(self.description)
        layout.addWidget(hint)
        layout.addWidget(self.view, 1)

    def refresh(self) -> None:
        self.context.reload_profile()
        profile = self.context.profile
        index = self.combo.findData(profile.id)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        self.description.setText(profile.description)
        base = load_profile(profile.id)
        self.model.set_profile(profile, base)
        self.reset_button.setEnabled(bool(overrides_of(profile)))
        metrics = self.view.fontMetrics()
        widest = max((metrics.horizontalAdvance(fig.label) for fig in profile.figures.values()), default=200)
        self.view.setColumnWidth(COL_LABEL, min(widest + 24, 560))

    def select_profile(self, profile_id: str) -> None:
        """Make ``profile_id`` active (what picking it in the combo box does)."""
        if profile_id == self.context.profile.id:
            return
        try:
            set_active_profile(self.context.store, profile_id)
        except PolicyError as exc:
            messages.error(self, "无法切换政策方案", str(exc))
        self._changed()

    def _on_profile_picked(self, index: int) -> None:
        self.select_profile(self.combo.itemData(index))

    def _store_override(self, figure_id: str, value: Any) -> bool:
        profile = self.context.profile
        overrides = overrides_of(profile)
        overrides[figure_id] = value
        try:
            set_active_profile(self.context.store, profile.id, overrides)
        except PolicyError as exc:
            messages.warn(self, "取值无效", str(exc))
            return False
        # Reset the model after the editor has finished committing (the view still holds the index).
        self.context.reload_profile()
        QTimer.singleShot(0, self._changed)
        return True

    def _reset_overrides(self) -> None:
        profile = self.context.profile
        if not overrides_of(profile):
            return
        if not messages.ask(self, "恢复方案原值", f"清除对“{profile.name}”的全部调整，恢复文件中的原值？"):
            return
        set_active_profile(self.context.store, profile.id)
        self._changed()

    def _changed(self) -> None:
        self.refresh()
        self.context_changed.emit()
