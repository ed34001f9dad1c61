"""The records behind the reasons (理由对应的记录), in Chinese and English.

:func:`leniency_notes` adds what the leniency rules (包容审慎) did to an enterprise's
records: penalties discounted as 首违不罚, records dropped because their publicity period
ended, list entries ended by removal (credit repair).

For every indicator computed from events, :func:`evidence` picks per enterprise the one
record that best shows it (the largest penalty, the latest listing, inspection, complaint
or change in the indicator's window) and writes it out, e.g. ``行政处罚 2025-03-02 5万元
食品安全`` / ``penalty 2025-03-02, 50,000 yuan, food safety``. Everything is column-wise:
one pass over each event table, never a loop over enterprises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.config import DEFAULT_WINDOW_DAYS, IndicatorConfig
from features.indicators import (
    INSPECTION_EVASION,
    INSPECTION_PROBLEMS,
    KEY_CHANGE_FIELDS,
    SAFETY_LICENCES,
    SECTOR_PENALTY_CATEGORY,
    revoked_licences,
)
from features.tables import GraphTables
from ingestion.docs import KIND_TITLES

CATEGORY_ZH = {
    "food_safety": "食品安全", "drug_safety": "药品安全", "medical_device_safety": "医疗器械安全",
    "special_equipment_safety": "特种设备安全", "product_quality": "产品质量",
    "registration": "登记注册", "false_advertising": "虚假广告", "unfair_competition": "不正当竞争",
    "price": "价格", "consumer_rights": "消费者权益", "measurement": "计量", "trademark": "商标",
    "licensing": "行政许可", "service_quality": "服务质量", "contract_dispute": "合同纠纷",
    "refund": "退款", "personal_information": "个人信息",
}
OUTCOME_ZH = {"problem": "发现问题", "not_found": "查无下落", "refused": "拒绝检查",
              "clean": "未发现问题"}
FIELD_ZH = {"legal_rep": "法定代表人", "address": "住所", "shareholder": "股东", "name": "名称",
            "registered_capital": "注册资本"}


@dataclass(frozen=True)
class Evidence:
    """One record per enterprise (index: USCC) as text."""

    zh: pd.Series
    en: pd.Series


Describe = Callable[[pd.DataFrame], Evidence]


def _unless_empty(describe: Describe) -> Describe:
    """No records, no evidence (and no string operations on empty float columns)."""
    def guarded(frame: pd.DataFrame) -> Evidence:
        if frame.empty:
            empty = pd.Series([], dtype=object)
            return Evidence(empty, empty)
        return describe(frame)

    return guarded


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("")


def _zh(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    return values.map(labels).fillna(values).astype(str)


def _en(values: pd.Series) -> pd.Series:
    return values.astype(str).str.replace("_", " ", regex=False)


def _yuan_zh(amount: pd.Series) -> pd.Series:
    wan = (amount / 10000).round(2)
    text = wan.map("{:g}万元".format)
    return text.where(amount >= 10000, amount.round(0).map("{:.0f}元".format))


def _pick(frame: pd.DataFrame, by: str = "date") -> pd.DataFrame:
    """The last row per uscc in ``by`` order (ties: the later date, then event id)."""
    ordered = frame.sort_values(["uscc", by, "date", "event_id"], kind="stable")
    return ordered.drop_duplicates("uscc", keep="last").set_index("uscc")


def _penalty_text(best: pd.DataFrame) -> Evidence:
    day = _day(best["date"])
    amount = best["amount"].astype(float)
    return Evidence(
        "行政处罚 " + day + " " + _yuan_zh(amount) + " " + _zh(best["category"], CATEGORY_ZH),
        "penalty " + day + ", " + amount.map("{:,.0f} yuan".format) + ", "
        + _en(best["category"]),
    )


def _unpunished_note(weight: pd.Series) -> Evidence:
    text = format_values(weight)
    return Evidence("（首违不罚，按" + text + "计）",
                    " (first minor violation, not punished: counted " + text + ")")


def _penalties(t: GraphTables) -> Describe:
    """The largest penalty; a discounted one (首违不罚) says so and by how much."""
    @_unless_empty
    def describe(frame: pd.DataFrame) -> Evidence:
        weight = t.penalty_weight(frame)
        best = _pick(frame.assign(amount=frame["amount"].astype(float), weight=weight),
                     "amount")
        text = _penalty_text(best)
        discounted = best["weight"] < 1
        note = _unpunished_note(best["weight"])
        return Evidence(text.zh + np.where(discounted, note.zh, ""),
                        text.en + np.where(discounted, note.en, ""))

    return describe


def _listing(name_zh: str, name_en: str) -> Callable[[pd.DataFrame], Evidence]:
    @_unless_empty
    def describe(frame: pd.DataFrame) -> Evidence:
        best = _pick(frame)
        listed, removed = _day(best["listed"]), _day(best["removed"])
        gone = removed != ""
        return Evidence(
            name_zh + " " + listed + " 原因:" + best["reason"].astype(str)
            + np.where(gone, "（" + removed + "移出）", ""),
            name_en + " " + listed + ", reason: " + _en(best["reason"])
            + np.where(gone, " (removed " + removed + ")", ""),
        )

    return describe


@_unless_empty
def _inspections(frame: pd.DataFrame) -> Evidence:
    best = _pick(frame)
    day = _day(best["date"])
    return Evidence("检查 " + day + " " + _zh(best["outcome"], OUTCOME_ZH),
                    "inspection " + day + ": " + _en(best["outcome"]))


@_unless_empty
def _complaints(frame: pd.DataFrame) -> Evidence:
    best = _pick(frame)
    count = frame.groupby("uscc").size().reindex(best.index)
    day = _day(best["date"])
    return Evidence(
        "投诉举报 " + count.astype(str) + " 件，最近 " + day + " "
        + _zh(best["category"], CATEGORY_ZH),
        count.astype(str) + " complaints, latest " + day + " " + _en(best["category"]),
    )


@_unless_empty
def _changes(frame: pd.DataFrame) -> Evidence:
    best = _pick(frame)
    day = _day(best["date"])
    field = best["field"].astype(str)
    return Evidence(
        "变更 " + day + " " + _zh(field, FIELD_ZH) + "：" + best["old"].fillna("").astype(str)
        + " → " + best["new"].fillna("").astype(str),
        "change " + day + " " + _en(field) + ": " + best["old"].fillna("").astype(str)
        + " -> " + best["new"].fillna("").astype(str),
    )


def _dated(name_zh: str, name_en: str) -> Callable[[pd.DataFrame], Evidence]:
    @_unless_empty
    def describe(frame: pd.DataFrame) -> Evidence:
        best = _pick(frame)
        count = frame.groupby("uscc").size().reindex(best.index).astype(str)
        day = _day(best["date"])
        return Evidence(name_zh + " " + count + " 次，最近 " + day,
                        name_en + ": " + count + ", latest " + day)

    return describe


@_unless_empty
def _revocations(frame: pd.DataFrame) -> Evidence:
    best = _pick(frame.assign(revoked_day=pd.to_datetime(frame["revoked"])), "revoked_day")
    day = _day(best["revoked"])
    kind = best["licence_type"].astype(str)
    return Evidence("许可证(" + kind + ")于 " + day + " 被吊销",
                    "licence " + _en(kind) + " revoked " + day)


def _records(t: GraphTables, name: str, spec: IndicatorConfig) -> Evidence | None:
    """The records behind indicator ``name``, or None for value-only indicators."""
    window = spec.window_days
    if name in ("penalty_severity_3y", "penalty_amount_3y"):
        return _penalties(t)(t.since("penalty", window))
    if name == "penalties_12m":
        penalties = t.since("penalty", window)
        return _penalties(t)(penalties.loc[penalties["severity"] != "minor"])
    for sector, category in SECTOR_PENALTY_CATEGORY.items():
        if name == f"{sector}_penalties_3y":
            penalties = t.since("penalty", window)
            return _penalties(t)(penalties.loc[penalties["category"] == category])
    if name in ("on_abnormal_list", "abnormal_listings_3y"):
        return _listing("列入经营异常名录", "abnormal-operations list")(
            t.since("abnormal_listing", window))
    if name == "on_serious_dishonesty":
        return _listing("列入严重违法失信名单", "serious-dishonesty list")(
            t.since("serious_dishonesty", 100 * 365))
    if name in ("inspection_problems_3y", "inspection_evasion_3y"):
        outcomes = INSPECTION_PROBLEMS if name == "inspection_problems_3y" else INSPECTION_EVASION
        inspections = t.since("inspection", window)
        return _inspections(inspections.loc[inspections["outcome"].isin(outcomes)])
    if name in ("complaints_12m", "complaint_categories_12m", "complaint_growth_3m"):
        return _complaints(t.since("complaint", window))
    if name == "key_changes_12m":
        changes = t.since("change", window)
        return _changes(changes.loc[changes["field"].isin(KEY_CHANGE_FIELDS)])
    if name == "capital_reductions_3y":
        changes = t.since("change", window)
        return _changes(changes.loc[changes["field"] == "registered_capital"])
    if name == "equity_pledges_3y":
        return _dated("股权出质", "equity pledges")(t.since("equity_pledge", window))
    if name == "ip_pledges_3y":
        return _dated("知识产权出质", "IP pledges")(t.since("ip_pledge", window))
    if name == "court_tax_3y":
        both = pd.concat([t.since("court_enforcement", window), t.since("tax_violation", window)])
        return _dated("法院强制执行/税收违法", "court enforcements and tax violations")(both)
    if name == "licence_revocations_3y":
        return _revocations(revoked_licences(t, window))
    if name == "safety_licence_revoked_3y":
        revoked = revoked_licences(t, window)
        return _revocations(revoked.loc[revoked["licence_type"].isin(SAFETY_LICENCES)])
    return None


def format_values(values: pd.Series) -> pd.Series:
    """Raw values as short text: integers without decimals, others rounded to two places;
    "missing". Column-wise (numpy's own number formatting, no Python per value)."""
    numeric = pd.to_numeric(values, errors="coerce")
    if values.dtype == object and numeric.isna().sum() > values.isna().sum():
        return values.fillna("missing").astype(str)
    number = numeric.to_numpy(dtype=float)
    text = np.full(len(number), "missing", dtype=object)
    finite = np.isfinite(number)
    whole = finite & (number == np.round(number))
    text[whole] = number[whole].astype(np.int64).astype(str)
    fraction = finite & ~whole
    text[fraction] = np.round(number[fraction], 2).astype(str)
    return pd.Series(text, index=values.index)


def evidence(t: GraphTables, indicators: dict[str, IndicatorConfig], raw: pd.DataFrame,
             names: list[str], values: dict[str, pd.Series] | None = None
             ) -> dict[str, Evidence]:
    """The evidence of each indicator in ``names``: a record where there is one, else the
    indicator with its value (``成立年限(年) 0.60`` / ``Years since establishment: 0.60``)."""
    result: dict[str, Evidence] = {}
    for name in names:
        spec = indicators[name]
        value = values[name] if values is not None else format_values(raw[name])
        zh = spec.label_zh + " " + value
        en = spec.label_en + ": " + value
        records = _records(t, name, spec)
        if records is not None:
            zh = records.zh.reindex(raw.index).fillna(zh)
            en = records.en.reindex(raw.index).fillna(en)
        result[name] = Evidence(zh, en)
    return result


# --- leniency (包容审慎) ---------------------------------------------------------------


def _kind_names(kinds: pd.Series) -> tuple[pd.Series, pd.Series]:
    titles = kinds.map(KIND_TITLES).str.split(" ", n=1)
    return titles.str[0], titles.str[1]


def _more(count: pd.Series) -> tuple[pd.Series, pd.Series]:
    """`` 等N条`` / `` (N records)`` where an enterprise has more than one."""
    many = count > 1
    text = count.astype(str)
    return (pd.Series(np.where(many, " 等" + text + "条", ""), index=count.index),
            pd.Series(np.where(many, " (" + text + " records)", ""), index=count.index))


def _latest_with_count(frame: pd.DataFrame, by: str = "date"
                       ) -> tuple[pd.DataFrame, tuple[pd.Series, pd.Series]]:
    best = _pick(frame, by)
    return best, _more(frame.groupby("uscc").size().reindex(best.index))


def _discounted(t: GraphTables) -> Describe:
    @_unless_empty
    def describe(frame: pd.DataFrame) -> Evidence:
        best, (more_zh, more_en) = _latest_with_count(frame)
        record = _penalty_text(best)
        weight = format_values(t.penalty_weight(best))
        return Evidence("首违不罚，按" + weight + "计：" + record.zh + more_zh,
                        "first minor violation, not punished, counted " + weight + ": "
                        + record.en + more_en)

    return describe


@_unless_empty
def _publicity_ended(frame: pd.DataFrame) -> Evidence:
    best, (more_zh, more_en) = _latest_with_count(frame)
    name_zh, name_en = _kind_names(best["kind"])
    day, end = _day(best["date"]), _day(best["publicity_end"])
    return Evidence("公示期满，不再计入：" + name_zh + " " + day + "（公示期至" + end + "）"
                    + more_zh,
                    "publicity period ended, no longer counted: " + name_en + " " + day
                    + " (publicised until " + end + ")" + more_en)


@_unless_empty
def _repaired(frame: pd.DataFrame) -> Evidence:
    best, (more_zh, more_en) = _latest_with_count(frame, "removed")
    name_zh, name_en = _kind_names(best["kind"])
    removed, listed = _day(best["removed"]), _day(best["listed"])
    return Evidence("信用修复：" + removed + " 移出" + name_zh + "（" + listed
                    + " 列入），不再按在列计" + more_zh,
                    "credit repair: removed from the " + name_en + " on " + removed
                    + " (listed " + listed + "), no longer counted as listed" + more_en)


def _joined(parts: list[pd.Series], index: pd.Index, separator: str) -> pd.Series:
    joined = pd.Series("", index=index, dtype=object)
    for part in parts:
        text = part.reindex(index).fillna("")
        joined = joined.where(text == "", joined.where(joined == "", joined + separator) + text)
    return joined


def leniency_notes(t: GraphTables, index: pd.Index,
                   window_days: int = DEFAULT_WINDOW_DAYS) -> Evidence:
    """Per enterprise of ``index``: the records within ``window_days`` that the leniency
    rules of ``t.leniency`` discounted (首违不罚) or dropped (publicity ended), and its list
    entries ended by removal (信用修复); empty text where there are none."""
    penalties = t.since("penalty", window_days)
    unpunished = penalties.loc[penalties["unpunished"].eq(True)] if (
        "unpunished" in penalties) else penalties.iloc[:0]
    columns = ["uscc", "date", "event_id", "publicity_end", "kind"]
    ended = pd.concat([t.publicity_ended(kind, window_days).assign(kind=kind)[columns]
                       for kind in t.events], ignore_index=True)
    start = t.as_of_ts - pd.Timedelta(days=window_days)
    listings = []
    for kind in ("abnormal_listing", "serious_dishonesty"):
        frame = t.event(kind).assign(kind=kind)
        frame["removed"] = pd.to_datetime(frame["removed"])
        ended_by_removal = (frame["removed"] > start) & (frame["removed"] <= t.as_of_ts)
        listings.append(frame.loc[ended_by_removal, [*columns, "listed", "removed"]])
    parts = [_discounted(t)(unpunished), _publicity_ended(ended),
             _repaired(pd.concat(listings, ignore_index=True))]
    return Evidence(_joined([p.zh for p in parts], index, "；"),
                    _joined([p.en for p in parts], index, "; "))
