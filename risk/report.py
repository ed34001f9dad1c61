"""Summaries of a classification: class counts and shares, overall and by group."""

from __future__ import annotations

import pandas as pd

from ingestion.reference import (
    INDUSTRY_SECTIONS,
    PREFECTURE_BY_CODE,
    industry_section,
    prefecture_of,
)
from risk.classify import CLASSES

SECTION_NAMES = {section.code: section.name_zh for section in INDUSTRY_SECTIONS}


def class_mix(classes: pd.Series, groups: pd.Series | None = None) -> pd.DataFrame:
    """Counts of A/B/C/D per group, with the group's total and each class's share.

    Columns: ``total``, ``A``..``D`` (counts), ``A_share``..``D_share``; sorted by total.
    """
    if groups is None:
        groups = pd.Series("all", index=classes.index)
    counts = pd.crosstab(groups, classes).reindex(columns=list(CLASSES), fill_value=0)
    counts.insert(0, "total", counts.sum(axis=1))
    for risk_class in CLASSES:
        counts[f"{risk_class}_share"] = counts[risk_class] / counts["total"]
    counts.index.name = None
    return counts.sort_values("total", ascending=False)


def region_label(region_code: str) -> str:
    """Prefecture name (zh-CN) of a region code; the code itself outside the known province."""
    try:
        return PREFECTURE_BY_CODE[prefecture_of(region_code)].name_zh
    except ValueError:
        return region_code[:4] + "00"


def industry_label(industry_code: str | None) -> str:
    """``C 制造业`` for a GB/T 4754 class code; the code itself when it is not valid."""
    if industry_code is None:
        return "未知 unknown"
    try:
        section = industry_section(industry_code)
    except ValueError:
        return industry_code
    return f"{section} {SECTION_NAMES[section]}"
