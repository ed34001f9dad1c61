"""Reference tables: industries (GB/T 4754-2017), Zhejiang regions (GB/T 2260), code lists.

Plain typed constants and lookup functions, no I/O. Machine codes are English snake_case;
every code carries its zh-CN label (the policy's own term) and, where useful, an English one.

Industry codes have 4 levels: section letter (门类, A-T), 2-digit division (大类), 3-digit
group (中类) and 4-digit class (小类); divisions are numbered 01-98 without gaps, each section
owning a contiguous range. Region codes are 6 digits: province (2), prefecture (2), county (2);
a prefecture's own code ends in "00".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class IndustrySection:
    """One GB/T 4754-2017 section (门类) and its inclusive range of 2-digit divisions."""

    code: str
    name_zh: str
    name_en: str
    first_division: int
    last_division: int


INDUSTRY_SECTIONS: Final[tuple[IndustrySection, ...]] = (
    IndustrySection(
        "A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery", 1, 5
    ),
    IndustrySection("B", "采矿业", "Mining", 6, 12),
    IndustrySection("C", "制造业", "Manufacturing", 13, 43),
    IndustrySection(
        "D",
        "电力、热力、燃气及水生产和供应业",
        "Production and supply of electricity, heat, gas and water",
        44,
        46,
    ),
    IndustrySection("E", "建筑业", "Construction", 47, 50),
    IndustrySection("F", "批发和零售业", "Wholesale and retail trade", 51, 52),
    IndustrySection(
        "G", "交通运输、仓储和邮政业", "Transport, storage and postal services", 53, 60
    ),
    IndustrySection("H", "住宿和餐饮业", "Accommodation and catering", 61, 62),
    IndustrySection(
        "I",
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and information technology services",
        63,
        65,
    ),
    IndustrySection("J", "金融业", "Finance", 66, 69),
    IndustrySection("K", "房地产业", "Real estate", 70, 70),
    IndustrySection("L", "租赁和商务服务业", "Leasing and business services", 71, 72),
    IndustrySection(
        "M", "科学研究和技术服务业", "Scientific research and technical services", 73, 75
    ),
    IndustrySection(
        "N",
        "水利、环境和公共设施管理业",
        "Water conservancy, environment and public facilities management",
        76,
        79,
    ),
    IndustrySection(
        "O", "居民服务、修理和其他服务业", "Resident services, repair and other services", 80, 82
    ),
    IndustrySection("P", "教育", "Education", 83, 83),
    IndustrySection("Q", "卫生和社会工作", "Health and social work", 84, 85),
    IndustrySection("R", "文化、体育和娱乐业", "Culture, sports and entertainment", 86, 90),
    IndustrySection(
        "S",
        "公共管理、社会保障和社会组织",
        "Public administration, social security and social organisations",
        91,
        97,
    ),
    IndustrySection("T", "国际组织", "International organisations", 98, 98),
)
SECTION_BY_CODE: Final[Mapping[str, IndustrySection]] = {s.code: s for s in INDUSTRY_SECTIONS}
_SECTION_OF_DIVISION: Final[Mapping[int, str]] = {
    division: s.code
    for s in INDUSTRY_SECTIONS
    for division in range(s.first_division, s.last_division + 1)
}


def industry_section(industry_code: str) -> str:
    """Section letter of a GB/T 4754 class code, e.g. ``"5251"`` -> ``"F"``.

    Accepts the 4-digit class (also 2- or 3-digit division/group codes) and the letter-prefixed
    spelling some sources use (``"F5251"``); a prefix that contradicts the digits is an error.
    """
    code = industry_code.strip().upper()
    prefix = code[:1] if code[:1].isalpha() else ""
    digits = code[len(prefix) :]
    if not (2 <= len(digits) <= 4 and digits.isascii() and digits.isdigit()):
        raise ValueError(f"industry code {industry_code!r} must be 2-4 digits (4 for a class)")
    section = _SECTION_OF_DIVISION.get(int(digits[:2]))
    if section is None:
        raise ValueError(f"industry code {industry_code!r}: division {digits[:2]} does not exist")
    if prefix and prefix != section:
        raise ValueError(
            f"industry code {industry_code!r}: prefix {prefix!r} but division {digits[:2]} "
            f"belongs to section {section!r}"
        )
    return section


@dataclass(frozen=True, slots=True)
class District:
    """A county-level division (区/县/县级市) under a prefecture."""

    code: str
    name_zh: str


@dataclass(frozen=True, slots=True)
class Prefecture:
    """A prefecture-level city (地级市) with some of its county-level divisions."""

    code: str
    name_zh: str
    name_en: str
    districts: tuple[District, ...]


PROVINCE_CODE: Final = "330000"
PROVINCE_NAME_ZH: Final = "浙江省"
PROVINCE_NAME_EN: Final = "Zhejiang"


def _districts(listing: str) -> tuple[District, ...]:
    """Parse "code name, code name, ..." into districts (keeps the tables compact)."""
    pairs = (item.split() for item in listing.split(","))
    return tuple(District(code, name) for code, name in pairs)


ZHEJIANG_PREFECTURES: Final[tuple[Prefecture, ...]] = (
    Prefecture(
        "330100",
        "杭州市",
        "Hangzhou",
        _districts(
            "330102 上城区, 330105 拱墅区, 330106 西湖区, 330108 滨江区, 330109 萧山区, "
            "330110 余杭区, 330111 富阳区, 330112 临安区, 330113 临平区, 330114 钱塘区, "
            "330122 桐庐县, 330127 淳安县, 330182 建德市"
        ),
    ),
    Prefecture(
        "330200",
        "宁波市",
        "Ningbo",
        _districts(
            "330203 海曙区, 330205 江北区, 330206 北仑区, 330211 镇海区, 330212 鄞州区, "
            "330213 奉化区, 330225 象山县, 330226 宁海县, 330281 余姚市, 330282 慈溪市"
        ),
    ),
    Prefecture(
        "330300",
        "温州市",
        "Wenzhou",
        _districts(
            "330302 鹿城区, 330303 龙湾区, 330304 瓯海区, 330305 洞头区, 330324 永嘉县, "
            "330326 平阳县, 330327 苍南县, 330381 瑞安市, 330382 乐清市, 330383 龙港市"
        ),
    ),
    Prefecture(
        "330400",
        "嘉兴市",
        "Jiaxing",
        _districts(
            "330402 南湖区, 330411 秀洲区, 330421 嘉善县, 330424 海盐县, 330481 海宁市, "
            "330482 平湖市, 330483 桐乡市"
        ),
    ),
    Prefecture(
        "330500",
        "湖州市",
        "Huzhou",
        _districts("330502 吴兴区, 330503 南浔区, 330521 德清县, 330522 长兴县, 330523 安吉县"),
    ),
    Prefecture(
        "330600",
        "绍兴市",
        "Shaoxing",
        _districts(
            "330602 越城区, 330603 柯桥区, 330604 上虞区, 330624 新昌县, 330681 诸暨市, "
            "330683 嵊州市"
        ),
    ),
    Prefecture(
        "330700",
        "金华市",
        "Jinhua",
        _districts(
            "330702 婺城区, 330703 金东区, 330723 武义县, 330726 浦江县, 330781 兰溪市, "
            "330782 义乌市, 330783 东阳市, 330784 永康市"
        ),
    ),
    Prefecture(
        "330800",
        "衢州市",
        "Quzhou",
        _districts(
            "330802 柯城区, 330803 衢江区, 330822 常山县, 330824 开化县, 330825 龙游县, "
            "330881 江山市"
        ),
    ),
    Prefecture(
        "330900",
        "舟山市",
        "Zhoushan",
        _districts("330902 定海区, 330903 普陀区, 330921 岱山县, 330922 嵊泗县"),
    ),
    Prefecture(
        "331000",
        "台州市",
        "Taizhou",
        _districts(
            "331002 椒江区, 331003 黄岩区, 331004 路桥区, 331022 三门县, 331023 天台县, "
            "331081 温岭市, 331082 临海市, 331083 玉环市"
        ),
    ),
    Prefecture(
        "331100",
        "丽水市",
        "Lishui",
        _districts(
            "331102 莲都区, 331121 青田县, 331122 缙云县, 331123 遂昌县, 331125 云和县, "
            "331181 龙泉市"
        ),
    ),
)
PREFECTURE_BY_CODE: Final[Mapping[str, Prefecture]] = {p.code: p for p in ZHEJIANG_PREFECTURES}
DISTRICT_BY_CODE: Final[Mapping[str, District]] = {
    d.code: d for p in ZHEJIANG_PREFECTURES for d in p.districts
}


def prefecture_of(region_code: str) -> str:
    """6-digit prefecture code of a Zhejiang region code, e.g. ``"330782"`` -> ``"330700"``.

    Any county code under a known prefecture is accepted (the district list here is a sample,
    the prefecture list is complete); the prefecture's own code maps to itself.
    """
    code = region_code.strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise ValueError(f"region code {region_code!r} must be 6 digits")
    if not code.startswith(PROVINCE_CODE[:2]):
        raise ValueError(f"region code {region_code!r} is not in Zhejiang (33)")
    prefecture = code[:4] + "00"
    if prefecture not in PREFECTURE_BY_CODE:
        raise ValueError(f"region code {region_code!r}: no prefecture {prefecture} in Zhejiang")
    return prefecture


def region_name_zh(region_code: str) -> str:
    """Full zh-CN name of a Zhejiang prefecture or listed district, e.g. 杭州市西湖区."""
    prefecture = PREFECTURE_BY_CODE[prefecture_of(region_code)]
    if region_code == prefecture.code:
        return prefecture.name_zh
    district = DISTRICT_BY_CODE.get(region_code)
    if district is None:
        raise ValueError(f"region code {region_code!r} is not a listed district")
    return prefecture.name_zh + district.name_zh


EntityType = Literal[
    "limited_company",
    "joint_stock_company",
    "sole_proprietorship",
    "partnership",
    "individual_business",
    "farmer_cooperative",
    "state_owned",
]
ENTITY_TYPES: Final[Mapping[EntityType, str]] = {
    "limited_company": "有限责任公司",
    "joint_stock_company": "股份有限公司",
    "sole_proprietorship": "个人独资企业",
    "partnership": "合伙企业",
    "individual_business": "个体工商户",
    "farmer_cooperative": "农民专业合作社",
    # Owned by the whole people (a state asset body holds it): the end of an ownership
    # chain for the actual-controller query.
    "state_owned": "全民所有制企业",
}
# USCC positions 1-2 (authority 9 = market regulation): 1 enterprise, 2 individual business,
# 3 farmer cooperative.
USCC_PREFIX_BY_ENTITY_TYPE: Final[Mapping[EntityType, str]] = {
    "limited_company": "91",
    "joint_stock_company": "91",
    "sole_proprietorship": "91",
    "partnership": "91",
    "individual_business": "92",
    "farmer_cooperative": "93",
    "state_owned": "91",
}

Sector = Literal[
    "food_production", "drug_retail", "medical_devices", "special_equipment", "industrial_products"
]
SECTORS: Final[Mapping[Sector, str]] = {
    "food_production": "食品生产",
    "drug_retail": "药品零售",
    "medical_devices": "医疗器械",
    "special_equipment": "特种设备",
    "industrial_products": "工业产品",
}

Status = Literal["operating", "suspended", "revoked", "cancelled"]
STATUSES: Final[Mapping[Status, str]] = {
    "operating": "存续（在营）",
    "suspended": "停业",
    "revoked": "吊销",
    "cancelled": "注销",
}
