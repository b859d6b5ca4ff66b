"""The coded values of the domain, spelled as clerks write them (POLICY.md, DESIGN.md).

They are stored as these Chinese words too, so an export reads like the paper form and
an import needs no translation table.
"""

from typing import Final

STAGES: Final = ("小学", "初中", "九年一贯制", "十二年一贯制", "教学点")
TEACHING_POINT: Final = "教学点"
# The sections a school of each stage teaches (a teacher's qualification follows them):
# 1 primary, 2 junior, 3 both.
STAGE_SECTIONS: Final = {"小学": 1, "教学点": 1, "初中": 2, "九年一贯制": 3, "十二年一贯制": 3}
LOCATIONS: Final = ("城区", "镇区", "乡村")
URBAN, TOWN, RURAL = LOCATIONS
RUN_BY: Final = ("市属", "县属")

CLUSTER_KINDS: Final = ("教育集团", "学区", "融合型教共体", "共建型教共体", "协作型教共体")
FUSION: Final = "融合型教共体"
LEAD_ROLES: Final = ("牵头校", "总校", "支援校", "片区长学校")
MEMBER_ROLES: Final = ("成员校", "受援校")
MEMBERSHIP_ROLES: Final = LEAD_ROLES + MEMBER_ROLES

PAIRING_KINDS: Final = (
    "包片包抓",  # city school takes a cluster (000 二(一)1)
    "手拉手",  # urban school ↔ rural school (003 22)
    "局领导联系薄弱学校",  # 004 四(二)
    "名师工作室结对乡村学校",
    "学科带头人结对乡村教师",
    "干部挂职蹲点",
    "师徒结对",  # a mentor and a young rural teacher, followed for 3 years (000 二(三)9)
)
MENTORING: Final = "师徒结对"
# Rural teachers a county designates and trains (海门2019计划 三(五)3).
DESIGNATIONS: Final = ("种子教师", "榜样教师")

GENDERS: Final = ("男", "女")
SUBJECTS: Final = (
    "语文", "数学", "英语", "道德与法治", "历史", "地理", "物理", "化学", "生物",
    "科学", "信息科技", "音乐", "美术", "体育与健康", "劳动", "心理健康", "综合实践",
)
# What clerks write for a subject → the name the needs table uses.
SUBJECT_ALIASES: Final = {
    "体育": "体育与健康", "道法": "道德与法治", "思品": "道德与法治", "思想品德": "道德与法治",
    "品德与社会": "道德与法治", "品德与生活": "道德与法治", "信息技术": "信息科技", "信息": "信息科技",
    "心理": "心理健康", "综合实践活动": "综合实践",
}
# Taught only from 初中 on (义务教育课程方案（2022年版）): a primary school has no such post.
JUNIOR_ONLY_SUBJECTS: Final = frozenset({"历史", "地理", "物理", "化学", "生物"})
TITLES: Final = ("正高级教师", "高级教师", "一级教师", "二级教师", "三级教师", "未定级")
BACKBONE_LEVELS: Final = ("县级骨干教师", "市级骨干教师", "学科带头人", "名师", "特级教师")
POSITIONS: Final = ("教师", "校长", "副校长")

POSTING_KINDS: Final = ("任职", "轮岗", "走教", "支教", "挂职", "跟岗", "驻教")
# 银川2023方案 二(三)8; 余教〔2020〕155号 五(二)1 (驻教); each form's rules are profile figures
# (``[exchange_forms]`` in resources/policies/default.toml, policy.exchange_forms).
EXCHANGE_FORMS: Final = ("轮岗", "柔性流动", "走教", "支教", "挂职", "跟岗", "驻教")
# Forms that keep the teacher's home school: tenure there does not restart (POLICY §2).
TEMPORARY_FORMS: Final = ("走教", "支教", "挂职", "跟岗", "柔性流动", "驻教")
# Stored: the decision (planned in a draft, approved, cancelled); in_progress and done are the
# pre-0005 spellings of approved. What an exchange is on a given day is derived from its dates
# (policy.exchange_forms.status_on).
EXCHANGE_STATUSES: Final = ("planned", "approved", "in_progress", "done", "cancelled")
EXCHANGE_STATUS_LABELS: Final = {
    "planned": "计划", "approved": "已批准", "in_progress": "进行中", "done": "已完成", "cancelled": "已取消",
    "ended_early": "提前结束",
}
EXCHANGE_EVENTS: Final = ("批准", "登记", "取消", "提前结束", "延期")
EXEMPTION_REASONS: Final = ("孕期", "哺乳期", "患病", "距退休不足规定年限", "特色项目领衔教师", "其他")

VISITOR_ROLES: Final = (
    "校级干部", "名师工作室主持人", "学科带头人", "骨干教师", "市级教研员", "县级教研员",
    "片区长学校", "局领导", "机关干部", "教师",
)
ACTIVITY_TYPES: Final = (
    "听评课", "公开课", "专题研讨", "管理经验交流", "专题指导", "教研指导", "专题研究报告",
    "主题教研活动", "校园文化交流", "同步课堂", "送教", "其他",
)

# Quality figures per school and school year, in percent except the monitoring score
# (保山2022方案 一(二)、14; 太平区2023方案 四(一)4). The first three are the demo's.
QUALITY_INDICATORS: Final = ("学业质量监测均分", "巩固率", "体质健康合格率", "辍学率", "残疾儿童入学率")

# 管理员 / 教育局业务员 / 校长（本校）/ 评估人员（只读）
USER_ROLES: Final = ("admin", "clerk", "principal", "evaluator")
USER_ROLE_NAMES: Final = {"admin": "管理员", "clerk": "业务员", "principal": "校长", "evaluator": "评估人员"}


def scope_word(levels: list[str], names: list[str]) -> str:
    """全县 / 全市 / 全区 for the area the data covers (a 市 with several counties: 全市)."""
    counties = [n for n, level in zip(names, levels, strict=True) if level == "县区"]
    if len(counties) > 1 or (not counties and "市" in levels):
        return "全市"
    name = counties[0] if counties else (names[0] if names else "")
    return "全区" if name.endswith("区") else "全市" if name.endswith("市") else "全县"
