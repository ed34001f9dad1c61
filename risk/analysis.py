"""Analysis report (统计分析): class distribution and its change by region and industry,
high-risk regions and industries ranked, and the spot checks' discovery rates.

:func:`analyse` works on a month's classes (a snapshot), the previous month's and the
enterprises' region and industry codes; :func:`write_report` writes a dated folder
``<out>/<YYYY-MM-DD>/`` with the plots (PNG and SVG) and ``index.html`` (zh-CN with
English beside, plots embedded, tables). The results are internal (内部资料): the page
says so on top. Regions are prefectures (地级市), industries GB/T 4754 sections (门类).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ingestion.reference import INDUSTRY_SECTIONS, PREFECTURE_BY_CODE, industry_section
from risk import plots
from risk.classify import CLASS_LABELS, CLASSES
from risk.feedback import Backtest
from risk.report import class_mix, region_label

INTERNAL = "内部资料，不得公开 Internal: not for publication"


def region_key(region_code: str) -> str:
    """Prefecture code of a region code (``330106`` -> ``330100``)."""
    return region_code[:4] + "00"


def region_names(key: str) -> tuple[str, str]:
    prefecture = PREFECTURE_BY_CODE.get(key)
    if prefecture is None:
        return region_label(key), key
    return prefecture.name_zh, prefecture.name_en


def industry_key(industry_code: str | None) -> str:
    if industry_code is None or pd.isna(industry_code):
        return "?"
    try:
        return industry_section(str(industry_code))
    except ValueError:
        return "?"


def industry_names(key: str) -> tuple[str, str]:
    if key == "?":
        return "未知", "unknown"
    section = next(s for s in INDUSTRY_SECTIONS if s.code == key)
    return f"{key} {section.name_zh}", section.name_en


def _with_high(mix: pd.DataFrame) -> pd.DataFrame:
    mix = mix.copy()
    mix["CD"] = mix["C"] + mix["D"]
    mix["CD_share"] = mix["CD"] / mix["total"].where(mix["total"] > 0)
    return mix


def grouped(classes: pd.Series, previous: pd.Series | None, keys: pd.Series,
            names: dict[str, tuple[str, str]], min_enterprises: int) -> pd.DataFrame:
    """Per group: total, A..D, shares, C+D count and share, the C+D share the month before
    and its change (percentage points), enterprises moved up and down a class, and the
    rank by C+D share (groups of at least ``min_enterprises``; ties by C+D count)."""
    mix = _with_high(class_mix(classes, keys.reindex(classes.index)))
    if previous is not None:
        before = _with_high(class_mix(previous, keys.reindex(previous.index)))
        mix["CD_share_before"] = before["CD_share"].reindex(mix.index)
        mix["change_pp"] = 100 * (mix["CD_share"] - mix["CD_share_before"])
        common = classes.index.intersection(previous.index)
        step = (classes.loc[common].map(CLASSES.index)
                - previous.loc[common].map(CLASSES.index))
        group = keys.reindex(common)
        mix["moved_up"] = (step > 0).groupby(group).sum().reindex(mix.index).fillna(0)
        mix["moved_down"] = (step < 0).groupby(group).sum().reindex(mix.index).fillna(0)
    ranked = mix.loc[mix["total"] >= min_enterprises].sort_values(
        ["CD_share", "CD"], ascending=False)
    mix["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index)
    mix = mix.sort_values(["rank", "total"], ascending=[True, False], na_position="last")
    mix.insert(0, "name_zh", [names.get(k, (k, k))[0] for k in mix.index])
    mix.insert(1, "name_en", [names.get(k, (k, k))[1] for k in mix.index])
    return mix


@dataclass(frozen=True)
class Analysis:
    as_of: dt.date
    month: str
    previous_month: str | None
    overall: pd.DataFrame  # index A..D: count, share[, count_before, share_before, change_pp]
    by_region: pd.DataFrame  # see grouped()
    by_industry: pd.DataFrame
    min_enterprises: int
    backtest: Backtest | None = None

    def top(self, frame: pd.DataFrame) -> pd.Series:
        return frame.loc[frame["rank"] == 1].iloc[0]

    def to_dict(self) -> dict[str, Any]:
        def rows(frame: pd.DataFrame) -> Any:
            return json.loads(frame.reset_index(names="key").to_json(
                orient="records", force_ascii=False))

        return {"as_of": self.as_of.isoformat(), "month": self.month,
                "previous_month": self.previous_month, "overall": rows(self.overall),
                "by_region": rows(self.by_region), "by_industry": rows(self.by_industry),
                "min_enterprises": self.min_enterprises,
                "backtest": self.backtest.to_dict() if self.backtest else None}


def analyse(as_of: dt.date, month: str, classes: pd.Series, enterprises: pd.DataFrame,
            previous: pd.Series | None = None, previous_month: str | None = None,
            *, min_enterprises: int = 30, backtest: Backtest | None = None) -> Analysis:
    """The analysis of ``classes`` (index USCC) against ``previous`` (the month before).

    ``enterprises`` has uscc, region_code, industry_code (extra rows are ignored).
    """
    attributes = enterprises.set_index("uscc")
    regions = attributes["region_code"].astype(str).map(region_key)
    industries = attributes["industry_code"].map(industry_key)
    counts = classes.value_counts().reindex(list(CLASSES), fill_value=0)
    overall = pd.DataFrame({"count": counts, "share": counts / max(int(counts.sum()), 1)})
    if previous is not None:
        before = previous.value_counts().reindex(list(CLASSES), fill_value=0)
        overall["count_before"] = before
        overall["share_before"] = before / max(int(before.sum()), 1)
        overall["change_pp"] = 100 * (overall["share"] - overall["share_before"])
    region_names_ = {k: region_names(k) for k in regions.unique()}
    industry_names_ = {k: industry_names(k) for k in industries.unique()}
    return Analysis(
        as_of, month, previous_month, overall,
        grouped(classes, previous, regions, region_names_, min_enterprises),
        grouped(classes, previous, industries, industry_names_, min_enterprises),
        min_enterprises, backtest)


# --- the report folder -----------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.3f}".rstrip("0").rstrip(".")
    return html.escape(str(value))


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def percent(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def figure_html(paths: list[Path], caption: str) -> str:
    png = next(p for p in paths if p.suffix == ".png")
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    links = " · ".join(f'<a href="{p.name}">{p.suffix[1:].upper()}</a>' for p in paths)
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)} ({links})</figcaption></figure>")


def group_table(frame: pd.DataFrame, what_zh: str, what_en: str) -> str:
    has_before = "change_pp" in frame
    headers = ["排名 rank", f"{what_zh} {what_en}", "企业数 enterprises",
               *(f"{c}类 {c}" for c in CLASSES), "C+D", "C+D 占比 share"]
    if has_before:
        headers += ["上月 C+D 占比 last month", "变化 change (pp)", "升类 up", "降类 down"]
    rows = []
    for _, r in frame.iterrows():
        row = ["" if pd.isna(r["rank"]) else int(r["rank"]), f"{r['name_zh']} {r['name_en']}",
               int(r["total"]), *(int(r[c]) for c in CLASSES), int(r["CD"]),
               percent(r["CD_share"])]
        if has_before:
            row += [percent(r["CD_share_before"]),
                    "" if pd.isna(r["change_pp"]) else f"{r['change_pp']:+.1f}",
                    int(r["moved_up"]), int(r["moved_down"])]
        rows.append(row)
    return html_table(headers, rows)


STYLE = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 2em; color: #222; }
.internal { background: #d1495b; color: white; padding: .5em 1em; font-weight: bold; }
table { border-collapse: collapse; margin: 1em 0; font-size: 90%; }
th, td { border: 1px solid #bbb; padding: .25em .6em; text-align: right; }
th { background: #f0f0f0; } td:nth-child(2) { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; }
"""


