"""Seeded, vectorised synthetic province: enterprises, people, relations, events, hidden risk.

The generator stands in for a real provincial delivery (Zhejiang codes) so that the graph,
features, models and benchmarks can run end to end and be evaluated against a known truth.

Model, in order of generation (every step is numpy over whole columns; one seed fixes all):

1. Enterprises: entity type, region (prefecture share x uniform district), industry class
   (skewed weights per entity type), establishment within 6 years before ``as_of`` (younger more
   frequent), registered capital (log-normal per type), paid-in capital (often 0 for companies
   under the subscription system; a third of individual businesses declare no capital). About
   3% are branches of companies. Clusters: shell companies registered together at one address
   with one phone (and mostly one legal representative, see 2), incubator buildings that share
   an address, accounting agents whose phone many clients give. Further contacts (phones,
   e-mails, business premises) for a fraction of enterprises; shells share their agent's e-mail.
2. People, about 1.5 per enterprise, with valid GB 11643 numbers. Role slots (legal rep,
   shareholders, officers) are filled so that most people hold one role and a heavy-tailed few
   hold many; shell clusters share one to three nominee legal representatives (60%: one).
3. Ownership: founders and co-founders hold the shares; holding pyramids 2-4 layers deep,
   occasional corporate investors, a few cross-holding cycles, and professional nominee
   shareholders who each hold 0.5-5% of 15-60 unrelated companies. Ratios per enterprise sum to
   at most 1 at any date (history rows end the day their successor starts).
4. Hidden risk: own risk ``sigmoid(z)``, ``z`` linear in youth, unpaid capital, industry tier,
   entity type and shell membership plus noise; then two propagation steps
   ``r <- 0.4 r0 + 0.6 mean_of_neighbours(r)`` (scipy.sparse) where the neighbour mean pools
   three channels: control (holdings weighted by ratio, branch-parent), people (mean risk of the
   legal reps, shareholders and officers an enterprise shares, weighted by role) and shared
   addresses. Isolated enterprises keep ``r0``. It is returned only in ``Province.hidden_risk``.
5. Observations given hidden risk ``h``: status (with the day it took effect: exits end the
   active span, suspensions fall inside it), change histories (legal rep, shareholders,
   address, name, registered capital; nobody succeeds themselves), and per-kind event counts
   ``Poisson(rate(h) * years active)`` whose rates rise with ``h``; annual reports per year
   (late or missing more often when ``h`` is high) that drive abnormal listings, which in turn
   drive serious-dishonesty listings after three years.

Dates are ``datetime.date`` (missing: ``None``); validity intervals are half-open
``[since, until)``. Nothing is dated after ``as_of`` except forward-looking fields (licence
``expires``, ``publicity_end``).

:meth:`Province.frames` gives the final state as one frame per record kind of
``ingestion.models.RECORD_KINDS``; :func:`monthly_deliveries` cuts the same records into an
initial load and monthly increments whose idempotent merge is that final state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from ingestion import reference
from ingestion.identifiers import (
    ID_CHECK_MAP,
    ID_WEIGHTS,
    ORG_CODE_WEIGHTS,
    USCC_CHARSET,
    USCC_WEIGHTS,
)
from ingestion.models import RECORD_KINDS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
ObjArray = npt.NDArray[np.object_]
_G = TypeVar("_G", bound=np.generic)

NO_DAY: Final = np.int64(-(2**40))  # sentinel day number for "no date" (None)
_EPOCH: Final = dt.date(1970, 1, 1)
_YEAR: Final = 365.25
WINDOW_YEARS: Final = 6


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated table text -> tuple (keeps long code lists compact)."""
    return tuple(text.split())


# record kinds kept as Province attributes of the same name (the others are events)
_OWN_FRAMES: Final = (
    "enterprises", "people", "shareholdings", "legal_reps", "officers", "branches", "contacts",
)


@dataclass(repr=False)
class Province:
    """One synthetic province (see the module docstring for the model).

    Columns; dates are ``datetime.date``, missing values ``None``, intervals ``[since, until)``:

    * ``enterprises``: uscc, name, entity_type, status, established, region_code (GB/T 2260),
      industry_code (GB/T 4754 class), registered_capital, paid_in_capital (yuan; NaN for
      branches and individual businesses that declare none), sectors (tuple of overlay codes),
      address, phone, email, legacy_regno (always None: every enterprise postdates the USCC),
      approved (核准日期: the latest of establishment, status change, and change of name,
      address or registered capital).
    * ``people``: id_number (raw GB 11643 number), name.
    * ``shareholdings``: holder_kind ('person'|'enterprise'), holder_id (id_number or uscc),
      enterprise_uscc, ratio (0-1), amount (subscribed yuan), since, until.
    * ``legal_reps``: id_number, enterprise_uscc, since, until (one current row per enterprise).
    * ``officers``: id_number, enterprise_uscc, role ('director'|'supervisor'|'manager'), since,
      until.
    * ``branches``: branch_uscc, parent_uscc.
    * ``contacts``: since, until (always None), uscc, kind ('address'|'phone'|'email'), value:
      contacts beyond the registered ones, unique per (uscc, kind, value).
    * ``events[kind]`` for each key of ``EVENT_KINDS``: event_id (``{uscc}-{KIND}-{nnnn}``, nnnn
      the enterprise's n-th such event by date, the year for annual reports), uscc, date,
      source, publicity_end, then the kind's own columns.
    * ``status_since``: uscc, since: the day the enterprise's current status took effect
      (its establishment while operating); the registry's own dates, used by
      :func:`monthly_deliveries`, but not a record kind.
    * ``hidden_risk``: uscc, hidden_risk in [0, 1], ground truth for evaluation only.
    """

    as_of: dt.date
    enterprises: pd.DataFrame
    people: pd.DataFrame
    shareholdings: pd.DataFrame
    legal_reps: pd.DataFrame
    officers: pd.DataFrame
    branches: pd.DataFrame
    contacts: pd.DataFrame
    events: dict[str, pd.DataFrame]
    status_since: pd.DataFrame
    hidden_risk: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every record frame under its ``RECORD_KINDS`` name, in load order.

        Events appear under their kind names; the columns of each frame are the field names of
        its model. Neither ``status_since`` nor ``hidden_risk`` is a record: they are left out.
        """
        own: dict[str, pd.DataFrame] = {name: getattr(self, name) for name in _OWN_FRAMES}
        return {kind: own[kind] if kind in own else self.events[kind] for kind in RECORD_KINDS}

    def __repr__(self) -> str:
        events = sum(len(frame) for frame in self.events.values())
        return (
            f"Province(as_of={self.as_of}, enterprises={len(self.enterprises)}, "
            f"people={len(self.people)}, shareholdings={len(self.shareholdings)}, "
            f"events={events})"
        )


# --- parameters ------------------------------------------------------------------------------

# The reference order; the indices below name positions in it.
ENTITY_TYPES: Final[tuple[reference.EntityType, ...]] = tuple(reference.ENTITY_TYPES)
LC, JSC, SOLE, PART, INDIV, COOP, STATE = range(7)
_ETYPE_SHARE: Final = (0.578, 0.02, 0.04, 0.04, 0.28, 0.04, 0.002)
_ETYPE_RISK: Final = (0.15, -0.3, 0.25, 0.3, 0.0, -0.1, -0.4)  # additive on the own-risk logit
# log-normal registered capital per entity type: (median yuan, sigma, rounding unit)
_CAPITAL: Final = (
    (1e6, 1.1, 1e4),
    (2e7, 1.0, 1e4),
    (1e5, 1.0, 1e3),
    (5e6, 1.3, 1e4),
    (3e4, 1.0, 1e3),
    (1e6, 0.9, 1e4),
    (5e7, 1.0, 1e4),
)
_ETYPE_SUFFIX: Final = _words("有限公司 股份有限公司 商行 合伙企业（有限合伙） 店 专业合作社 公司")

# Prefecture shares of registered market entities (rough, for skew), in reference order.
_PREFECTURE_SHARE: Final = (0.21, 0.16, 0.13, 0.07, 0.05, 0.08, 0.13, 0.03, 0.02, 0.09, 0.03)
_AREA_CODE: Final = _words("0571 0574 0577 0573 0572 0575 0579 0570 0580 0576 0578")

# GB/T 4754-2017 classes the generator uses: code, word used in names, weight among
# enterprises, weight among individual businesses, risk tier (0 low, 1 medium, 2 high).
_CLASS_TABLE: Final = """
0111 农业 0.8 0.3 0
0141 蔬菜 0.6 0.4 0
0313 养殖 0.5 0.3 0
0412 水产 0.4 0.3 0
1011 矿业 0.2 0.0 1
1311 米业 0.4 0.2 1
1411 食品 0.6 0.8 1
1431 食品 0.5 0.4 1
1441 乳业 0.1 0.0 1
1512 酒业 0.2 0.1 1
1514 酒业 0.3 0.1 1
1819 服饰 1.5 0.3 0
1951 鞋业 0.8 0.2 0
2110 家具 0.7 0.2 0
2231 包装 0.6 0.0 0
2614 化工 0.4 0.0 1
2720 制药 0.15 0.0 1
2927 塑料制品 0.9 0.1 0
3021 建材 0.5 0.0 0
3311 钢结构 0.6 0.0 0
3484 机械 2.0 0.3 0
3581 医疗器械 0.2 0.0 1
3670 汽车配件 1.2 0.0 0
3911 电子 0.5 0.0 0
3961 智能科技 0.3 0.0 0
4430 热力 0.1 0.0 0
4710 建设 1.5 0.0 1
4813 市政工程 0.6 0.0 1
5012 装饰工程 2.0 1.0 1
5121 粮油 1.0 1.5 0
5151 医药 0.3 0.0 1
5154 医疗器械 0.5 0.0 1
5191 电子商务 3.0 0.5 1
5211 百货 2.0 3.0 0
5212 超市 0.8 2.0 0
5213 便利店 0.5 3.0 0
5232 服饰 2.0 4.0 0
5251 大药房 0.6 0.6 1
5252 中药 0.2 0.3 1
5254 医疗器械 0.4 0.3 1
5261 汽车销售 0.6 0.1 1
5292 电子商务 3.0 4.0 2
5431 物流 1.5 1.0 0
6020 快递 0.3 0.3 0
6110 酒店 0.4 0.3 1
6210 餐饮 1.5 6.0 1
6220 快餐 0.8 5.0 1
6232 咖啡 0.3 1.0 1
6291 小吃 0.5 8.0 1
6513 软件 2.5 0.0 0
6531 信息技术 2.0 0.1 0
6560 信息咨询 1.0 0.0 0
6635 小额贷款 0.05 0.0 2
7010 房地产开发 0.4 0.0 1
7020 物业管理 0.6 0.0 0
7030 房产经纪 0.8 0.8 2
7111 汽车租赁 0.3 0.2 1
7212 投资管理 1.2 0.0 2
7241 财务咨询 0.8 0.2 0
7243 企业管理咨询 2.5 0.2 1
7259 广告 1.5 1.0 1
7281 会展 0.4 0.0 0
7320 科技 3.0 0.0 0
7484 设计 0.8 0.2 0
7520 知识产权 0.3 0.0 0
7721 环保 0.4 0.0 0
8010 家政 0.4 1.0 0
8040 美容美发 0.8 5.0 1
8053 养生 0.5 2.0 2
8111 汽车维修 0.5 3.0 0
8391 培训 0.8 0.3 1
8393 艺术培训 0.5 0.5 1
8425 门诊部 0.2 0.3 1
8514 养老 0.2 0.1 1
9011 娱乐 0.2 0.3 2
9013 网吧 0.1 0.4 1
"""
_CLASSES: Final = tuple(
    (code, word, float(w_ent), float(w_ind), int(tier))
    for code, word, w_ent, w_ind, tier in (
        line.split() for line in _CLASS_TABLE.split("\n") if line
    )
)
_CLASS_CODES: Final = tuple(c[0] for c in _CLASSES)
_SHELL_CLASSES: Final = ("7243", "7320", "7212", "6560", "5191")
SECTORS: Final[tuple[reference.Sector, ...]] = tuple(reference.SECTORS)
# class -> (sector, probability); classes not listed get special_equipment or
# industrial_products with a small probability if they are manufacturing (division 13-43).
_CLASS_SECTORS: Final = {
    **dict.fromkeys(("1311", "1411", "1431", "1441", "1512", "1514"), ("food_production", 1.0)),
    **dict.fromkeys(("5251", "5252"), ("drug_retail", 1.0)),
    **dict.fromkeys(("3581", "5154", "5254"), ("medical_devices", 1.0)),
    **dict.fromkeys(("4430", "7020", "6110", "4710"), ("special_equipment", 0.8)),
    **dict.fromkeys(("2231", "2614", "2927", "3021"), ("industrial_products", 0.7)),
}
_FOOD_BUSINESS_CLASSES: Final = ("5121", "5211", "5212", "5213", "6210", "6220", "6232", "6291")
_LICENCE_OF_SECTOR: Final = {
    "food_production": "food_production",
    "drug_retail": "drug_retail",
    "medical_devices": "medical_device_business",
    "special_equipment": "special_equipment_use",
    "industrial_products": "industrial_product_production",
}
_PENALTY_CATEGORY_OF_SECTOR: Final = {
    "food_production": "food_safety",
    "drug_retail": "drug_safety",
    "medical_devices": "medical_device_safety",
    "special_equipment": "special_equipment_safety",
    "industrial_products": "product_quality",
}
_PENALTY_CATEGORIES: Final = _words(
    "registration false_advertising unfair_competition price product_quality "
    "consumer_rights measurement trademark licensing"
)
_COMPLAINT_CATEGORIES: Final = _words(
    "product_quality service_quality false_advertising contract_dispute price refund "
    "food_safety personal_information"
)
# sections whose customers are consumers get far more 12315 complaints
_CONSUMER_SECTIONS: Final = frozenset("FHKOPQR")

_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈金应楼"
)
_SURNAME_WEIGHT: Final = tuple(
    float(x)
    for x in _words(
        "7.1 7.0 6.7 5.4 4.6 3.1 2.2 2.0 2.0 1.9 1.5 1.5 1.3 1.3 1.3 1.2 1.2 1.0 1.0 1.0 0.9 "
        "0.9 0.8 0.7 0.7 0.7 0.6 0.6 0.6 0.6 0.6 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.4 "
        "0.6 0.4 0.4 0.4 0.4 0.4 0.4 0.6 0.5 0.3 0.2"
    )
)
_GIVEN: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞斌宇浩凯健俊帆旭宁龙林欣佳"
    "婷雪琳晨颖倩博然子轩梓涵一诺思雨家豪国庆海燕春晓丹阳波亮峰锋志永立新金荣德成康宏"
)
_BRAND: Final = (
    "华鑫盛源达隆泰丰恒瑞祥宏兴德信诚佳嘉顺昌通汇鼎聚创远博锦辉星宇天和安康益利凯腾飞新正中明亿"
    "万金银海峰润众合美优智睿卓越诺宸浩泽沐禾蓝青绿山云风晨阳光之江湖南北东一品尚艺雅逸悦乐福永"
    "长久同惠仁义元亨驰翔耀晟晖煌琪瑾璟钰铭豪杰"
)
_ROADS: Final = _words(
    "人民路 解放路 中山路 建设路 延安路 文化路 学院路 体育场路 环城北路 江南大道 "
    "滨江大道 工业园路 科技路 创业路 兴业路 新华路 东海大道 迎宾大道 世纪大道 凤起路 "
    "天目山路 文一西路 莫干山路 钱江路 时代大道 振兴路 开发大道 青年路 府前路 北京路 "
    "长安路 梅园路 桃源路 金山路 银河路 和平路 胜利路 望江路 花园路 湖滨路"
)
# People born elsewhere: a few county codes of other provinces (Anhui, Jiangxi, Henan, Sichuan,
# Hunan, Jiangsu, Fujian, Shanghai, Beijing, Guangdong, Guizhou).
_OTHER_PROVINCE_REGIONS: Final = tuple(
    int(x)
    for x in _words("340104 360102 410105 510104 430102 320106 350102 310101 110105 440106 520102")
)


# --- small vectorised helpers ----------------------------------------------------------------


def _cat(first: StrArray, *rest: StrArray | str) -> StrArray:
    """Element-wise string concatenation of arrays and scalars."""
    out = first
    for part in rest:
        out = np.strings.add(out, part)
    return out


def _int_str(values: npt.NDArray[Any]) -> StrArray:
    """Integer text of whole numbers (ints, or floats holding whole values)."""
    return values.astype(np.int64).astype(np.str_)


def _pick(rng: np.random.Generator, pool: Sequence[str], size: int) -> StrArray:
    return np.array(list(pool), dtype=np.str_)[rng.integers(0, len(pool), size)]


def _ascii_rows(codes: npt.NDArray[np.uint8]) -> StrArray:
    """Rows of ASCII byte codes -> one string per row."""
    width = codes.shape[1]
    raw = np.ascontiguousarray(codes).view(f"S{width}").ravel()
    return raw.astype(f"U{width}")


def _digits(values: npt.NDArray[np.integer], width: int) -> npt.NDArray[np.int64]:
    """Decimal digits of non-negative ints, most significant first, shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers) % 10


