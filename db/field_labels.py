"""Columns as people read them: the one list of Chinese field names (the audit viewer and its
export, a data package's conflicts) and the English-coded values spelled out.

The teacher fields use the roster template's headers (``db.teacher_import``), so a change
reads the way the clerk typed it in.
"""

from __future__ import annotations

from sqlalchemy import Boolean

from db.models import Base
from policy import vocab
from policy.clusters import RULE_LABELS

#: Column name → Chinese label; a column of a name not here is shown as it is.
FIELD_LABELS = {
    "name": "名称", "code": "代码", "summary": "内容摘要", "lessons": "听课节数", "date": "日期",
    "activity_type": "活动类型", "host_school_id": "承办学校", "entered_by": "登记人", "visit_id": "所属活动",
    "role": "角色", "home_school_id": "所在学校", "teacher_id": "教师", "filename": "文件名", "data": "文件内容",
    "mime_type": "文件类型", "sha256": "校验值", "school_id": "学校", "start": "开始日期", "end_on": "结束日期",
    "students": "学生数", "classes": "班级数", "location": "城乡类别", "stage": "学段", "position": "职务",
    "gender": "性别", "birth_date": "出生日期", "id_number": "身份证号", "cluster_id": "集团", "import_key": "导入标识",
    "semester": "学期", "text": "内容", "is_weak": "薄弱学校", "region_id": "县区", "lead_school_id": "牵头校",
    # teachers and postings: the roster template's headers
    "subject": "任教学科", "title": "职称", "backbone_level": "骨干等级", "started_teaching": "参加工作时间",
    "position_since": "任现职时间", "holds_personnel": "人事关系在本校",
    # schools, clusters, memberships, pairings
    "run_by": "举办者", "legal_entity": "法人单位", "central_school_id": "中心校", "primary_students": "小学学生数",
    "junior_students": "初中学生数", "primary_classes": "小学班级数", "junior_classes": "初中班级数",
    "land_area": "占地面积", "latitude": "纬度", "longitude": "经度", "kind": "类型", "area": "片区",
    "founded": "成立日期", "dissolved": "撤销日期", "notes": "备注", "joined": "加入日期", "left_on": "退出日期",
    "copy_no": "副本序号", "end": "结束日期", "supporter_name": "帮扶方", "supporter_school_id": "帮扶学校",
    "supporter_teacher_id": "帮扶教师", "target_school_id": "受援学校", "target_teacher_id": "受援教师",
    "level": "级别", "parent_id": "上级", "profile_id": "政策配置", "county_id": "县区", "source": "来源",
    # exchanges, plans, exemptions, needs
    "form": "交流形式", "status": "状态", "from_school_id": "派出学校", "to_school_id": "接收学校",
    "planned_end": "计划结束日期", "cancelled_on": "取消日期", "days_per_week": "每周天数",
    "moves_personnel": "转人事关系", "pinned": "手工固定", "plan_id": "交流计划", "exchange_id": "交流记录",
    "school_year": "学年", "approved_at": "批准时间", "approved_by": "批准人", "action": "事项", "on": "日期",
    "note": "说明", "actor": "经办人", "end_after": "变更后结束日期", "end_before": "变更前结束日期",
    "reason": "原因", "evidence": "证明材料", "slots": "需求人数",
    # visits, agreements, quality, evaluations, waivers
    "agreement_id": "协议", "label": "甲乙方", "signatory": "签字人", "clauses": "条款", "version": "版本",
    "printed_text": "打印文本", "printed_version": "打印版本", "signed_on": "签订日期", "term_start": "起始日期",
    "term_end": "截止日期", "indicator": "指标", "value": "数值", "grade": "等级", "scores": "得分",
    "total": "总分", "value_added": "增值", "achievements": "工作成效", "attainment": "目标达成度",
    "problems": "存在问题", "next_steps": "下一步打算", "rule": "规则", "approver": "批准人",
    "subject_id": "对象", "subject_kind": "对象类型",
    # accounts and settings
    "username": "用户名", "display_name": "姓名", "active": "启用", "failed_logins": "连续登录失败次数",
    "locked_until": "锁定至", "password_hash": "密码", "password_changed_at": "密码修改时间", "key": "设置项",
}
#: A table whose column means something more particular there.
TABLE_FIELD_LABELS = {("teacher", "name"): "姓名", ("visit_participant", "name"): "姓名",
                      ("app_user", "role"): "角色", ("exchange_plan", "status"): "计划状态"}

#: English-coded values (stored so) in Chinese; every other value is already Chinese.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": {**vocab.EXCHANGE_STATUS_LABELS, "draft": "草案"},
    "role": dict(vocab.USER_ROLE_NAMES),
    "subject_kind": {"cluster": "集团", "school": "学校"},
    "rule": dict(RULE_LABELS),
}

#: Columns holding yes/no (SQLite stores them as 0/1).
BOOLEANS = frozenset(column.name for table in Base.metadata.tables.values() for column in table.columns
                     if isinstance(column.type, Boolean))


def field_label(table: str | None, name: str) -> str:
    """The Chinese name of ``table``'s column ``name`` (the name itself when none is known)."""
    return TABLE_FIELD_LABELS.get((table or "", name)) or FIELD_LABELS.get(name, name)


def value_label(name: str, value: object) -> object:
    """An English-coded or yes/no value in words; other values unchanged."""
    if name in BOOLEANS and value in (True, False, 0, 1):
        return "是" if value else "否"
    if isinstance(value, str):
        return VALUE_LABELS.get(name, {}).get(value, value)
    return value
