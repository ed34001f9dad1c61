"""Plots of the analysis report and the supervision simulation (PNG and SVG, Chinese text).

Figures are drawn on matplotlib's Agg canvas (no display, no pyplot state) with a CJK font
found through ``matplotlib.font_manager``: without one, Chinese labels would render as
empty boxes, so :func:`cjk_font` refuses to go on and says what to install. SVG keeps its
text as text (``svg.fonttype = none``), naming the font, so it stays searchable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from risk.classify import CLASS_LABELS, CLASSES

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
CLASS_COLOURS = {"A": "#4c9f70", "B": "#9cc5a1", "C": "#f2a541", "D": "#d1495b"}
FORMATS = ("png", "svg")


class FontMissing(RuntimeError):
    """No CJK font is installed: plots would show boxes instead of Chinese."""


def cjk_font() -> str:
    """The first of :data:`CJK_FONTS` matplotlib knows; :class:`FontMissing` otherwise."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise FontMissing(
        f"no CJK font for the plots ({' / '.join(CJK_FONTS)}): install Debian's "
        "fonts-noto-cjk (scripts/install-system-packages.sh), then remove matplotlib's "
        "font cache (~/.cache/matplotlib) so it is found; without it Chinese text renders "
        "as empty boxes")


@contextmanager
def chinese_text() -> Iterator[str]:
    """matplotlib settings for Chinese labels; yields the font's name."""
    font = cjk_font()
    with mpl.rc_context({"font.family": [font], "font.sans-serif": [font],
                         "axes.unicode_minus": False, "svg.fonttype": "none",
                         "figure.dpi": 100}):
        yield font


def save(figure: Figure, folder: Path, name: str) -> list[Path]:
    """``folder/name.png`` and ``folder/name.svg``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix in FORMATS:
        path = folder / f"{name}.{suffix}"
        figure.savefig(path, dpi=150, bbox_inches="tight", metadata=None if suffix == "png"
                       else {"Date": None})  # SVG without a timestamp: same data, same file
        paths.append(path)
    return paths


def _class_legend(axes: Axes) -> None:
    axes.legend(title="类别 class", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def class_distribution(shares: pd.DataFrame, title: str) -> Figure:
    """Bars of each class's share (%), one bar per column of ``shares`` (index A..D)."""
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    width = 0.8 / max(len(shares.columns), 1)
    positions = np.arange(len(CLASSES))
    for k, column in enumerate(shares.columns):
        values = 100 * shares[column].reindex(list(CLASSES)).fillna(0).to_numpy()
        bars = axes.bar(positions + (k - (len(shares.columns) - 1) / 2) * width, values,
                        width, label=str(column), alpha=1.0 if k == len(shares.columns) - 1
                        else 0.5, color=[CLASS_COLOURS[c] for c in CLASSES],
                        edgecolor="#333333")
        axes.bar_label(bars, fmt="%.1f", fontsize=8)
    axes.set_xticks(positions, [f"{c} {CLASS_LABELS[c][0]}\n{CLASS_LABELS[c][1]}"
                                for c in CLASSES])
    axes.set_ylabel("占比 share (%)")
    axes.set_title(title)
    if len(shares.columns) > 1:
        axes.legend(frameon=False)
    return figure


def stacked_class_mix(mix: pd.DataFrame, labels: Sequence[str], title: str) -> Figure:
    """Horizontal bars of the A..D shares of each row of ``mix`` (columns ``A_share``..),
    top row first, with the C+D share written beside each bar."""
    figure = Figure(figsize=(9, 0.9 + 0.32 * len(mix)))
    axes = figure.subplots()
    positions = np.arange(len(mix))[::-1]
    left = np.zeros(len(mix))
    for risk_class in CLASSES:
        values = 100 * mix[f"{risk_class}_share"].to_numpy()
        axes.barh(positions, values, left=left, color=CLASS_COLOURS[risk_class],
                  label=f"{risk_class} {CLASS_LABELS[risk_class][0]}")
        left += values
    high = 100 * (mix["C_share"] + mix["D_share"]).to_numpy()
    for y, value in zip(positions, high, strict=True):
        axes.text(101, y, f"C+D {value:.1f}%", va="center", fontsize=8)
    axes.set_yticks(positions, list(labels))
    axes.set_xlim(0, 118)
    axes.set_xlabel("占比 share (%)")
    axes.set_title(title)
    _class_legend(axes)
    return figure


def change_bars(change_pp: pd.Series, labels: Sequence[str], title: str) -> Figure:
    """Horizontal bars of a change in percentage points (rises red, falls green)."""
    figure = Figure(figsize=(8, 0.9 + 0.32 * len(change_pp)))
    axes = figure.subplots()
    positions = np.arange(len(change_pp))[::-1]
    values = change_pp.to_numpy(dtype=float)
    axes.barh(positions, values, color=np.where(values > 0, CLASS_COLOURS["D"],
                                                CLASS_COLOURS["A"]))
    axes.axvline(0, color="#333333", linewidth=0.8)
    axes.set_yticks(positions, list(labels))
    axes.set_xlabel("C+D 占比变化 change of the C+D share (百分点 pp)")
    axes.set_title(title)
    return figure


def discovery_rates(rates: pd.DataFrame, title: str,
                    baseline: float | None = None, baseline_label: str = "") -> Figure:
    """Discovery rate per class (index A..D: ``rate``, ``ci_low``, ``ci_high``) with its
    interval; ``baseline`` (e.g. uniform random sampling) as a dashed line."""
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    table = rates.reindex(list(CLASSES))
    rate = 100 * table["rate"].fillna(0).to_numpy()
    errors = 100 * np.vstack([rate / 100 - table["ci_low"].fillna(0).to_numpy(),
                              table["ci_high"].fillna(0).to_numpy() - rate / 100])
    positions = np.arange(len(CLASSES))
    bars = axes.bar(positions, rate, color=[CLASS_COLOURS[c] for c in CLASSES],
                    yerr=np.clip(errors, 0, None), capsize=5, edgecolor="#333333")
    axes.bar_label(bars, fmt="%.1f", fontsize=8, padding=6)
    axes.set_ylim(0, 100 * min(1.0, float(np.nanmax(table["ci_high"].to_numpy())) * 1.15 + 0.02))
    if baseline is not None:
        axes.axhline(100 * baseline, color="#333333", linestyle="--", linewidth=1,
                     label=baseline_label)
        axes.legend(frameon=False, loc="upper left")
    axes.set_xticks(positions, [f"{c} {CLASS_LABELS[c][0]}" for c in CLASSES])
    axes.set_ylabel("问题发现率 discovery rate (%)，95% Wilson")
    axes.set_title(title)
    return figure


def monthly_lines(frame: pd.DataFrame, title: str, ylabel: str) -> Figure:
    """One line per column of ``frame`` over its index (months)."""
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    for column in frame.columns:
        axes.plot(frame.index.astype(str), 100 * frame[column].to_numpy(dtype=float),
                  marker="o", label=str(column))
    axes.set_ylabel(ylabel)
    axes.set_xlabel("月份 month")
    axes.tick_params(axis="x", rotation=45)
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.legend(frameon=False)
    return figure