def page(title: str, sections: Sequence[str]) -> str:
    """A self-contained zh-CN page marked internal."""
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            '<meta name="robots" content="noindex">'
            f"<title>{html.escape(title)}（{INTERNAL}）</title><style>{STYLE}</style></head>"
            f'<body><div class="internal">{html.escape(INTERNAL)}</div>'
            f"<h1>{html.escape(title)}</h1>" + "\n".join(sections) + "</body></html>\n")


def write_report(analysis: Analysis, out: Path) -> Path:
    """Plots and ``index.html`` under ``out/<as_of>/``; returns the page's path."""
    folder = out / analysis.as_of.isoformat()
    sections: list[str] = []
    region_top = analysis.top(analysis.by_region) if analysis.by_region["rank"].notna().any() \
        else None
    industry_top = analysis.top(analysis.by_industry) \
        if analysis.by_industry["rank"].notna().any() else None
    summary = [f"分类月份 month: {analysis.month}（截至 as of {analysis.as_of}）",
               f"企业数 enterprises: {int(analysis.overall['count'].sum()):,}",
               f"对比月份 compared with: {analysis.previous_month or '无 none'}"]
    for label, top in (("风险最高地区 highest-risk region", region_top),
                       ("风险最高行业 highest-risk industry", industry_top)):
        if top is not None:
            summary.append(f"{label}: {top['name_zh']} {top['name_en']}，C+D 占比 share "
                           f"{percent(top['CD_share'])}（{int(top['CD'])} / "
                           f"{int(top['total'])}）")
    sections.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary) + "</ul>")

    with plots.chinese_text():
        overall = analysis.overall
        shares = pd.DataFrame({analysis.month: overall["share"]})
        if "share_before" in overall:
            shares.insert(0, analysis.previous_month or "before", overall["share_before"])
        figure = plots.class_distribution(shares, "类别分布 Class distribution")
        sections.append("<h2>类别分布 Class distribution</h2>"
                        + figure_html(plots.save(figure, folder, "class_distribution"),
                                  "类别分布 Class distribution"))
        headers = ["类别 class", "企业数 count", "占比 share"]
        rows: list[list[Any]] = []
        for c, r in overall.iterrows():
            row: list[Any] = [f"{c} {CLASS_LABELS[str(c)][0]} {CLASS_LABELS[str(c)][1]}",
                              int(r["count"]), percent(r["share"])]
            if "change_pp" in overall:
                row += [int(r["count_before"]), percent(r["share_before"]),
                        f"{float(r['change_pp']):+.1f}"]
            rows.append(row)
        if "change_pp" in overall:
            headers += ["上月企业数 last month", "上月占比 last month share",
                        "变化 change (pp)"]
        sections.append(html_table(headers, rows))

        for frame, what_zh, what_en, name in (
                (analysis.by_region, "地区", "region", "regions"),
                (analysis.by_industry, "行业", "industry", "industries")):
            ranked = frame.loc[frame["rank"].notna()]
            title = (f"{what_zh}类别结构（按 C+D 占比排序）"
                     f" Class mix by {what_en}, ranked by the C+D share")
            sections.append(f"<h2>{html.escape(title)}</h2>")
            if len(ranked):
                labels = [f"{z} {e}" if len(e) < 24 else z
                          for z, e in zip(ranked["name_zh"], ranked["name_en"], strict=True)]
                sections.append(figure_html(plots.save(plots.stacked_class_mix(
                    ranked, labels, title), folder, f"{name}_class_mix"), title))
                if "change_pp" in ranked:
                    change_title = (f"{what_zh} C+D 占比较上月变化"
                                    f" Change of the C+D share by {what_en}")
                    sections.append(figure_html(plots.save(plots.change_bars(
                        ranked["change_pp"], labels, change_title), folder,
                        f"{name}_change"), change_title))
            sections.append(
                f"<p>排名仅含企业数不少于 {analysis.min_enterprises} 的{what_zh} "
                f"(ranked: {what_en}s with at least {analysis.min_enterprises} enterprises)</p>")
            sections.append(group_table(frame, what_zh, what_en))

        if analysis.backtest is not None and int(analysis.backtest.overall["inspected"].sum()):
            result = analysis.backtest
            title = "抽查问题发现率 Discovery rate of the spot checks by class"
            sections.append(f"<h2>{title}</h2>" + figure_html(plots.save(plots.discovery_rates(
                result.overall, title), folder, "discovery_rate"), title))
            sections.append(html_table(
                ["类别 class", "检查数 inspected", "发现问题 problems", "发现率 rate",
                 "95% 区间 interval"],
                [[c, int(r["inspected"]), int(r["problems"]), percent(r["rate"]),
                  f"{percent(r['ci_low'])} – {percent(r['ci_high'])}"]
                 for c, r in result.overall.iterrows()]))
            sections.append(f"<p>D &gt; C &gt; B &gt; A: "
                            f"{'成立 holds' if result.ordered else '不成立 does not hold'}</p>")
    simulation = folder / "simulation.html"
    if simulation.exists():
        sections.append('<p><a href="simulation.html">监管模拟 supervision simulation</a></p>')
    path = folder / "index.html"
    (folder / "analysis.json").write_text(
        json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    path.write_text(page(f"企业信用风险分类统计分析 Credit-risk classification analysis "
                         f"{analysis.month}", sections), encoding="utf-8")
    return path