def _rank_within(sorted_groups: IntArray) -> IntArray:
    """Position of each element inside its run of equal group ids (input sorted by group)."""
    n = len(sorted_groups)
    if n == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n, dtype=np.int64) - start_pos


def _uniform_days(rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
    """One uniform day in each inclusive range [lo, hi] (hi >= lo)."""
    span = (hi - lo + 1).astype(np.float64)
    out: IntArray = lo + np.minimum((rng.random(len(lo)) * span).astype(np.int64), hi - lo)
    return out


def _choice(rng: np.random.Generator, weights: Sequence[float] | FloatArray, size: int) -> IntArray:
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(p) - 1).astype(
        np.int64
    )


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class _Calendar:
    """Day numbers (days since 1970-01-01) and their conversion to ``datetime.date``."""

    as_of: dt.date

    @property
    def today(self) -> int:
        return (self.as_of - _EPOCH).days

    @property
    def start(self) -> int:
        return self.today - int(WINDOW_YEARS * _YEAR)

    def years(self, days: IntArray) -> IntArray:
        return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    def day_of(self, years: IntArray, month: int, day: int) -> IntArray:
        months = (years - 1970) * 12 + (month - 1)
        return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day - 1

    def ymd(self, days: IntArray) -> IntArray:
        """YYYYMMDD integers."""
        d64 = days.astype("datetime64[D]")
        month_start = d64.astype("datetime64[M]")
        months = month_start.astype(np.int64)
        dom = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1
        out: IntArray = (months // 12 + 1970) * 10000 + (months % 12 + 1) * 100 + dom
        return out

    def dates(self, days: IntArray) -> ObjArray:
        """Shared ``datetime.date`` objects (one per distinct day) or None for ``NO_DAY``."""
        missing = days == NO_DAY
        present = days[~missing]
        lo = int(present.min()) if len(present) else self.today
        hi = int(present.max()) if len(present) else self.today
        table = np.empty(hi - lo + 2, dtype=object)
        table[:-1] = np.arange(lo, hi + 1).astype("datetime64[D]").astype(object)
        table[-1] = None
        index = np.where(missing, hi - lo + 1, days - lo)
        out: ObjArray = table[index]
        return out


# --- enterprises -----------------------------------------------------------------------------


@dataclass
class _Enterprises:
    """Column arrays of the enterprise table while it is being built."""

    etype: IntArray
    district: IntArray  # index into _Regions
    klass: IntArray  # index into _CLASSES
    established: IntArray  # day number
    registered: FloatArray
    paid_in: FloatArray
    branch_parent: IntArray  # -1 unless a branch
    shell: IntArray  # shell cluster id or -1
    address_group: IntArray  # shared-address group id or -1
    phone_group: IntArray  # shared-phone group id or -1
    end: IntArray  # last active day + 1 (as_of + 1 unless revoked/cancelled)
    status: IntArray
    status_day: IntArray  # day the final status took effect (established while operating)

    @property
    def n(self) -> int:
        return len(self.etype)

    @property
    def is_company(self) -> BoolArray:
        out: BoolArray = ((self.etype == LC) | (self.etype == JSC)) & (self.branch_parent < 0)
        return out

    @property
    def is_branch(self) -> BoolArray:
        return self.branch_parent >= 0


@dataclass(frozen=True)
class _Regions:
    """The district table flattened from the reference prefectures."""

    codes: IntArray
    prefecture: IntArray  # index into reference.ZHEJIANG_PREFECTURES
    names: StrArray  # full zh-CN: 杭州市西湖区
    short: StrArray  # district name without its 区/县/市 suffix, for branch names
    weights: FloatArray
    authority: StrArray  # market-regulation bureau of the district


def _regions() -> _Regions:
    codes, pref, names, short, weights, authority = [], [], [], [], [], []
    for p_index, prefecture in enumerate(reference.ZHEJIANG_PREFECTURES):
        for district in prefecture.districts:
            codes.append(int(district.code))
            pref.append(p_index)
            names.append(prefecture.name_zh + district.name_zh)
            short.append(district.name_zh[:-1] if len(district.name_zh) > 2 else district.name_zh)
            weights.append(_PREFECTURE_SHARE[p_index] / len(prefecture.districts))
            # county-level cities and counties are named alone, city districts with their city
            local = district.code[4:] >= "21"
            authority.append((district.name_zh if local else names[-1]) + "市场监督管理局")
    return _Regions(
        np.array(codes, np.int64),
        np.array(pref, np.int64),
        np.array(names),
        np.array(short),
        np.array(weights),
        np.array(authority),
    )


def _draw_classes(rng: np.random.Generator, etype: IntArray) -> IntArray:
    """Industry class per enterprise: skewed weights, individual businesses and coops apart."""
    codes = [c[0] for c in _CLASSES]
    w_enterprise = np.array([c[2] for c in _CLASSES], np.float64)
    w_individual = np.array([c[3] for c in _CLASSES], np.float64)
    w_coop = np.where([code < "0600" for code in codes], w_enterprise, 0.0)
    out = _choice(rng, w_enterprise, len(etype))
    for kind, weights in ((INDIV, w_individual), (COOP, w_coop)):
        rows = np.flatnonzero(etype == kind)
        out[rows] = _choice(rng, weights, len(rows))
    return out


def _draw_capital(rng: np.random.Generator, etype: IntArray) -> tuple[FloatArray, FloatArray]:
    """Registered capital (log-normal per type) and paid-in capital."""
    median = np.array([c[0] for c in _CAPITAL])[etype]
    sigma = np.array([c[1] for c in _CAPITAL])[etype]
    unit = np.array([c[2] for c in _CAPITAL])[etype]
    registered = np.maximum(
        unit, np.round(median * np.exp(sigma * rng.standard_normal(len(etype))) / unit) * unit
    )
    # subscription system: many companies never pay in; sole traders and individual
    # businesses declare what they actually put in
    share = np.where(rng.random(len(etype)) < 0.3, 1.0, rng.beta(2.0, 2.5, len(etype)))
    unpaid = rng.random(len(etype)) < np.select(
        [etype == LC, etype == JSC, etype == PART], [0.45, 0.1, 0.5], 0.0
    )
    share = np.where((etype == SOLE) | (etype == INDIV), 1.0, np.where(unpaid, 0.0, share))
    # a third of individual businesses declare no capital at all (the model allows None)
    registered[(etype == INDIV) & (rng.random(len(etype)) < 0.35)] = np.nan
    return registered, np.round(registered * share, 2)


def _draw_enterprises(
    rng: np.random.Generator, n: int, cal: _Calendar, regions: _Regions
) -> _Enterprises:
    etype = _choice(rng, _ETYPE_SHARE, n)
    district = _choice(rng, regions.weights, n)
    # younger enterprises are more numerous (entry rates grew, exits remove old ones)
    age = (rng.random(n) ** 1.25 * (cal.today - cal.start)).astype(np.int64)
    established = cal.today - age
    registered, paid_in = _draw_capital(rng, etype)
    ent = _Enterprises(
        etype=etype,
        district=district,
        klass=_draw_classes(rng, etype),
        established=established,
        registered=registered,
        paid_in=paid_in,
        branch_parent=np.full(n, -1, np.int64),
        shell=np.full(n, -1, np.int64),
        address_group=np.full(n, -1, np.int64),
        phone_group=np.full(n, -1, np.int64),
        end=np.full(n, cal.today + 1, np.int64),
        status=np.zeros(n, np.int64),
        status_day=established.copy(),
    )
    _make_branches(rng, ent, cal)
    _make_shell_clusters(rng, ent, cal)
    _make_shared_contacts(rng, ent)
    return ent


def _make_branches(rng: np.random.Generator, ent: _Enterprises, cal: _Calendar) -> None:
    """About 3% of rows become branches of larger companies, established after the parent."""
    # a parent opens its branches at least a month after its own establishment
    candidates = np.flatnonzero(ent.is_company & (ent.established < cal.today - 30))
    branch = np.flatnonzero((rng.random(ent.n) < 0.03) & (ent.etype != COOP))
    parents = np.setdiff1d(candidates, branch, assume_unique=True)
    if len(parents) == 0 or len(branch) == 0:
        return
    weight = np.log1p(ent.registered[parents]) ** 4  # big companies open branches
    parent = parents[_choice(rng, weight, len(branch))]
    ent.branch_parent[branch] = parent
    ent.etype[branch] = ent.etype[parent]
    ent.klass[branch] = ent.klass[parent]
    lo = np.minimum(ent.established[parent] + 30, cal.today)
    ent.established[branch] = np.maximum(ent.established[branch], lo)
    ent.registered[branch] = np.nan  # branches have no capital of their own
    ent.paid_in[branch] = np.nan


def _cluster_members(
    rng: np.random.Generator, pool: IntArray, n_clusters: int, size_lo: int, size_hi: int
) -> tuple[IntArray, IntArray]:
    """Disjoint random clusters drawn from ``pool``: (member rows, cluster id per member)."""
    sizes = rng.integers(size_lo, size_hi + 1, n_clusters)
    sizes = sizes[np.cumsum(sizes) <= len(pool)]
    members = rng.permutation(pool)[: int(sizes.sum())]
    return members, np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _make_shell_clusters(rng: np.random.Generator, ent: _Enterprises, cal: _Calendar) -> None:
    """Shell companies: registered together at one address and phone, young, nothing paid in.

    Companies with branches are no shells (and moving their establishment would put it after
    their branches').
    """
    has_branch = np.zeros(ent.n, bool)
    has_branch[ent.branch_parent[ent.is_branch]] = True
    pool = np.flatnonzero(ent.is_company & (ent.etype == LC) & ~has_branch)
    members, cluster = _cluster_members(rng, pool, max(2, ent.n // 900), 4, 25)
    if len(members) == 0:
        return
    leader = members[np.r_[0, np.flatnonzero(np.diff(cluster)) + 1]]
    lead = leader[cluster]
    burst = rng.integers(0, 90, len(members))  # registered in a burst of a few months
    start = np.maximum(ent.established[lead] - 60, cal.start)
    ent.established[members] = np.minimum(start + burst, cal.today)
    ent.shell[members] = cluster
    ent.district[members] = ent.district[lead]
    shell_classes = np.flatnonzero(np.isin([c[0] for c in _CLASSES], _SHELL_CLASSES))
    ent.klass[members] = shell_classes[rng.integers(0, len(shell_classes), len(members))]
    ent.registered[members] = np.array([1e6, 5e6, 1e7, 3e7])[rng.integers(0, 4, len(members))]
    ent.paid_in[members] = 0.0


def _make_shared_contacts(rng: np.random.Generator, ent: _Enterprises) -> None:
    """Shared addresses (shells, incubator buildings) and shared phones (shells, agents)."""
    n_shells = int(ent.shell.max()) + 1
    shell_rows = np.flatnonzero(ent.shell >= 0)
    ent.address_group[shell_rows] = ent.shell[shell_rows]
    ent.phone_group[shell_rows] = ent.shell[shell_rows]
    free = np.flatnonzero(ent.is_company & (ent.shell < 0))
    # incubators: many ordinary young companies at one building address, separate phones
    members, cluster = _cluster_members(rng, free, max(1, ent.n // 1500), 8, 40)
    lead = (
        members[np.r_[0, np.flatnonzero(np.diff(cluster)) + 1]][cluster]
        if len(members)
        else members
    )
    ent.address_group[members] = n_shells + cluster
    ent.district[members] = ent.district[lead]
    # accounting agents: the agent's phone on many clients' registrations
    free = np.flatnonzero((ent.shell < 0) & ~ent.is_branch)
    members, cluster = _cluster_members(rng, free, max(1, ent.n // 700), 3, 15)
    ent.phone_group[members] = n_shells + cluster


# --- identifiers and contact strings ---------------------------------------------------------

_USCC_ASCII: Final = np.frombuffer(USCC_CHARSET.encode("ascii"), np.uint8)
_ORG_VALUE_OF_USCC: Final = np.array(
    [int(c, 36) for c in USCC_CHARSET], np.int64
)  # GB 11714 value of each USCC character (A=10 ... Z=35)


def _org_bodies(rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
    """Unique 8-character organisation-code bodies as USCC character indices, shape (n, 8).

    70% are reform-era codes ``MA`` + 6 characters, 30% older all-digit codes. Uniqueness comes
    from a seeded affine bijection of 0..n-1 rather than rejection sampling.
    """
    new_style = rng.random(n) < 0.7
    out = np.zeros((n, 8), np.int64)
    for mask, base, width in ((new_style, 31, 6), (~new_style, 10, 8)):
        m = int(mask.sum())
        space = base**width
        step = int(rng.integers(1, space))
        while np.gcd(step, space) != 1:  # i -> step * i + offset is a bijection mod space
            step += 1
        values = (np.arange(m, dtype=np.int64) * step + int(rng.integers(0, space))) % space
        digits = (values[:, None] // base ** np.arange(width - 1, -1, -1, dtype=np.int64)) % base
        out[mask, 8 - width :] = digits
        if width == 6:
            out[mask, 0] = USCC_CHARSET.index("M")
            out[mask, 1] = USCC_CHARSET.index("A")
    return out


def _usccs(rng: np.random.Generator, ent: _Enterprises, regions: _Regions) -> StrArray:
    """Valid, unique USCCs (GB 32100 + inner GB 11714 check), vectorised ``make_uscc``."""
    n = ent.n
    prefix = reference.USCC_PREFIX_BY_ENTITY_TYPE
    category = np.array([int(prefix[t][1]) for t in ENTITY_TYPES], np.int64)[ent.etype]
    chars = np.zeros((n, 18), np.int64)
    chars[:, 0] = 9  # authority 9: market regulation
    chars[:, 1] = category
    chars[:, 2:8] = _digits(regions.codes[ent.district], 6)
    chars[:, 8:16] = _org_bodies(rng, n)
    org_sum = (_ORG_VALUE_OF_USCC[chars[:, 8:16]] * np.array(ORG_CODE_WEIGHTS)).sum(axis=1)
    org_check = 11 - org_sum % 11  # 10 -> 'X', 11 -> '0'
    chars[:, 16] = np.select(
        [org_check == 10, org_check == 11], [USCC_CHARSET.index("X"), 0], org_check
    )
    total = (chars[:, :17] * np.array(USCC_WEIGHTS)).sum(axis=1)
    chars[:, 17] = (31 - total % 31) % 31
    return _ascii_rows(_USCC_ASCII[chars])


def _id_numbers(region: IntArray, birth_ymd: IntArray, seq: IntArray) -> StrArray:
    digits = np.concatenate([_digits(region, 6), _digits(birth_ymd, 8), _digits(seq, 3)], axis=1)
    check = (digits * np.array(ID_WEIGHTS)).sum(axis=1) % 11
    check_ascii = np.frombuffer(ID_CHECK_MAP.encode("ascii"), np.uint8)[check]
    codes = np.concatenate([(digits + 48).astype(np.uint8), check_ascii[:, None]], axis=1)
    return _ascii_rows(codes)


def _phones(rng: np.random.Generator, ent: _Enterprises, regions: _Regions) -> StrArray:
    """Mobile numbers (1[3-9]x...) or prefecture landlines (0571-8xxxxxxx)."""
    n = ent.n
    mobile = _mobiles(rng, n)
    area = np.array(_AREA_CODE)[regions.prefecture[ent.district]]
    landline = _cat(area, "-", _int_str(rng.integers(8 * 10**7, 9 * 10**7, n)))
    return np.where(rng.random(n) < 0.7, mobile, landline)


def _mobiles(rng: np.random.Generator, n: int) -> StrArray:
    return _cat(
        _pick(rng, ("13", "15", "17", "18", "19"), n), _int_str(rng.integers(10**8, 10**9, n))
    )


def _named_emails(rng: np.random.Generator, n: int) -> StrArray:
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", np.uint8)
    local = _ascii_rows(letters[rng.integers(0, 26, (n, 8))])
    return _cat(local, _pick(rng, ("@163.com", "@126.com", "@sina.com", "@aliyun.com"), n))


def _emails(rng: np.random.Generator, n: int) -> ObjArray:
    """About 40% have an e-mail: QQ numbers or letters at common domains."""
    named = _named_emails(rng, n)
    qq = _cat(_int_str(rng.integers(10**7, 3 * 10**9, n)), "@qq.com")
    email = np.where(rng.random(n) < 0.55, qq, named).astype(object)
    email[rng.random(n) >= 0.4] = None
    return email


def _addresses(rng: np.random.Generator, district: IntArray, regions: _Regions) -> StrArray:
    n = len(district)
    street = _cat(
        regions.names[district], _pick(rng, _ROADS, n), _int_str(rng.integers(1, 900, n)), "号"
    )
    room = _cat(_int_str(rng.integers(1, 30, n)), "幢", _int_str(rng.integers(101, 2400, n)), "室")
    with_room = rng.random(n) < 0.6
    return _cat(
        np.full(n, reference.PROVINCE_NAME_ZH), np.where(with_room, _cat(street, room), street)
    )


def _share_within_groups(values: StrArray, group: IntArray) -> StrArray:
    """Give every member of a group the value of the group's first member."""
    rows = np.flatnonzero(group >= 0)
    if len(rows) == 0:
        return values
    order = rows[np.argsort(group[rows], kind="stable")]
    first = order[_rank_within(group[order]) == 0]
    leader_of = np.full(int(group.max()) + 1, -1, np.int64)
    leader_of[group[first]] = first
    out = values.copy()
    out[rows] = values[leader_of[group[rows]]]
    return out


def _names(
    rng: np.random.Generator, ent: _Enterprises, regions: _Regions, rows: IntArray | None = None
) -> StrArray:
    """Names by entity type: 杭州鑫达科技有限公司, 杭州市西湖区鑫达小吃店, ...分公司.

    With ``rows``, fresh names for those enterprises (former names before a name change).
    """
    idx = np.arange(ent.n, dtype=np.int64) if rows is None else rows
    n = len(idx)
    brand_len = np.where(rng.random(n) < 0.8, 2, 3)
    brand = _cat(_pick(rng, _BRAND, n), _pick(rng, _BRAND, n))
    brand = np.where(brand_len == 3, _cat(brand, _pick(rng, _BRAND, n)), brand)
    word = np.array([c[1] for c in _CLASSES])[ent.klass[idx]]
    prefecture = np.array([p.name_zh for p in reference.ZHEJIANG_PREFECTURES])
    district = ent.district[idx]
    city_short = np.strings.replace(prefecture[regions.prefecture[district]], "市", "")
    suffix = np.array(_ETYPE_SUFFIX)[ent.etype[idx]]
    local = np.isin(ent.etype[idx], (INDIV, COOP))
    names = _cat(np.where(local, regions.names[district], city_short), brand, word, suffix)
    # a branch is named after its parent; the parent's own (new) name stands in for it here
    parent = ent.branch_parent[idx]
    branch = np.flatnonzero(parent >= 0)
    if len(branch):
        head = names[branch] if rows is not None else names[parent[branch]]
        names[branch] = _cat(head, regions.short[district[branch]], "分公司")
    return names


# --- people ----------------------------------------------------------------------------------


def _draw_people(
    rng: np.random.Generator, n_people: int, cal: _Calendar, regions: _Regions
) -> tuple[StrArray, StrArray]:
    """Unique valid ID numbers (ages 24-72, 25% born outside Zhejiang) and names."""
    home = regions.codes[_choice(rng, regions.weights, n_people)]
    away = np.array(_OTHER_PROVINCE_REGIONS, np.int64)[
        rng.integers(0, len(_OTHER_PROVINCE_REGIONS), n_people)
    ]
    region = np.where(rng.random(n_people) < 0.75, home, away)
    age_days = ((24 + rng.beta(2.0, 2.6, n_people) * 48) * _YEAR).astype(np.int64)
    birth = cal.ymd(cal.today - age_days)
    seq = rng.integers(0, 1000, n_people)
    key = (region * 10**8 + birth) * 1000
    while True:  # the (region, birth date, sequence) triple must be unique; redraw collisions
        _, first = np.unique(key + seq, return_index=True)
        dup = np.setdiff1d(np.arange(n_people), first, assume_unique=True)
        if len(dup) == 0:
            break
        seq[dup] = rng.integers(0, 1000, len(dup))
    given = _pick(rng, _GIVEN, n_people)
    given = np.where(rng.random(n_people) < 0.7, _cat(given, _pick(rng, _GIVEN, n_people)), given)
    surname = np.array(list(_SURNAMES))[_choice(rng, _SURNAME_WEIGHT, n_people)]
    return _id_numbers(region, birth, seq), _cat(surname, given)


# --- relations -------------------------------------------------------------------------------


@dataclass
class _Links:
    """Current relations as integer arrays (people by index, enterprises by row)."""

    legal_rep: IntArray  # person per enterprise
    h_kind: IntArray  # 0 person, 1 enterprise
    h_holder: IntArray
    h_target: IntArray
    h_ratio: FloatArray
    h_since: IntArray
    h_join: FloatArray  # > 0: joined that far into the target's life (see _place_late_joins)
    o_person: IntArray
    o_ent: IntArray
    o_role: IntArray  # 0 director, 1 supervisor, 2 manager


class _PersonPool:
    """Hands out people: fresh ones first, then re-used ones weighted by a heavy-tailed activity.

    Most people end up with one role; a few (serial founders, professional nominees) with many.
    """

    def __init__(self, rng: np.random.Generator, n_people: int) -> None:
        self.rng = rng
        self.order = rng.permutation(n_people)
        self.next_fresh = 0
        activity = np.minimum(rng.pareto(1.6, n_people) + 0.05, 200.0)
        self.cdf = np.cumsum(activity / activity.sum())

    def fresh(self, size: int) -> IntArray:
        take = self.order[self.next_fresh : self.next_fresh + size]
        self.next_fresh += len(take)
        return np.concatenate([take, self.reused(size - len(take))]).astype(np.int64)

    def reused(self, size: int) -> IntArray:
        picked = np.searchsorted(self.cdf, self.rng.random(size), side="right")
        return np.minimum(picked, len(self.cdf) - 1).astype(np.int64)

    def mixed(self, size: int, fresh_share: float) -> IntArray:
        is_fresh = self.rng.random(size) < fresh_share
        out = self.reused(size)
        out[is_fresh] = self.fresh(int(is_fresh.sum()))
        return out


def _pyramids(rng: np.random.Generator, ent: _Enterprises) -> tuple[IntArray, IntArray, FloatArray]:
    """Holding pyramids 2-4 layers deep: (parent, child, ratio) edges, ratio 0.51-1."""
    pool = rng.permutation(np.flatnonzero(ent.is_company & (ent.shell < 0)))
    roots = max(1, len(pool) // 60)
    sizes = [roots, 2 * roots, int(1.5 * roots), roots // 2 + 1]
    parents, children = [], []
    start = 0
    layers: list[IntArray] = []
    for size in sizes:
        layer = pool[start : start + size]
        start += size
        if len(layer) == 0:
            break
        if layers:
            above = layers[-1]
            parents.append(above[rng.integers(0, len(above), len(layer))])
            children.append(layer)
        layers.append(layer)
    if not parents:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    parent, child = np.concatenate(parents), np.concatenate(children)
    ratio = np.where(rng.random(len(child)) < 0.4, 1.0, rng.uniform(0.51, 1.0, len(child)))
    for layer in layers[:1]:  # group parents are large
        ent.registered[layer] *= 10.0
        ent.paid_in[layer] *= 10.0
    return parent, child, ratio


def _cycles(
    rng: np.random.Generator, pool: IntArray, n_cycles: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Cross-holding cycles of length 2 or 3 on disjoint companies, ratio 5-30% per edge."""
    lengths = rng.integers(2, 4, n_cycles)
    lengths = lengths[np.cumsum(lengths) <= len(pool)]
    members = rng.permutation(pool)[: int(lengths.sum())]
    cycle = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    pos = np.arange(len(members)) - starts[cycle]
    nxt = starts[cycle] + (pos + 1) % lengths[cycle]
    return members, members[nxt], rng.uniform(0.05, 0.3, len(members))


def _enterprise_holdings(
    rng: np.random.Generator, ent: _Enterprises
) -> tuple[IntArray, IntArray, FloatArray]:
    """All enterprise->enterprise holdings; every target gets at most one such edge."""
    parent, child, ratio = _pyramids(rng, ent)
    companies = np.flatnonzero(ent.is_company & (ent.shell < 0))
    free = np.setdiff1d(companies, np.concatenate([parent, child]))
    c_from, c_to, c_ratio = _cycles(rng, free, max(2, ent.n // 4000))
    free = np.setdiff1d(free, c_from)
    investors = np.flatnonzero(
        (ent.is_company | (ent.etype == PART)) & (ent.shell < 0) & ~ent.is_branch
    )
    targets = free[rng.random(len(free)) < 0.05]
    partnerships = np.flatnonzero((ent.etype == PART) & ~ent.is_branch)
    targets = np.concatenate([targets, partnerships[rng.random(len(partnerships)) < 0.25]])
    holders = investors[rng.integers(0, len(investors), len(targets))]
    keep = holders != targets
    return (
        np.concatenate([parent, c_from, holders[keep]]),
        np.concatenate([child, c_to, targets[keep]]),
        np.concatenate([ratio, c_ratio, rng.uniform(0.1, 0.49, int(keep.sum()))]),
    )


def _person_holder_slots(rng: np.random.Generator, ent: _Enterprises) -> IntArray:
    """Number of co-founder shareholder slots besides the founder, per enterprise."""
    n = ent.n
    extra = np.zeros(n, np.int64)
    lc = ent.is_company & (ent.etype == LC) & (ent.shell < 0)
    extra[lc] = _choice(rng, (0.45, 0.35, 0.12, 0.05, 0.03), int(lc.sum()))
    jsc = ent.is_company & (ent.etype == JSC)
    extra[jsc] = 2 + rng.poisson(3.0, int(jsc.sum()))
    part = (ent.etype == PART) & ~ent.is_branch
    extra[part] = 1 + rng.binomial(3, 0.3, int(part.sum()))
    coop = ent.etype == COOP
    extra[coop] = 4 + rng.poisson(2.0, int(coop.sum()))
    return extra


def _draw_links(
    rng: np.random.Generator, ent: _Enterprises, pool: _PersonPool, cal: _Calendar
) -> _Links:
    """Legal representatives, shareholdings (people and enterprises) and officers as of today."""
    n, n_people = ent.n, len(pool.cdf)
    # founders: mostly one enterprise each; 12% serial founders drawn by activity
    legal_rep = pool.mixed(n, fresh_share=0.88)
    e_holder, e_target, e_ratio = _enterprise_holdings(rng, ent)
    # a third of subsidiaries are run by the parent's legal representative
    group_run = rng.random(len(e_target)) < 0.33
    legal_rep[e_target[group_run]] = legal_rep[e_holder[group_run]]
    _assign_nominees(rng, ent, legal_rep, pool)

    holds = ~ent.is_branch & (ent.etype != INDIV)
    extra = _person_holder_slots(rng, ent)
    founders = np.flatnonzero(holds)
    co_target = np.repeat(np.arange(n, dtype=np.int64), extra)
    p_target = np.concatenate([founders, co_target])
    p_holder = np.concatenate([legal_rep[founders], pool.mixed(len(co_target), fresh_share=0.7)])
    weight = np.concatenate(
        [1.0 + 2.0 * rng.random(len(founders)), rng.uniform(0.2, 1.0, len(co_target))]
    )
    p_holder, p_target, weight = _merge_duplicates(p_holder, p_target, weight, n_people)

    # nominee stakes are fixed small ratios, taken out of what the founders share
    has_corporate_holder = np.bincount(e_target, minlength=n) > 0
    n_holder, n_target, n_ratio, n_join = _nominee_stakes(rng, ent, pool, has_corporate_holder)
    clash = np.isin(n_target * n_people + n_holder, p_target * n_people + p_holder)
    n_holder, n_target, n_ratio, n_join = (
        n_holder[~clash], n_target[~clash], n_ratio[~clash], n_join[~clash]
    )
    fixed = np.bincount(e_target, weights=e_ratio, minlength=n)
    fixed += np.bincount(n_target, weights=n_ratio, minlength=n)

    person_total = np.bincount(p_target, weights=weight, minlength=n)
    p_ratio = weight / person_total[p_target] * (1.0 - fixed[p_target])
    keep = p_ratio >= 1e-4
    n_person = int(keep.sum()) + len(n_holder)

    h_kind = np.concatenate([np.zeros(n_person, np.int64), np.ones(len(e_holder), np.int64)])
    h_holder = np.concatenate([p_holder[keep], n_holder, e_holder])
    h_target = np.concatenate([p_target[keep], n_target, e_target])
    # floored to 4 decimals, so that the ratios of one enterprise never sum above 1
    ratio = np.floor(np.concatenate([p_ratio[keep], n_ratio, e_ratio]) * 1e4) / 1e4
    since_enterprise = np.maximum(ent.established[e_target], ent.established[e_holder])
    h_since = np.concatenate(
        [ent.established[p_target[keep]], ent.established[n_target],
         np.minimum(since_enterprise, cal.today)]
    )
    h_join = np.concatenate([np.zeros(int(keep.sum())), n_join, np.zeros(len(e_holder))])
    o_person, o_ent, o_role = _officers(rng, ent, legal_rep, pool)
    return _Links(
        legal_rep, h_kind, h_holder, h_target, ratio, h_since, h_join, o_person, o_ent, o_role
    )


def _nominee_stakes(
    rng: np.random.Generator, ent: _Enterprises, pool: _PersonPool, excluded: BoolArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Professional nominee shareholders (代持): one person, small stakes in many companies.

    About one nominee per 5,000 enterprises, each with 0.5-5% of 15-60 limited companies drawn
    at random from the whole province (so the companies are otherwise unrelated; no company
    has two nominees), joining at a random point of the company's life. Companies that another
    enterprise holds are left out so that their ratios stay within 1. Returns (person,
    company, ratio, join fraction in (0, 1)).
    """
    free = np.flatnonzero(ent.is_company & (ent.etype == LC) & (ent.shell < 0) & ~excluded)
    sizes = rng.integers(15, 61, max(2, ent.n // 5000))
    sizes = sizes[np.cumsum(sizes) <= len(free)]
    target = rng.permutation(free)[: int(sizes.sum())]
    # people not handed out before (re-use by activity may still give some another role)
    person = np.repeat(pool.fresh(len(sizes)), sizes)
    ratio = np.round(rng.uniform(0.005, 0.05, len(target)), 4)
    join = rng.uniform(0.05, 1.0, len(target))
    return person, target, ratio, join


def _place_late_joins(ent: _Enterprises, links: _Links) -> None:
    """Date the late-joining holdings once the enterprises' active spans are known."""
    late = np.flatnonzero(links.h_join > 0)
    target = links.h_target[late]
    span = np.maximum(ent.end[target] - 1 - ent.established[target], 0)
    links.h_since[late] = ent.established[target] + (links.h_join[late] * span).astype(np.int64)


def _merge_duplicates(
    holder: IntArray, target: IntArray, weight: FloatArray, n_people: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """One row per (holder, target): a person drawn twice for one enterprise holds once."""
    key = target * n_people + holder
    unique, inverse = np.unique(key, return_inverse=True)
    merged: FloatArray = np.bincount(inverse, weights=weight).astype(np.float64)
    return (unique % n_people).astype(np.int64), (unique // n_people).astype(np.int64), merged


def _assign_nominees(
    rng: np.random.Generator, ent: _Enterprises, legal_rep: IntArray, pool: _PersonPool
) -> None:
    """Shell clusters share one to three nominee legal representatives (most just one)."""
    rows = np.flatnonzero(ent.shell >= 0)
    if len(rows) == 0:
        return
    n_clusters = int(ent.shell.max()) + 1
    nominees = pool.reused(3 * n_clusters).reshape(n_clusters, 3)
    # most clusters hide behind a single nominee: one address and one legal rep for all
    per_cluster = 1 + _choice(rng, (0.6, 0.25, 0.15), n_clusters)
    cluster = ent.shell[rows]
    legal_rep[rows] = nominees[cluster, rng.integers(0, 3, len(rows)) % per_cluster[cluster]]


def _officers(
    rng: np.random.Generator, ent: _Enterprises, legal_rep: IntArray, pool: _PersonPool
) -> tuple[IntArray, IntArray, IntArray]:
    """Companies: executive director = legal rep, a supervisor, a manager; JSC: full boards."""
    lc = np.flatnonzero(ent.is_company & (ent.etype == LC))
    jsc = np.flatnonzero(ent.is_company & (ent.etype == JSC))
    manager_lc = np.where(rng.random(len(lc)) < 0.7, legal_rep[lc], pool.mixed(len(lc), 0.6))
    board = np.repeat(jsc, 4)
    supervisors_jsc = np.repeat(jsc, 3)
    person = np.concatenate(
        [
            legal_rep[lc],
            pool.mixed(len(lc), 0.6),
            manager_lc,
            legal_rep[jsc],
            pool.mixed(len(board), 0.6),
            pool.mixed(len(supervisors_jsc), 0.7),
            pool.mixed(len(jsc), 0.5),
        ]
    )
    ent_of = np.concatenate([lc, lc, lc, jsc, board, supervisors_jsc, jsc])
    role = np.concatenate(
        [
            np.zeros(len(lc)),
            np.ones(len(lc)),
            np.full(len(lc), 2),
            np.zeros(len(jsc)),
            np.zeros(len(board)),
            np.ones(len(supervisors_jsc)),
            np.full(len(jsc), 2),
        ]
    ).astype(np.int64)
    _separate_supervisors(person, ent_of, role, pool)
    # one row per (person, enterprise, role)
    key = (ent_of * len(pool.cdf) + person) * 3 + role
    _, first = np.unique(key, return_index=True)
    first.sort()
    return person[first], ent_of[first], role[first]


def _separate_supervisors(
    person: IntArray, ent_of: IntArray, role: IntArray, pool: _PersonPool
) -> None:
    """Company law: a director or manager may not also be a supervisor; redraw clashes."""
    n_people = len(pool.cdf)
    for _ in range(20):
        managing = np.unique(ent_of[role != 1] * n_people + person[role != 1])
        sup = np.flatnonzero(role == 1)
        clash = sup[np.isin(ent_of[sup] * n_people + person[sup], managing)]
        if len(clash) == 0:
            return
        person[clash] = pool.reused(len(clash))


# --- hidden risk -----------------------------------------------------------------------------


def _own_risk(rng: np.random.Generator, ent: _Enterprises, cal: _Calendar) -> FloatArray:
    """Latent own risk from attributes (modest effects) plus noise; shells are risky."""
    age_years = (cal.today - ent.established) / _YEAR
    paid_share = np.where(ent.registered > 0, ent.paid_in / ent.registered, 1.0)
    paid_share = np.nan_to_num(paid_share, nan=1.0)
    tier = np.array([c[4] for c in _CLASSES], np.float64)[ent.klass]
    z = (
        -2.9
        + 0.5 * np.exp(-age_years / 1.2)
        + 0.6 * (1.0 - paid_share) * ent.is_company
        + 0.45 * tier
        + np.array(_ETYPE_RISK)[ent.etype]
        + 2.4 * (ent.shell >= 0)
        + 1.3 * rng.standard_normal(ent.n)
    )
    return _sigmoid(z)


def _incidence(
    rows: IntArray, cols: IntArray, weights: FloatArray, shape: tuple[int, int]
) -> sp.csr_matrix:
    return sp.csr_matrix((weights, (rows, cols)), shape=shape)


def _mean_over(incidence: sp.csr_matrix, values: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Weighted mean of ``values`` over each row's neighbours, and which rows have any."""
    total = np.asarray(incidence.sum(axis=1)).ravel()
    has = total > 0
    mean = np.zeros(incidence.shape[0])
    mean[has] = (incidence @ values)[has] / total[has]
    return mean, has


def _hidden_risk(
    rng: np.random.Generator, ent: _Enterprises, links: _Links, n_people: int, cal: _Calendar
) -> FloatArray:
    """Own risk mixed twice with neighbours' over control, people and shared addresses."""
    n = ent.n
    r0 = _own_risk(rng, ent, cal)
    corp = links.h_kind == 1
    branch = np.flatnonzero(ent.is_branch)
    src = np.concatenate([links.h_holder[corp], branch])
    dst = np.concatenate([links.h_target[corp], ent.branch_parent[branch]])
    w = np.concatenate([links.h_ratio[corp], np.ones(len(branch))])
    control = _incidence(np.r_[src, dst], np.r_[dst, src], np.r_[w, w], (n, n))

    person = links.h_kind == 0
    ent_rows = np.concatenate([np.arange(n), links.h_target[person], links.o_ent])
    people = np.concatenate([links.legal_rep, links.h_holder[person], links.o_person])
    pw = np.concatenate([np.ones(n), links.h_ratio[person], np.full(len(links.o_ent), 0.3)])
    by_person = _incidence(ent_rows, people, pw, (n, n_people))

    grouped = np.flatnonzero(ent.address_group >= 0)
    by_address = _incidence(
        grouped,
        ent.address_group[grouped],
        np.ones(len(grouped)),
        (n, int(ent.address_group.max()) + 1 if len(grouped) else 0),
    )

    person_by_ent, address_by_ent = by_person.T.tocsr(), by_address.T.tocsr()
    risk = r0
    for _ in range(2):
        from_control, has_control = _mean_over(control, risk)
        person_risk, _ = _mean_over(person_by_ent, risk)
        from_people, has_people = _mean_over(by_person, person_risk)
        addr_risk, _ = _mean_over(address_by_ent, risk)
        from_address, has_address = _mean_over(by_address, addr_risk)
        weights = np.stack([1.0 * has_control, 1.0 * has_people, 1.5 * has_address])
        values = np.stack([from_control, from_people, from_address])
        total = weights.sum(axis=0)
        neighbours = np.where(
            total > 0, (weights * values).sum(axis=0) / np.maximum(total, 1e-12), r0
        )
        risk = np.where(total > 0, 0.4 * r0 + 0.6 * neighbours, r0)
    return np.clip(risk, 0.0, 1.0)


# --- status and histories --------------------------------------------------------------------


def _draw_status(
    rng: np.random.Generator, ent: _Enterprises, risk: FloatArray, cal: _Calendar
) -> None:
    """Mostly operating; revocation and cancellation more likely for risky enterprises."""
    u = rng.random(ent.n)
    p_revoked = 0.004 + 0.15 * risk**2
    p_cancelled = 0.03 + 0.06 * risk
    p_suspended = 0.008 + 0.01 * risk
    status = np.select(
        [u < p_revoked, u < p_revoked + p_cancelled, u < p_revoked + p_cancelled + p_suspended],
        [2, 3, 1],
        0,
    )
    # an enterprise exits at least half a year, and suspends at least three months, after it
    # was established
    status[(status >= 2) & (ent.established > cal.today - 200)] = 0
    status[(status == 1) & (ent.established > cal.today - 91)] = 0
    ended = status >= 2
    ent.status[:] = status
    ent.end[ended] = _uniform_days(
        rng, ent.established[ended] + 180, np.full(int(ended.sum()), cal.today)
    )
    # a branch is cancelled with its parent; it cannot have opened after the parent closed,
    # so late openings move into the parent's life (branches hold no shares and no officers,
    # and their legal reps are drawn later, so nothing else depends on the old date)
    branch = np.flatnonzero(ent.is_branch)
    closed = branch[ent.status[ent.branch_parent[branch]] >= 2]
    parent = ent.branch_parent[closed]
    parent_end = ent.end[parent]
    late = np.flatnonzero(ent.established[closed] > parent_end - 2)
    ent.established[closed[late]] = _uniform_days(
        rng, np.minimum(ent.established[parent[late]] + 30, parent_end[late] - 2),
        parent_end[late] - 2,
    )
    ent.status[closed] = np.where(ent.status[closed] >= 2, ent.status[closed], 3)
    ent.end[closed] = np.maximum(
        np.minimum(ent.end[closed], parent_end), ent.established[closed] + 1
    )
    # when the final status took effect: exits on the first inactive day, suspensions at a
    # random day at least three months into the enterprise's life
    ent.status_day[:] = ent.established
    exited = ent.status >= 2
    ent.status_day[exited] = ent.end[exited]
    suspended = np.flatnonzero(ent.status == 1)
    ent.status_day[suspended] = _uniform_days(
        rng, ent.established[suspended] + 90, np.full(len(suspended), cal.today)
    )


def _chains(
    rng: np.random.Generator, start: IntArray, end: IntArray, counts: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """``counts[i]`` sorted change days strictly inside (start[i], end[i]): (item, day, rank)."""
    counts = np.where(end - start >= 2, counts, 0)
    item = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    day = _uniform_days(rng, start[item] + 1, end[item] - 1)
    order = np.lexsort((day, item))
    item, day = item[order], day[order]
    return item, day, _rank_within(item)


def _successor(
    values: npt.NDArray[_G],
    item: IntArray,
    rank: IntArray,
    counts: IntArray,
    current: npt.NDArray[_G],
) -> npt.NDArray[_G]:
    """In a chain of changes, the value after each change: the next historic one or the current."""
    out: npt.NDArray[_G] = np.where(rank + 1 < counts[item], np.roll(values, -1), current[item])
    return out


def _redraw_predecessors(
    pool: _PersonPool,
    previous: IntArray,
    rank: IntArray,
    chain_length: IntArray,
    ent: IntArray,
    since: IntArray,
    current: tuple[IntArray, IntArray, IntArray],
    final: IntArray,
) -> IntArray:
    """Redraw earlier holders of a role (in place) until the history is well formed.

    ``previous`` are the earlier holders of chains sorted by chain and date (``rank`` inside
    the chain, ``chain_length`` per row), ``final`` the current holder of each row's chain and
    ``current`` the (person, enterprise, since) rows of the current holders. Nobody may
    succeed themselves (a change from X to X), and no two rows may share (person,
    enterprise, since), which is the natural key deliveries are merged on. Returns each
    earlier holder's successor.
    """
    n_people = len(pool.cdf)
    people = np.concatenate([previous, current[0]])
    ents = np.concatenate([ent, current[1]])
    days = np.concatenate([since, current[2]])
    lo = int(days.min()) if len(days) else 0
    span = int(days.max()) - lo + 1 if len(days) else 1
    base = (ents * n_people) * span + (days - lo)  # key without the person
    for _ in range(50):
        successor = _successor(previous, np.arange(len(previous)), rank, chain_length, final)
        people[: len(previous)] = previous
        _, inverse, counts = np.unique(
            base + people * span, return_inverse=True, return_counts=True
        )
        bad = (previous == successor) | (counts[inverse[: len(previous)]] > 1)
        if not bad.any():
            return successor
        previous[bad] = pool.reused(int(bad.sum()))
    raise RuntimeError("could not draw a well-formed role history")  # pragma: no cover


def _rate_counts(
    rng: np.random.Generator, rate: FloatArray, years: FloatArray, cap: int
) -> IntArray:
    return np.minimum(rng.poisson(rate * years), cap).astype(np.int64)


@dataclass
class _Changes:
    """Accumulated ``change`` events as arrays."""

    ent: list[IntArray] = field(default_factory=list)
    day: list[IntArray] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    old: list[StrArray] = field(default_factory=list)
    new: list[StrArray] = field(default_factory=list)

    def add(self, name: str, ent: IntArray, day: IntArray, old: StrArray, new: StrArray) -> None:
        self.ent.append(ent)
        self.day.append(day)
        self.fields.append(name)
        self.sizes.append(len(ent))
        self.old.append(old.astype(np.str_))
        self.new.append(new.astype(np.str_))


def _legal_rep_history(
    rng: np.random.Generator,
    ent: _Enterprises,
    risk: FloatArray,
    links: _Links,
    pool: _PersonPool,
    person_names: StrArray,
    changes: _Changes,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Earlier legal representatives, ended by a change; frequent changes signal risk."""
    n = ent.n
    end = ent.end
    years = (end - ent.established) / _YEAR
    rate = (0.01 + 0.45 * risk) * np.where(ent.etype == INDIV, 0.3, 1.0)
    item, day, rank = _chains(rng, ent.established, end, _rate_counts(rng, rate, years, 4))
    counts = np.bincount(item, minlength=n)
    since = np.where(rank == 0, ent.established[item], np.roll(day, 1))
    current_since = ent.established.copy()
    last = np.flatnonzero(rank + 1 == counts[item])
    current_since[item[last]] = day[last]
    previous = pool.mixed(len(item), fresh_share=0.5)
    successor = _redraw_predecessors(
        pool, previous, rank, counts[item], item, since,
        (links.legal_rep, np.arange(n, dtype=np.int64), current_since), links.legal_rep[item],
    )
    changes.add("legal_rep", item, day, person_names[previous], person_names[successor])
    person = np.concatenate([previous, links.legal_rep])
    ent_of = np.concatenate([item, np.arange(n, dtype=np.int64)])
    return (
        person,
        ent_of,
        np.concatenate([since, current_since]),
        np.concatenate([day, np.full(n, NO_DAY)]),
    )


def _shareholder_history(
    rng: np.random.Generator,
    ent: _Enterprises,
    risk: FloatArray,
    links: _Links,
    pool: _PersonPool,
    person_names: StrArray,
    changes: _Changes,
) -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, IntArray]:
    """Equity transfers between people: the old holder's row ends the day the new one starts."""
    n = ent.n
    person_rows = np.flatnonzero(links.h_kind == 0)
    rows = person_rows[np.argsort(links.h_target[person_rows], kind="stable")]
    per_ent = np.bincount(links.h_target[rows], minlength=n)
    first = np.r_[0, np.cumsum(per_ent)[:-1]]
    years = (ent.end - ent.established) / _YEAR
    n_changes = _rate_counts(rng, (0.01 + 0.4 * risk) * (per_ent > 0), years, 3)
    which = np.repeat(np.arange(n, dtype=np.int64), n_changes)
    picked = rows[first[which] + (rng.random(len(which)) * per_ent[which]).astype(np.int64)]
    row_counts = np.bincount(picked, minlength=len(links.h_kind))
    since0 = links.h_since
    end = np.maximum(ent.end[links.h_target], since0 + 1)
    item, day, rank = _chains(rng, since0, end, row_counts)
    counts = np.bincount(item, minlength=len(links.h_kind))
    target = links.h_target[item]
    since = np.where(rank == 0, since0[item], np.roll(day, 1))
    current_since = since0.copy()
    last = np.flatnonzero(rank + 1 == counts[item])
    current_since[item[last]] = day[last]
    previous = pool.mixed(len(item), fresh_share=0.5)
    successor = _redraw_predecessors(
        pool, previous, rank, counts[item], target, since,
        (links.h_holder[person_rows], links.h_target[person_rows], current_since[person_rows]),
        links.h_holder[item],
    )
    changes.add("shareholder", target, day, person_names[previous], person_names[successor])
    return (
        np.concatenate([np.zeros(len(item), np.int64), links.h_kind]),
        np.concatenate([previous, links.h_holder]),
        np.concatenate([target, links.h_target]),
        np.concatenate([links.h_ratio[item], links.h_ratio]),
        np.concatenate([since, current_since]),
        np.concatenate([day, np.full(len(links.h_kind), NO_DAY)]),
    )


def _attribute_changes(
    rng: np.random.Generator,
    ent: _Enterprises,
    risk: FloatArray,
    regions: _Regions,
    current: dict[str, StrArray],
    changes: _Changes,
) -> None:
    """Address, name and capital changes with the chain of old values ending at the current."""
    years = (ent.end - ent.established) / _YEAR
    has_capital = ~np.isnan(ent.registered)  # branches and some individual businesses have none
    rates = {
        "address": 0.01 + 0.5 * risk,
        "name": 0.005 + 0.12 * risk,
        "registered_capital": (0.01 + 0.15 * risk) * has_capital,
    }
    for attribute, rate in rates.items():
        item, day, rank = _chains(rng, ent.established, ent.end, _rate_counts(rng, rate, years, 3))
        counts = np.bincount(item, minlength=ent.n)
        if attribute == "address":
            old = _addresses(rng, ent.district[item], regions)
        elif attribute == "name":
            old = _names(rng, ent, regions, rows=item)
        else:
            old = _former_capital(rng, ent.registered, item, rank, counts)
        changes.add(
            attribute, item, day, old, _successor(old, item, rank, counts, current[attribute])
        )


def _former_capital(
    rng: np.random.Generator, registered: FloatArray, item: IntArray, rank: IntArray,
    counts: IntArray,
) -> StrArray:
    """Former registered capitals (yuan text) of capital-change chains.

    Walks each chain back from the current capital: every former capital is the one after it
    times 0.1-3, rounded to thousands (below 100,000) or ten thousands, and never equal to it.
    """
    factors = np.array([0.1, 0.2, 0.5, 2.0, 3.0])
    old = np.zeros(len(item))
    steps_back = counts[item] - 1 - rank
    for back in range(int(steps_back.max()) + 1 if len(item) else 0):  # chain steps, not rows
        rows = np.flatnonzero(steps_back == back)
        after = _successor(old, item, rank, counts, registered)[rows]
        todo = np.ones(len(rows), bool)
        for _ in range(200):  # rounding can undo the scaling of small capitals; redraw those
            value = after[todo] * factors[rng.integers(0, len(factors), int(todo.sum()))]
            unit = np.where(value < 1e5, 1e3, 1e4)
            old[rows[todo]] = np.maximum(unit, np.round(value / unit) * unit)
            todo = old[rows] == after
            if not todo.any():
                break
        else:  # pragma: no cover - each draw succeeds with probability 0.4 at least
            raise RuntimeError("could not draw former registered capitals")
    return _int_str(old)


# --- events ----------------------------------------------------------------------------------

EVENT_KINDS: Final = {
    "change": "CHG",
    "filing": "FIL",
    "equity_pledge": "EQP",
    "ip_pledge": "IPP",
    "licence": "LIC",
    "penalty": "PEN",
    "abnormal_listing": "ABN",
    "serious_dishonesty": "SDL",
    "inspection": "INS",
    "complaint": "CMP",
    "annual_report": "ANR",
    "court_enforcement": "CRT",
    "tax_violation": "TAX",
}
_THREE_YEARS: Final = 1096  # publicity period of penalties and the serious-dishonesty list
_HALF_YEAR: Final = 183  # publicity of minor (simple-procedure) penalties


def _zero_padded(values: IntArray, width: int) -> StrArray:
    # np.strings.zfill reduces over the array, which fails on an empty one.
    if len(values) == 0:
        return np.asarray([], dtype=np.str_)
    return np.strings.zfill(_int_str(values), width)


@dataclass(frozen=True)
class _EventFrames:
    """Builds event frames with stable ids ``{uscc}-{KIND}-{nnnn}`` (nnnn: order by date)."""

    cal: _Calendar
    uscc: StrArray

    def frame(
        self,
        kind: str,
        ent: IntArray,
        day: IntArray,
        source: str,
        publicity_end: IntArray | None = None,
        extra: dict[str, npt.NDArray[np.generic]] | None = None,
        date_extra: dict[str, IntArray] | None = None,
        id_suffix: IntArray | None = None,
    ) -> pd.DataFrame:
        order = np.lexsort((day, ent))
        ent, day = ent[order], day[order]
        suffix = id_suffix[order] if id_suffix is not None else _rank_within(ent) + 1
        uscc = self.uscc[ent]
        columns: dict[str, object] = {
            "event_id": _cat(uscc, f"-{EVENT_KINDS[kind]}-", _zero_padded(suffix, 4)),
            "uscc": uscc,
            "date": self._dates(day),
            "source": np.full(len(ent), source),
            "publicity_end": self._dates(
                publicity_end[order] if publicity_end is not None else np.full(len(ent), NO_DAY)
            ),
        }
        for name, values in (extra or {}).items():
            ordered = values[order]
            columns[name] = pd.Series(ordered, dtype=object) if ordered.dtype == object else ordered
        for name, days in (date_extra or {}).items():
            columns[name] = self._dates(days[order])
        return pd.DataFrame(columns)

    def _dates(self, days: IntArray) -> pd.Series[Any]:
        return pd.Series(self.cal.dates(days), dtype=object)


def _active_years(ent: _Enterprises) -> FloatArray:
    return (ent.end - ent.established) / _YEAR


def _poisson_events(
    rng: np.random.Generator,
    ent: _Enterprises,
    rate: npt.NDArray[np.floating[Any]],
    recent_bias: FloatArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Events at ``rate`` per active year, uniform over the active span (or skewed recent)."""
    counts = rng.poisson(rate * _active_years(ent))
    item = np.repeat(np.arange(ent.n, dtype=np.int64), counts)
    lo, hi = ent.established[item], ent.end[item] - 1
    u = rng.random(len(item))
    if recent_bias is not None:
        u = 1.0 - u ** (1.0 + recent_bias[item])
    day = lo + np.minimum((u * (hi - lo + 1)).astype(np.int64), hi - lo)
    return item, day


def _change_events(frames: _EventFrames, changes: _Changes) -> pd.DataFrame:
    ent = np.concatenate(changes.ent)
    return frames.frame(
        "change",
        ent,
        np.concatenate(changes.day),
        "registry",
        extra={
            "field": np.repeat(np.array(changes.fields), changes.sizes),
            "old": np.concatenate(changes.old),
            "new": np.concatenate(changes.new),
        },
    )


def _licence_events(
    rng: np.random.Generator,
    ent: _Enterprises,
    sector_mask: IntArray,
    risk: FloatArray,
    frames: _EventFrames,
) -> pd.DataFrame:
    """One licence per sector (and food-business licences); 5-year validity, renewals."""
    cal = frames.cal
    holders, types = [], []
    for bit, sector in enumerate(SECTORS):
        rows = np.flatnonzero(sector_mask & (1 << bit))
        holders.append(rows)
        types.append(np.full(len(rows), _LICENCE_OF_SECTOR[sector]))
    food = np.flatnonzero(
        np.isin(ent.klass, [i for i, c in enumerate(_CLASSES) if c[0] in _FOOD_BUSINESS_CLASSES])
    )
    holders.append(food)
    types.append(np.full(len(food), "food_business"))
    item = np.concatenate(holders)
    kind = np.concatenate(types)
    production = ent.klass[item] == [c[0] for c in _CLASSES].index("3581")
    kind = np.where(
        (kind == "medical_device_business") & production, "medical_device_production", kind
    )
    last_day = ent.end[item] - 1
    issued = np.minimum(ent.established[item] + rng.integers(0, 60, len(item)), last_day)
    no_expiry = kind == "special_equipment_use"
    expires = np.where(no_expiry, NO_DAY, issued + 5 * 365)
    renew = ~no_expiry & (expires <= last_day)
    r_issued = expires[renew] - rng.integers(0, 30, int(renew.sum()))
    item = np.concatenate([item, item[renew]])
    kind = np.concatenate([kind, kind[renew]])
    issued = np.concatenate([issued, r_issued])
    expires = np.concatenate([expires, r_issued + 5 * 365])
    is_current = np.r_[~renew, np.ones(int(renew.sum()), bool)]
    valid_until = np.minimum(np.where(expires == NO_DAY, cal.today + 1, expires), ent.end[item])
    revoke = (
        is_current
        & (rng.random(len(item)) < 0.01 + 0.25 * risk[item] ** 2)
        & (valid_until - issued >= 2)
    )
    revoked = np.full(len(item), NO_DAY)
    revoked[revoke] = _uniform_days(rng, issued[revoke] + 1, valid_until[revoke] - 1)
    return frames.frame(
        "licence",
        item,
        issued,
        "licensing",
        extra={"licence_type": kind},
        date_extra={"expires": expires, "revoked": revoked},
    )


def _penalty_events(
    rng: np.random.Generator,
    ent: _Enterprises,
    sector_mask: IntArray,
    risk: FloatArray,
    regions: _Regions,
    frames: _EventFrames,
) -> tuple[pd.DataFrame, IntArray, IntArray]:
    """Administrative penalties; returns also (enterprise, day) of the serious ones."""
    item, day = _poisson_events(rng, ent, 0.003 + 0.35 * risk**1.3)
    h = risk[item]
    u = rng.random(len(item))
    p_serious, p_minor = 0.04 + 0.3 * h, 0.55 - 0.35 * h
    severity = np.where(
        u < p_serious, "serious", np.where(u < p_serious + p_minor, "minor", "general")
    )
    amount = np.select(
        [severity == "minor", severity == "general"],
        [
            np.where(rng.random(len(item)) < 0.2, 0.0, rng.uniform(200, 5000, len(item))),
            np.exp(np.log(2e4) + 0.8 * rng.standard_normal(len(item))),
        ],
        np.exp(np.log(2e5) + 0.9 * rng.standard_normal(len(item))),
    ).round(-2)
    category = _pick(rng, _PENALTY_CATEGORIES, len(item))
    first_sector = np.full(len(item), -1)
    for bit in reversed(range(len(SECTORS))):
        first_sector = np.where(sector_mask[item] & (1 << bit), bit, first_sector)
    sector_category = np.array([_PENALTY_CATEGORY_OF_SECTOR[s] for s in SECTORS] + [""])[
        first_sector
    ]
    category = np.where(
        (first_sector >= 0) & (rng.random(len(item)) < 0.6), sector_category, category
    )
    prefecture_bureau = np.array(
        [p.name_zh + "市场监督管理局" for p in reference.ZHEJIANG_PREFECTURES]
    )
    district = ent.district[item]
    authority = np.where(
        (severity == "serious") & (rng.random(len(item)) < 0.5),
        prefecture_bureau[regions.prefecture[district]],
        regions.authority[district],
    )
    publicity = day + np.where(severity == "minor", _HALF_YEAR, _THREE_YEARS)
    # 首违不罚: an enterprise's first penalty record, minor and without a fine, is a decision
    # not to punish (derived from the draws above: no extra random numbers).
    by_date = np.lexsort((day, item))
    first = np.empty(len(item), dtype=bool)
    first[by_date] = _rank_within(item[by_date]) == 0
    unpunished = first & (severity == "minor") & (amount == 0)
    frame = frames.frame(
        "penalty",
        item,
        day,
        "penalty_system",
        publicity_end=publicity,
        extra={
            "amount": amount,
            "category": category,
            "severity": severity,
            "authority": authority,
            "unpunished": unpunished,
        },
    )
    serious = severity == "serious"
    return frame, item[serious], day[serious]


def draw_inspection_outcomes(rng: np.random.Generator, risk: FloatArray) -> StrArray:
    """Outcome of an inspection of enterprises with hidden risk ``risk``: not_found with
    probability ``0.005 + 0.35 h^1.5``, refused ``0.002 + 0.04 h``, problem ``0.03 + 0.6 h``,
    else clean. The generator's model; also the supervision simulation's inspectors."""
    u = rng.random(len(risk))
    p_nf, p_ref, p_prob = 0.005 + 0.35 * risk**1.5, 0.002 + 0.04 * risk, 0.03 + 0.6 * risk
    outcome: StrArray = np.select(
        [u < p_nf, u < p_nf + p_ref, u < p_nf + p_ref + p_prob],
        ["not_found", "refused", "problem"],
        "clean",
    )
    return outcome


def _inspection_events(
    rng: np.random.Generator,
    ent: _Enterprises,
    risk: FloatArray,
    regions: _Regions,
    frames: _EventFrames,
) -> tuple[pd.DataFrame, IntArray, IntArray, StrArray]:
    """Double-random spot checks plus targeted ones; returns (frame, ent, day, outcome)."""
    item, day = _poisson_events(rng, ent, 0.05 + 0.12 * risk)
    outcome = draw_inspection_outcomes(rng, risk[item])
    ymd = frames.cal.ymd(day)
    prefecture = np.array([p.code[:4] for p in reference.ZHEJIANG_PREFECTURES])[
        regions.prefecture[ent.district[item]]
    ]
    task = _cat(
        prefecture,
        "-",
        _int_str(ymd // 10000),
        "-SJ",
        np.strings.zfill(_int_str(ymd // 100 % 100), 2),
    )
    frame = frames.frame(
        "inspection", item, day, "inspection", extra={"task_id": task, "outcome": outcome}
    )
    return frame, item, day, outcome


def _complaint_events(
    rng: np.random.Generator, ent: _Enterprises, risk: FloatArray, frames: _EventFrames
) -> pd.DataFrame:
    """12315 complaints: consumer-facing sections far more; risky ones more and more recently."""
    section = np.array([reference.industry_section(c[0]) for c in _CLASSES])[ent.klass]
    base = np.where(np.isin(section, list(_CONSUMER_SECTIONS)), 0.2, 0.04)
    item, day = _poisson_events(rng, ent, base * (0.1 + 8.0 * risk), recent_bias=3.0 * risk)
    category = _pick(rng, _COMPLAINT_CATEGORIES, len(item))
    return frames.frame("complaint", item, day, "complaints_12315", extra={"category": category})


def _amount_events(
    rng: np.random.Generator,
    ent: _Enterprises,
    rate: FloatArray,
    median: float,
    kind: str,
    source: str,
    frames: _EventFrames,
    publicity_days: int | None = None,
) -> pd.DataFrame:
    item, day = _poisson_events(rng, ent, rate)
    amount = np.exp(np.log(median) + 1.2 * rng.standard_normal(len(item))).round(-2)
    publicity = day + publicity_days if publicity_days is not None else None
    return frames.frame(kind, item, day, source, publicity_end=publicity, extra={"amount": amount})


def _annual_reports(
    rng: np.random.Generator, ent: _Enterprises, risk: FloatArray, frames: _EventFrames
) -> tuple[pd.DataFrame, IntArray, IntArray, IntArray]:
    """Reports for every year since establishment whose 30 June deadline has passed.

    Returns the frame plus (enterprise, listing-trigger day, removal day) for each report that
    was missing (removal ``NO_DAY``) or filed after the listing date.
    """
    cal = frames.cal
    cutoff = np.minimum(ent.end - 1, cal.today)
    cutoff_year = cal.years(cutoff)
    last = cutoff_year - np.where(cutoff >= cal.day_of(cutoff_year, 6, 30), 1, 2)
    first = cal.years(ent.established)
    item = np.repeat(np.arange(ent.n, dtype=np.int64), np.maximum(0, last - first + 1))
    year = first[item] + _rank_within(item)
    h = risk[item]
    u = rng.random(len(item))
    p_missing, p_late = 0.003 + 0.45 * h**1.5, 0.01 + 0.6 * h
    missing = u < p_missing
    late = ~missing & (u < p_missing + p_late)
    deadline = cal.day_of(year + 1, 6, 30)
    on_time_day = cal.day_of(year + 1, 1, 1) + (rng.beta(3.0, 1.5, len(item)) * 180).astype(
        np.int64
    )
    late_day = deadline + 1 + rng.exponential(60.0, len(item)).astype(np.int64)
    missing |= late & (late_day > cutoff[item])
    day = np.where(late, late_day, on_time_day)
    listed = deadline + rng.integers(10, 75, len(item))
    listable = (listed <= cutoff[item]) & (missing | (late & (day > listed)))
    removed = np.where(missing, NO_DAY, np.minimum(day + rng.integers(1, 10, len(item)), cal.today))
    filed = ~missing
    frame = frames.frame(
        "annual_report",
        item[filed],
        day[filed],
        "registry",
        extra={"year": year[filed], "on_time": ~late[filed]},
        id_suffix=year[filed],
    )
    return frame, item[listable], listed[listable], removed[listable]


def _listings(
    rng: np.random.Generator,
    ent: _Enterprises,
    risk: FloatArray,
    cal: _Calendar,
    report_listings: tuple[IntArray, IntArray, IntArray],
    inspections: tuple[IntArray, IntArray, StrArray],
    serious_penalties: tuple[IntArray, IntArray],
) -> tuple[
    tuple[IntArray, IntArray, IntArray, StrArray], tuple[IntArray, IntArray, IntArray, StrArray]
]:
    """Abnormal-operations listings and the serious-dishonesty list they lead to.

    Returns (enterprise, listed, removed, reason) for each list.
    """
    r_ent, r_listed, r_removed = report_listings
    i_ent, i_day, outcome = inspections
    unreachable = outcome == "not_found"
    concealed = (outcome == "problem") & (rng.random(len(outcome)) < 0.15)
    pick = unreachable | concealed
    l_ent = i_ent[pick]
    l_day = i_day[pick] + rng.integers(5, 40, int(pick.sum()))
    ok = l_day < ent.end[l_ent]
    l_ent, l_day = l_ent[ok], l_day[ok]
    reason_i = np.where(unreachable[pick][ok], "unreachable_at_address", "information_concealed")
    repaired = rng.random(len(l_ent)) < 0.35 * (1.0 - risk[l_ent])
    l_removed = np.where(repaired, l_day + rng.integers(30, 365, len(l_ent)), NO_DAY)
    l_removed = np.where(l_removed > cal.today, NO_DAY, l_removed)
    a_ent = np.concatenate([r_ent, l_ent])
    a_listed = np.concatenate([r_listed, l_day])
    a_removed = np.concatenate([r_removed, l_removed])
    a_reason = np.concatenate([np.full(len(r_ent), "annual_report_not_filed"), reason_i])
    a_removed[a_removed >= ent.end[a_ent]] = NO_DAY  # nobody is removed after closing

    # three years on the abnormal list without removal -> serious-dishonesty list (and off
    # the abnormal list); one such transfer per enterprise
    moved_day = a_listed + _THREE_YEARS + rng.integers(0, 30, len(a_ent))
    stale = np.flatnonzero(
        (a_removed == NO_DAY) & (moved_day <= cal.today) & (moved_day < ent.end[a_ent])
    )
    stale = stale[np.lexsort((a_listed[stale], a_ent[stale]))]
    stale = stale[_rank_within(a_ent[stale]) == 0]
    a_removed[stale] = moved_day[stale]
    p_ent, p_day = serious_penalties
    from_penalty = rng.random(len(p_ent)) < 0.25
    shells = np.flatnonzero((ent.shell >= 0) & (rng.random(ent.n) < 0.04))
    d_ent = np.concatenate([a_ent[stale], p_ent[from_penalty], shells])
    d_listed = np.concatenate(
        [
            moved_day[stale],
            p_day[from_penalty] + rng.integers(15, 90, int(from_penalty.sum())),
            _uniform_days(rng, ent.established[shells], ent.end[shells] - 1),
        ]
    )
    d_reason = np.repeat(
        np.array(["abnormal_list_three_years", "serious_violation", "false_registration"]),
        [len(stale), int(from_penalty.sum()), len(shells)],
    )
    keep = (d_listed <= cal.today) & (d_listed < ent.end[d_ent])
    d_ent, d_listed, d_reason = d_ent[keep], d_listed[keep], d_reason[keep]
    expired = d_listed + _THREE_YEARS <= cal.today
    early = _uniform_days(rng, d_listed + 365, d_listed + _THREE_YEARS - 1)
    repaired = ~expired & (rng.random(len(d_ent)) < 0.1) & (early <= cal.today)
    d_removed = np.select([expired, repaired], [d_listed + _THREE_YEARS, early], NO_DAY)
    return (a_ent, a_listed, a_removed, a_reason), (d_ent, d_listed, d_removed, d_reason)


# --- assembly --------------------------------------------------------------------------------


def _sector_mask(rng: np.random.Generator, ent: _Enterprises) -> IntArray:
    """Bit ``i`` set when the enterprise falls under sector overlay ``SECTORS[i]``."""
    bit_of: dict[str, int] = {sector: 1 << i for i, sector in enumerate(SECTORS)}
    class_bit = np.array(
        [bit_of[_CLASS_SECTORS[c[0]][0]] if c[0] in _CLASS_SECTORS else 0 for c in _CLASSES]
    )
    class_p = np.array(
        [_CLASS_SECTORS[c[0]][1] if c[0] in _CLASS_SECTORS else 0.0 for c in _CLASSES]
    )
    manufacturing = np.array([13 <= int(c[0][:2]) <= 43 for c in _CLASSES])[ent.klass]
    mask = np.where(rng.random(ent.n) < class_p[ent.klass], class_bit[ent.klass], 0)
    # some other manufacturers use boilers or lifting equipment, or make licensed products
    mask |= np.where(manufacturing & (rng.random(ent.n) < 0.05), bit_of["special_equipment"], 0)
    mask |= np.where(manufacturing & (rng.random(ent.n) < 0.08), bit_of["industrial_products"], 0)
    return np.where(ent.shell >= 0, 0, mask).astype(np.int64)


def _sector_tuples(mask: IntArray) -> ObjArray:
    """Sector tuples (as in the model) per enterprise; immutable, so rows may share one."""
    combos = np.empty(1 << len(SECTORS), dtype=object)
    for m in range(len(combos)):  # one per combination of sectors, not per row
        combos[m] = tuple(s for i, s in enumerate(SECTORS) if m >> i & 1)
    out: ObjArray = combos[mask]
    return out


def _enterprise_frame(
    rng: np.random.Generator,
    ent: _Enterprises,
    regions: _Regions,
    uscc: StrArray,
    names: StrArray,
    sector_mask: IntArray,
    cal: _Calendar,
) -> tuple[pd.DataFrame, StrArray]:
    address = _share_within_groups(_addresses(rng, ent.district, regions), ent.address_group)
    phone = _share_within_groups(_phones(rng, ent, regions), ent.phone_group)
    statuses = np.array(list(reference.STATUSES))
    classes = np.array([c[0] for c in _CLASSES])
    frame = pd.DataFrame(
        {
            "uscc": uscc,
            "name": names,
            "entity_type": np.array(ENTITY_TYPES)[ent.etype],
            "status": statuses[ent.status],
            "established": pd.Series(cal.dates(ent.established), dtype=object),
            "region_code": _int_str(regions.codes[ent.district]),
            "industry_code": classes[ent.klass],
            "registered_capital": ent.registered,
            "paid_in_capital": ent.paid_in,
            "sectors": pd.Series(_sector_tuples(sector_mask), dtype=object),
            "address": address,
            "phone": phone,
            "email": pd.Series(_emails(rng, ent.n), dtype=object),
            # every enterprise is younger than the USCC reform (2015-2017), so none has a
            # registration number from before it
            "legacy_regno": pd.Series(np.full(ent.n, None, dtype=object), dtype=object),
        }
    )
    return frame, address


_CONTACT_KINDS: Final = ("address", "phone", "email")


def _contact_frame(
    rng: np.random.Generator,
    ent: _Enterprises,
    regions: _Regions,
    enterprises: pd.DataFrame,
    cal: _Calendar,
) -> pd.DataFrame:
    """Further contacts beyond the registered ones (annual reports, 12315 and inspection files).

    About 12% of enterprises give one or two more mobile numbers, 6% another e-mail and 5% a
    separate business premises (经营场所) in their district; 70% of the members of a shell
    cluster give the e-mail of the agent who registered the cluster, one per cluster, so that
    shells are also linked by a shared e-mail. A contact equal to the registered one is left
    out, and (uscc, kind, value) is unique. Each is declared (``since``) on a uniform day
    between the establishment and ``as_of``; the agent's e-mail on the establishment day.
    """
    n = ent.n
    phone_rows = np.flatnonzero(rng.random(n) < 0.12)
    phone_rows = np.concatenate([phone_rows, phone_rows[rng.random(len(phone_rows)) < 0.2]])
    mail_rows = np.flatnonzero(rng.random(n) < 0.06)
    address_rows = np.flatnonzero(rng.random(n) < 0.05)
    shells = np.flatnonzero((ent.shell >= 0) & (rng.random(n) < 0.7))
    n_clusters = int(ent.shell.max()) + 1
    agent_mail = _named_emails(rng, max(n_clusters, 0))

    row = np.concatenate([address_rows, phone_rows, mail_rows, shells])
    kind = np.repeat(
        np.array([0, 1, 2, 2], np.int64),
        [len(address_rows), len(phone_rows), len(mail_rows), len(shells)],
    )
    value = np.concatenate(
        [
            _addresses(rng, ent.district[address_rows], regions).astype(object),
            _mobiles(rng, len(phone_rows)).astype(object),
            _named_emails(rng, len(mail_rows)).astype(object),
            agent_mail[ent.shell[shells]].astype(object),
        ]
    )
    established = ent.established[row]
    since = _uniform_days(rng, established, np.full(len(row), cal.today, np.int64))
    since[len(row) - len(shells):] = established[len(row) - len(shells):]
    registered = enterprises[list(_CONTACT_KINDS)].to_numpy(dtype=object)
    keep = value != registered[row, kind]
    order = np.lexsort((since, kind, row))
    order = order[keep[order]]
    frame = pd.DataFrame(
        {
            "uscc": enterprises["uscc"].to_numpy()[row[order]],
            "kind": np.array(_CONTACT_KINDS)[kind[order]],
            "value": value[order],
            "since": pd.Series(cal.dates(since[order]), dtype=object),
            "until": pd.Series(np.full(len(order), None, dtype=object), dtype=object),
        }
    )
    # the same contact given twice: the first declaration counts
    frame = frame.drop_duplicates(["uscc", "kind", "value"], ignore_index=True)
    return frame.astype({"value": "str"})


def _shareholding_frame(
    ent: _Enterprises,
    uscc: StrArray,
    person_ids: StrArray,
    cal: _Calendar,
    rows: tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, IntArray],
) -> pd.DataFrame:
    kind, holder, target, ratio, since, until = rows
    order = np.lexsort((since, holder, kind, target))
    kind, holder, target, ratio = kind[order], holder[order], target[order], ratio[order]
    holder_id = np.where(
        kind == 0, person_ids[np.where(kind == 0, holder, 0)], uscc[np.where(kind == 1, holder, 0)]
    )
    amount = np.nan_to_num(np.round(ratio * ent.registered[target], 2))
    return pd.DataFrame(
        {
            "holder_kind": np.where(kind == 0, "person", "enterprise"),
            "holder_id": holder_id,
            "enterprise_uscc": uscc[target],
            "ratio": ratio,
            "amount": amount,
            "since": pd.Series(cal.dates(since[order]), dtype=object),
            "until": pd.Series(cal.dates(until[order]), dtype=object),
        }
    )


def _listing_frame(
    frames: _EventFrames,
    kind: str,
    rows: tuple[IntArray, IntArray, IntArray, StrArray],
    publicity: bool,
) -> pd.DataFrame:
    ent, listed, removed, reason = rows
    return frames.frame(
        kind,
        ent,
        listed,
        "registry",
        publicity_end=listed + _THREE_YEARS if publicity else None,
        extra={"reason": reason},
        date_extra={"listed": listed, "removed": removed},
    )


def generate_province(
    n_enterprises: int = 20_000, seed: int = 0, as_of: dt.date = dt.date(2026, 10, 31)
) -> Province:
    """Generate a reproducible synthetic province of ``n_enterprises`` (see module docstring)."""
    if n_enterprises < 100:
        raise ValueError(f"n_enterprises must be at least 100, got {n_enterprises}")
    rng = np.random.default_rng(seed)
    cal = _Calendar(as_of)
    regions = _regions()
    n_people = round(1.5 * n_enterprises)

    ent = _draw_enterprises(rng, n_enterprises, cal, regions)
    person_ids, person_names = _draw_people(rng, n_people, cal, regions)
    pool = _PersonPool(rng, n_people)
    links = _draw_links(rng, ent, pool, cal)
    risk = _hidden_risk(rng, ent, links, n_people, cal)
    _draw_status(rng, ent, risk, cal)
    _place_late_joins(ent, links)

    uscc = _usccs(rng, ent, regions)
    names = _names(rng, ent, regions)
    sector_mask = _sector_mask(rng, ent)
    enterprises, address = _enterprise_frame(rng, ent, regions, uscc, names, sector_mask, cal)

    changes = _Changes()
    lr_rows = _legal_rep_history(rng, ent, risk, links, pool, person_names, changes)
    sh_rows = _shareholder_history(rng, ent, risk, links, pool, person_names, changes)
    current = {
        "address": address,
        "name": names,
        "registered_capital": _int_str(np.nan_to_num(ent.registered)),
    }
    _attribute_changes(rng, ent, risk, regions, current, changes)

    frames = _EventFrames(cal, uscc)
    events = _events(rng, ent, risk, regions, sector_mask, frames, changes)
    contacts = _contact_frame(rng, ent, regions, enterprises, cal)
    approved = _approved_days(ent.established, ent.status_day, events["change"], pd.Index(uscc),
                              np.arange(ent.n, dtype=np.int64), np.full(ent.n, cal.today))
    enterprises["approved"] = pd.Series(cal.dates(approved), dtype=object)

    used = np.zeros(n_people, bool)
    used[lr_rows[0]] = True
    used[sh_rows[1][sh_rows[0] == 0]] = True
    used[links.o_person] = True
    people = pd.DataFrame({"id_number": person_ids[used], "name": person_names[used]})
    ids = person_ids
    lr_person, lr_ent, lr_since, lr_until = lr_rows
    order = np.lexsort((lr_since, lr_ent))
    branch_rows = np.flatnonzero(ent.is_branch)
    province = Province(
        as_of=as_of,
        enterprises=enterprises,
        people=people,
        shareholdings=_shareholding_frame(ent, uscc, ids, cal, sh_rows),
        legal_reps=pd.DataFrame(
            {
                "id_number": ids[lr_person[order]],
                "enterprise_uscc": uscc[lr_ent[order]],
                "since": pd.Series(cal.dates(lr_since[order]), dtype=object),
                "until": pd.Series(cal.dates(lr_until[order]), dtype=object),
            }
        ),
        officers=pd.DataFrame(
            {
                "id_number": ids[links.o_person],
                "enterprise_uscc": uscc[links.o_ent],
                "role": np.array(["director", "supervisor", "manager"])[links.o_role],
                "since": pd.Series(cal.dates(ent.established[links.o_ent]), dtype=object),
                "until": pd.Series(cal.dates(np.full(len(links.o_ent), NO_DAY)), dtype=object),
            }
        ),
        branches=pd.DataFrame(
            {"branch_uscc": uscc[branch_rows], "parent_uscc": uscc[ent.branch_parent[branch_rows]]}
        ),
        contacts=contacts,
        events=events,
        status_since=pd.DataFrame(
            {"uscc": uscc, "since": pd.Series(cal.dates(ent.status_day), dtype=object)}
        ),
        hidden_risk=pd.DataFrame({"uscc": uscc, "hidden_risk": risk}),
    )
    return _in_model_order(province)


def _in_model_order(province: Province) -> Province:
    """Put every record frame's columns in its model's field order (and check they match)."""
    ordered: dict[str, pd.DataFrame] = {}
    for kind, frame in province.frames().items():
        fields = list(RECORD_KINDS[kind].model_fields)
        if set(frame.columns) != set(fields):
            raise AssertionError(f"{kind}: columns {list(frame.columns)} are not {fields}")
        ordered[kind] = frame[fields]
    return Province(
        as_of=province.as_of,
        enterprises=ordered["enterprises"],
        people=ordered["people"],
        shareholdings=ordered["shareholdings"],
        legal_reps=ordered["legal_reps"],
        officers=ordered["officers"],
        branches=ordered["branches"],
        contacts=ordered["contacts"],
        events={kind: ordered[kind] for kind in province.events},
        status_since=province.status_since,
        hidden_risk=province.hidden_risk,
    )


def _events(
    rng: np.random.Generator,
    ent: _Enterprises,
    risk: FloatArray,
    regions: _Regions,
    sector_mask: IntArray,
    frames: _EventFrames,
    changes: _Changes,
) -> dict[str, pd.DataFrame]:
    cal = frames.cal
    companies = ent.is_company.astype(np.float64)
    tech = np.isin(
        np.array([c[0][:2] for c in _CLASSES])[ent.klass], ["39", "65", "73", "75", "35"]
    )
    penalties, serious_ent, serious_day = _penalty_events(
        rng, ent, sector_mask, risk, regions, frames
    )
    inspections, i_ent, i_day, outcome = _inspection_events(rng, ent, risk, regions, frames)
    reports, *report_listings = _annual_reports(rng, ent, risk, frames)
    abnormal, dishonest = _listings(
        rng,
        ent,
        risk,
        cal,
        (report_listings[0], report_listings[1], report_listings[2]),
        (i_ent, i_day, outcome),
        (serious_ent, serious_day),
    )
    f_ent, f_day = _poisson_events(rng, ent, 0.12 + 0.1 * risk)
    p_ent, p_day = _poisson_events(rng, ent, (0.003 + 0.1 * risk) * companies)
    pledge = np.round(np.nan_to_num(ent.registered[p_ent]) * rng.uniform(0.05, 0.5, len(p_ent)), -2)
    ip_ent, ip_day = _poisson_events(rng, ent, 0.02 * tech)
    return {
        "change": _change_events(frames, changes),
        "filing": frames.frame("filing", f_ent, f_day, "registry"),
        "equity_pledge": frames.frame(
            "equity_pledge", p_ent, p_day, "registry", extra={"amount": pledge}
        ),
        "ip_pledge": frames.frame("ip_pledge", ip_ent, ip_day, "ip_office"),
        "licence": _licence_events(rng, ent, sector_mask, risk, frames),
        "penalty": penalties,
        "abnormal_listing": _listing_frame(frames, "abnormal_listing", abnormal, publicity=False),
        "serious_dishonesty": _listing_frame(
            frames, "serious_dishonesty", dishonest, publicity=True
        ),
        "inspection": inspections,
        "complaint": _complaint_events(rng, ent, risk, frames),
        "annual_report": reports,
        "court_enforcement": _amount_events(
            rng, ent, 0.001 + 0.25 * risk**1.5, 2e5, "court_enforcement", "court", frames
        ),
        "tax_violation": _amount_events(
            rng, ent, 0.0005 + 0.1 * risk**1.5, 5e4, "tax_violation", "tax", frames, _THREE_YEARS
        ),
    }


# --- monthly deliveries ----------------------------------------------------------------------


@dataclass
class MonthlyDelivery:
    """The records a registry delivers for one month (see :func:`monthly_deliveries`).

    ``frames`` has the kinds and columns of :meth:`Province.frames` (a kind with nothing new
    that month is an empty frame).
    """

    month: dt.date  # first day of the month the delivery covers
    frames: dict[str, pd.DataFrame]

    def __repr__(self) -> str:
        rows = sum(len(frame) for frame in self.frames.values())
        return (
            f"MonthlyDelivery(month={self.month:%Y-%m}, "
            f"enterprises={len(self.frames['enterprises'])}, rows={rows})"
        )


# Natural keys deliveries are merged on (the last row delivered for a key wins).
NATURAL_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "enterprises": ("uscc",),
    "people": ("id_number",),
    "shareholdings": ("holder_id", "enterprise_uscc", "since"),
    "legal_reps": ("id_number", "enterprise_uscc", "since"),
    "officers": ("id_number", "enterprise_uscc", "role", "since"),
    "branches": ("branch_uscc", "parent_uscc"),
    "contacts": ("uscc", "kind", "value"),
    **{kind: ("event_id",) for kind in EVENT_KINDS},
}
# Event kinds with a date that closes the record after it was first delivered.
_CLOSING_DATES: Final = {
    "abnormal_listing": "removed",
    "serious_dishonesty": "removed",
    "licence": "revoked",
}
# Change fields whose history the enterprise row itself carries.
_TRACKED_FIELDS: Final = ("name", "address", "registered_capital")


def _day_numbers(values: pd.Series[Any]) -> IntArray:
    """Day numbers of a column of ``datetime.date`` (``NO_DAY`` for missing values).

    Converts only the distinct days (a few thousand among millions of rows).
    """
    codes, uniques = pd.factorize(values)
    table = np.append(np.array(list(uniques), dtype="datetime64[D]").astype(np.int64), NO_DAY)
    out: IntArray = table[codes]  # code -1 (missing) picks the NO_DAY at the end
    return out


@dataclass(frozen=True)
class _Schedule:
    """Delivery ``m`` covers calendar month ``first + m`` (months since 1970-01)."""

    first: int
    count: int

    def index(self, days: IntArray) -> IntArray:
        """The delivery a day falls in: 0 for the initial load (and for ``NO_DAY``)."""
        month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        out = np.maximum(np.where(days == NO_DAY, self.first, month) - self.first, 0)
        if len(out) and int(out.max()) >= self.count:
            raise ValueError("a record is dated after the last delivery month")
        result: IntArray = out.astype(np.int64)
        return result

    def month_end(self, index: IntArray) -> IntArray:
        """Last day of each delivery's month."""
        next_month = (self.first + index + 1).astype("datetime64[M]").astype("datetime64[D]")
        out: IntArray = next_month.astype(np.int64) - 1
        return out

    def month_start(self, index: int) -> dt.date:
        start: dt.date = np.datetime64(self.first + index, "M").astype("datetime64[D]").item()
        return start


@dataclass
class _Emissions:
    """Rows of one final frame to deliver, the delivery of each and column overrides.

    A row may be emitted more than once (first open, later closed); ``overrides`` hold the
    values of the overridden columns per emission.
    """

    rows: IntArray
    month: IntArray
    overrides: dict[str, npt.NDArray[Any]] = field(default_factory=dict)


def _with_closing(
    frame: pd.DataFrame, opened: IntArray, closing: str, schedule: _Schedule
) -> _Emissions:
    """Emit every row when it opens; rows closed in a later month go out once more then.

    The first emission of such a row has the closing date blanked, because it was not yet
    known (an interval's ``until``, a listing's ``removed``, a licence's ``revoked``).
    """
    days = _day_numbers(frame[closing])
    closed = days != NO_DAY
    closed_in = np.full(len(frame), -1, np.int64)
    closed_in[closed] = schedule.index(days[closed])
    later = np.flatnonzero(closed & (closed_in > opened))
    values = frame[closing].to_numpy(dtype=object)
    first = values.copy()
    first[later] = None
    return _Emissions(
        rows=np.concatenate([np.arange(len(frame), dtype=np.int64), later]),
        month=np.concatenate([opened, closed_in[later]]),
        overrides={closing: np.concatenate([first, values[later]])},
    )


def _positions(index: pd.Index[Any], keys: pd.Series[Any], what: str) -> IntArray:
    """Row of each key in ``index``; a key that is not there is an inconsistent province."""
    out = index.get_indexer(pd.Index(keys)).astype(np.int64)
    if (out < 0).any():
        raise ValueError(f"{what} {keys[out < 0].iloc[0]!r}: not in the province")
    return out


def _enterprise_versions(province: Province, schedule: _Schedule, opened: IntArray) -> _Emissions:
    """Enterprise rows as of each month end in which the enterprise appeared or changed.

    Name, address and registered capital are rolled back along the ``change`` events (the
    value before the first change after the month end is that change's ``old``), status along
    ``status_since`` (operating until then). Paid-in capital, phone, e-mail, sectors and
    codes keep no history: they are delivered as final from the start, except that a paid-in
    capital is capped at the registered capital of its time.
    """
    ent = province.enterprises
    n = len(ent)
    index = pd.Index(ent["uscc"])
    status_day = _day_numbers(ent["established"])
    since = province.status_since
    status_day[_positions(index, since["uscc"], "status of")] = _day_numbers(since["since"])
    status_month = schedule.index(status_day)

    change = province.events["change"]
    change = change[change["field"].isin(_TRACKED_FIELDS)]
    c_ent = _positions(index, change["uscc"], "change of")
    c_day = _day_numbers(change["date"])
    c_month = schedule.index(c_day)
    later = c_month > opened[c_ent]
    status_later = np.flatnonzero(status_month > opened)
    versions = np.unique(
        np.concatenate(
            [
                np.arange(n, dtype=np.int64) * schedule.count + opened,
                c_ent[later] * schedule.count + c_month[later],
                status_later * schedule.count + status_month[status_later],
            ]
        )
    )
    rows, month = versions // schedule.count, versions % schedule.count
    cut = schedule.month_end(month)

    def rolled_back(name: str, current: npt.NDArray[Any]) -> npt.NDArray[Any]:
        mine = (change["field"] == name).to_numpy()
        old, has_later = _value_after(
            c_ent[mine], c_day[mine], change["old"].to_numpy(dtype=object)[mine], rows, cut
        )
        value: npt.NDArray[Any] = current[rows].copy()
        value[has_later] = old[has_later].astype(current.dtype)
        return value

    capital = rolled_back("registered_capital", ent["registered_capital"].to_numpy(np.float64))
    paid_in = ent["paid_in_capital"].to_numpy(np.float64)[rows]
    final_status = ent["status"].to_numpy(dtype=object)[rows]
    return _Emissions(
        rows,
        month,
        {
            "name": rolled_back("name", ent["name"].to_numpy(dtype=object)),
            "address": rolled_back("address", ent["address"].to_numpy(dtype=object)),
            "registered_capital": capital,
            # NaN (no capital declared) compares False and stays NaN
            "paid_in_capital": np.where(paid_in > capital, capital, paid_in),
            "status": np.where(status_day[rows] <= cut, final_status, "operating"),
            "approved": _approved_days(
                _day_numbers(ent["established"]), status_day, province.events["change"], index,
                rows, cut).astype("datetime64[D]").astype(object),
        },
    )


def _approved_days(established: IntArray, status_day: IntArray, change: pd.DataFrame,
                   index: pd.Index[Any], rows: IntArray, cut: IntArray) -> IntArray:
    """核准日期 of enterprise ``rows`` as they stood on day ``cut``: the latest of their
    establishment, a status change and a change of name, address or registered capital on or
    before ``cut`` (``status_day`` is the establishment while the status never changed)."""
    tracked = change[change["field"].isin(_TRACKED_FIELDS)]
    c_ent = _positions(index, tracked["uscc"], "change of")
    c_day = _day_numbers(tracked["date"])
    span = int(max(c_day.max(initial=0), cut.max(initial=0))) + 2
    key = c_ent * span + c_day
    order = np.argsort(key, kind="stable")
    key, c_day = key[order], c_day[order]
    at = np.searchsorted(key, rows * span + cut, side="right") - 1
    found = at >= 0
    found[found] = key[at[found]] // span == rows[found]
    last = np.where(found, c_day[np.maximum(at, 0)], NO_DAY)
    status = status_day[rows]
    result: IntArray = np.maximum(last, np.where(status <= cut, status, established[rows]))
    return result


def _value_after(
    ent: IntArray, day: IntArray, old: ObjArray, query_ent: IntArray, query_day: IntArray
) -> tuple[ObjArray, BoolArray]:
    """For each query (enterprise, day): the ``old`` of the enterprise's first change after day.

    Returns those values and whether there was such a change (else the value is the final one).
    """
    lo = min(int(day.min()) if len(day) else 0, int(query_day.min()) if len(query_day) else 0)
    span = max(int(day.max()) if len(day) else 0, int(query_day.max()) if len(query_day) else 0)
    span = span - lo + 2
    key = ent * span + (day - lo)
    order = np.argsort(key, kind="stable")  # ties keep the chain order of the events
    key, old = key[order], old[order]
    at = np.searchsorted(key, query_ent * span + (query_day - lo), side="right")
    inside = at < len(key)
    has_later = inside.copy()
    has_later[inside] = key[at[inside]] // span == query_ent[inside]
    value = np.full(len(query_ent), None, dtype=object)
    value[has_later] = old[at[has_later]]
    return value, has_later


def _cut(frame: pd.DataFrame, emissions: _Emissions, count: int) -> list[pd.DataFrame]:
    """One frame per delivery: the emitted rows (overrides applied) in emission order."""
    order = np.argsort(emissions.month, kind="stable")
    month = emissions.month[order]
    taken = frame.take(emissions.rows[order]).reset_index(drop=True)
    for column, values in emissions.overrides.items():
        taken[column] = pd.Series(values[order], dtype=frame[column].dtype)
    bounds = np.searchsorted(month, np.arange(count + 1))
    return [
        taken.iloc[int(bounds[m]) : int(bounds[m + 1])].reset_index(drop=True)
        for m in range(count)
    ]


def monthly_deliveries(province: Province, months: int = 24) -> list[MonthlyDelivery]:
    """The province as an initial load plus ``months`` monthly increments (``months + 1`` in all).

    Delivery 0 covers the month ``months`` months before the month of ``as_of`` and is the
    initial load: everything known at that month's end. Delivery ``m`` covers the ``m``-th
    month after it and holds what became known in that month. "Known at day T" means:

    * enterprises established by T, as they stood at T (name, address and registered capital
      rolled back along the ``change`` events, status along ``status_since``; paid-in capital,
      phone, e-mail, sectors and codes keep no history in the generator and are delivered as
      final, paid-in capped at the registered capital of the time); an enterprise row is
      re-sent in every later month in which its status, name, address or registered capital
      changed (legal-rep and shareholder changes go out as relation rows instead);
    * people with the first relation row that names them; branches with their enterprise;
      contacts in the month they were declared (``since``);
    * shareholdings, legal reps and officers from their ``since``, with ``until`` only once it
      has passed: a relation that ended in a later month is re-sent then with ``until`` set;
    * events from their ``date``; list entries (``removed``) and licences (``revoked``) are
      re-sent in the month they were removed or revoked, blank before. Forward-looking fields
      (``expires``, ``publicity_end``) are delivered as they are.

    Upserting the deliveries in order on :data:`NATURAL_KEYS` (the last row per key wins)
    gives exactly :meth:`Province.frames`; every row's natural key keeps its value throughout,
    and a key is delivered at most once per month.
    """
    if months < 0:
        raise ValueError(f"months must not be negative, got {months}")
    last = np.datetime64(province.as_of, "M").astype(np.int64)
    schedule = _Schedule(first=int(last) - months, count=months + 1)
    frames = province.frames()
    ent = frames["enterprises"]
    index = pd.Index(ent["uscc"])
    opened = schedule.index(_day_numbers(ent["established"]))

    cut: dict[str, list[pd.DataFrame]] = {}
    cut["enterprises"] = _cut(ent, _enterprise_versions(province, schedule, opened), schedule.count)
    people = frames["people"]
    people_index = pd.Index(people["id_number"])
    # a person is delivered with the first relation row that names them (initial load if none)
    first_named = np.full(len(people), schedule.count, np.int64)
    for kind in ("shareholdings", "legal_reps", "officers"):
        frame = frames[kind]
        since = schedule.index(_day_numbers(frame["since"]))
        emissions = _with_closing(frame, since, "until", schedule)
        cut[kind] = _cut(frame, emissions, schedule.count)
        if kind == "shareholdings":
            person = (frame["holder_kind"] == "person").to_numpy()
            ids = frame["holder_id"][person]
            since = since[person]
        else:
            ids = frame["id_number"]
        np.minimum.at(first_named, _positions(people_index, ids, "person"), since)
    first_named[first_named == schedule.count] = 0
    cut["people"] = _cut(people, _Emissions(np.arange(len(people)), first_named), schedule.count)
    branches = frames["branches"]
    month = opened[_positions(index, branches["branch_uscc"], "branches")]
    cut["branches"] = _cut(branches, _Emissions(np.arange(len(branches)), month), schedule.count)
    contacts = frames["contacts"]
    declared = schedule.index(_day_numbers(contacts["since"]))
    cut["contacts"] = _cut(contacts, _Emissions(np.arange(len(contacts)), declared),
                           schedule.count)
    for kind in EVENT_KINDS:
        frame = frames[kind]
        dated = schedule.index(_day_numbers(frame["date"]))
        if kind in _CLOSING_DATES:
            emissions = _with_closing(frame, dated, _CLOSING_DATES[kind], schedule)
        else:
            emissions = _Emissions(np.arange(len(frame), dtype=np.int64), dated)
        cut[kind] = _cut(frame, emissions, schedule.count)

    return [
        MonthlyDelivery(
            month=schedule.month_start(m), frames={kind: cut[kind][m] for kind in frames}
        )
        for m in range(schedule.count)
    ]
