"""The demo's fixed facts: its dates and scales, the tables in insertion order, and the word
lists and weights names, subjects and titles are drawn from."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from policy.numerals import chinese_numeral

TODAY = dt.date(2026, 11, 23)
CURRENT_YEAR = 2026  # the school year TODAY falls in
FIRST_YEAR = 2021  # five full school years of history before the current one
REFERENCE = dt.date(CURRENT_YEAR, 9, 1)  # tenure is counted at the start of the school year
STAMP = dt.datetime(2026, 11, 23, 8, 0, 0)  # created_at / updated_at of every demo row

SCALES = ("county", "city")
CITY_NAME = "青岚市"
CITY_CODE = "369900"
COUNTY_NAMES = ("青禾县", "云溪县", "临川县", "石门县", "安平县", "永宁区", "白河县", "丰原县")
CENTER = (36.52, 105.71)  # fictional county seat of 青禾县

ProgressFn = Callable[[str, float], None]

# Insertion order respects the foreign keys.
TABLE_ORDER = (
    "region",
    "school",
    "teacher",
    "exchange_plan",
    "exchange",
    "posting",
    "exemption",
    "cluster",
    "membership",
    "pairing",
    "visit",
    "visit_participant",
    "agreement",
    "agreement_party",
    "quality_indicator",
    "semester_summary",
    "subject_need",
    "waiver",
    "training_record",
    "teacher_designation",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴"
)
# Rough weights: the first surnames are far commoner.
SURNAME_WEIGHTS = tuple(
    itertools.accumulate(max(1.0, 12.0 - i * 0.25) for i in range(len(SURNAMES)))
)
GIVEN_FEMALE = "芳娜敏静丽艳娟霞玲婷雪慧琳颖倩佳欣悦瑶萍红梅燕秀兰晶蕾洁璐思雨晓文雅丹妍琪淑慧月茜"
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林志建国永海东成文晨博轩振"
PLACE_FIRST = "柳石杨桃清白黄红青金马龙凤梨枣槐松柏河沙高新东西南双三碾杏榆苇芦泉王李张赵刘"
PLACE_SECOND = "湾岭沟坪河庄川原堡铺寨滩塬峪营台坝集泉口湖桥店屯洼岔梁"


NUMERALS = tuple(chinese_numeral(n) for n in range(1, 21))

SUBJECT_WEIGHTS = {
    "语文": 24,
    "数学": 21,
    "英语": 10,
    "道德与法治": 4,
    "历史": 3,
    "地理": 3,
    "物理": 4,
    "化学": 3,
    "生物": 3,
    "科学": 4,
    "信息科技": 3,
    "音乐": 4,
    "美术": 4,
    "体育与健康": 6,
    "劳动": 1,
    "心理健康": 1,
    "综合实践": 2,
}
JUNIOR_ONLY = frozenset({"历史", "地理", "物理", "化学", "生物"})
PRIMARY_SUBJECTS = [s for s in SUBJECT_WEIGHTS if s not in JUNIOR_ONLY]
PRIMARY_WEIGHTS = list(itertools.accumulate(SUBJECT_WEIGHTS[s] for s in PRIMARY_SUBJECTS))
ALL_SUBJECTS = list(SUBJECT_WEIGHTS)
ALL_WEIGHTS = list(itertools.accumulate(SUBJECT_WEIGHTS.values()))
BACKBONE_WEIGHTS = tuple(itertools.accumulate((50, 30, 11, 7, 2)))  # vocab.BACKBONE_LEVELS order

QUALITY_INDICATORS = ("学业质量监测均分", "巩固率", "体质健康合格率")
