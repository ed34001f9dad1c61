"""Rich renderings of the indicator tree, quality report, fitted weights, diffs, evaluation.

Human-facing text is zh-CN with English beside it; the JSON written for scripts is English.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from features.config import IndicatorSystemConfig
from features.fit import FittedWeights
from features.quality import IV_FLOOR
from risk.classify import CLASS_LABELS, CLASSES
from risk.evaluate import Evaluation


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _cr(value: float) -> str:
    return f"CR={value:.3f}"


def weights_note(config: IndicatorSystemConfig) -> str:
    if config.weight_source == "fitted":
        return (f"权重来源 weights: 数据拟合 fitted ({config.fitted_path}), "
                f"不是 AHP 判断矩阵 (not the AHP matrices)")
    return "权重来源 weights: AHP 判断矩阵 (pairwise matrices)"


def indicator_tree(config: IndicatorSystemConfig) -> Tree:
    """dimension -> group -> indicator, with local and global weights and each matrix's CR."""
    weights = config.global_weights()
    root = Tree(f"[bold]指标体系 Indicator system[/bold] {config.path.name} v{config.version} "
                f"({_cr(config.dimension_ahp.consistency_ratio)})")
    for dimension, w_d in zip(config.dimensions, config.top_weights, strict=True):
        d_node = root.add(f"[bold]{dimension.label_zh}[/bold] {dimension.label_en} "
                          f"w={w_d:.3f} ({_cr(dimension.ahp.consistency_ratio)})")
        for group, w_g in zip(dimension.groups, dimension.weights, strict=True):
            g_node = d_node.add(f"{group.label_zh} {group.label_en} w={w_g:.3f} "
                                f"({_cr(group.ahp.consistency_ratio)})")
            for name, w_i in zip(group.indicators, group.weights, strict=True):
                spec = config.indicators[name]
                g_node.add(f"{spec.label_zh} [dim]{spec.label_en}[/dim] `{name}` "
                           f"w={w_i:.3f} global={weights[name]:.4f} "
                           f"[dim]sources={','.join(spec.sources)} "
                           f"window={spec.window_days}d missing={spec.missing:g} "
                           f"{spec.transform.kind}[/dim]")
    if config.sectors:
        sectors = root.add("[bold]行业专业模型 Sector overlays[/bold]")
        for sector in config.sectors:
            node = sectors.add(f"{sector.label_zh} {sector.label_en} `{sector.id}` "
                               f"({_cr(sector.ahp.consistency_ratio)})"
                               + (f" 维度重新赋权 re-weighted dimensions "
                                  f"({_cr(sector.dimension_ahp.consistency_ratio)})"
                                  if sector.dimension_ahp else ""))
            for name, weight in sector.weight_of.items():
                label = ("通用评分 general score" if name not in config.indicators
                         else f"{config.indicators[name].label_zh} "
                              f"[dim]{config.indicators[name].label_en}[/dim] `{name}`")
                node.add(f"{label} w={weight:.3f}")
    return root


def quality_table(report: pd.DataFrame) -> Table:
    table = Table(title="指标质量 Indicator quality (IV vs 12-month outcome, PSI month over month)",
                  title_justify="left")
    for column in ("指标 indicator", "范围 scope", "IV", "缺失率 missing", "PSI", ""):
        table.add_column(column, justify="left" if column.startswith(("指标", "范围")) else
                         "right")
    for row in _records(report):
        flag = f"[red]IV<{IV_FLOOR} 预测力弱 weak[/red]" if row["flag"] else ""
        table.add_row(f"{row['label_zh']}\n[dim]{row['indicator']}[/dim]", str(row["scope"]),
                      f"{row['iv']:.4f}", f"{row['missing_rate']:.1%}", f"{row['psi']:.4f}",
                      flag)
    return table


def fitted_table(fitted: FittedWeights, config: IndicatorSystemConfig) -> Table:
    table = Table(title=f"拟合权重 Fitted weights (as of {fitted.as_of}; "
                        f"distance to AHP 与AHP差距 {fitted.distance:.3f})", title_justify="left")
    for column in ("指标 indicator", "维度 dimension", "AHP", "fitted 拟合", "差 difference"):
        table.add_column(column, justify="right" if column[0] in "Afd差" else "left")
    for row in _records(fitted.comparison(config)):
        name = str(row["indicator"])
        table.add_row(f"{config.indicators[name].label_zh} [dim]{name}[/dim]",
                      str(row["dimension"]), f"{row['ahp']:.4f}", f"{row['fitted']:.4f}",
                      f"{row['difference']:+.4f}")
    return table


def class_mix_line(counts: pd.Series) -> str:
    total = max(int(counts.sum()), 1)
    return "  ".join(f"{c} {CLASS_LABELS[c][0]}: {int(counts[c]):,} ({counts[c] / total:.1%})"
                     for c in CLASSES)


def evaluation_table(result: Evaluation) -> Table:
    table = Table(title=f"结果回溯 Backtest: as of {result.as_of}, problems found in "
                        f"({result.as_of}, {result.horizon_end}]", title_justify="left")
    table.add_column("类 class")
    table.add_column("企业数 enterprises", justify="right")
    table.add_column("发现问题 with problems", justify="right")
    table.add_column("问题发现率 discovery rate", justify="right")
    for risk_class, row in result.by_class.iterrows():
        zh, en = CLASS_LABELS[str(risk_class)]
        table.add_row(f"{risk_class} {zh} {en}", f"{int(row['enterprises']):,}",
                      f"{int(row['problems']):,}", f"{row['discovery_rate']:.1%}")
    return table


def print_evaluation(console: Console, result: Evaluation) -> None:
    console.print(evaluation_table(result))
    console.print(f"AUC(base score, 12-month outcome) = {result.auc:.3f}  "
                  f"(基础评分对未来12个月发现问题的AUC; {result.positives:,} of "
                  f"{result.enterprises:,} enterprises had a problem found)")


def diff_table(changes: pd.DataFrame, limit: int) -> Table:
    table = Table(title=f"类别变化 Class changes ({len(changes):,}; first {limit})",
                  title_justify="left")
    for column in ("统一社会信用代码 USCC", "前 before", "后 after", "原因 causes"):
        table.add_column(column)
    for row in _records(changes.head(limit)):
        causes = "\n".join(
            f"{c.get('code')}: {c.get('record_zh') or ''} / {c.get('record_en') or ''}".rstrip(
                " /") for c in row["causes"])
        table.add_row(str(row["uscc"]), str(row["class_before"] or "-"),
                      str(row["class_after"]), causes)
    return table
