"""Monthly snapshots (月度快照) of the classification, and what changed between months.

A snapshot is a folder ``<root>/snapshots/<YYYY-MM>/`` with ``classification.parquet``
(one row per enterprise in USCC order: class, scores, dimension contributions, rule,
reasons with their records, counterfactual, sector classes, and every indicator's points)
and ``meta.json`` (as-of date, config and model versions, weights used, class counts and
the class mix's PSI against the previous month). Written twice from the same data and
config, a snapshot is the same, byte for byte: nothing in it depends on the clock.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.config import IndicatorSystemConfig
from features.quality import psi_counts
from features.score import BaseScores
from risk.classify import CLASSES, Classification, ClassificationConfig

SNAPSHOT_FORMAT = 1
MODEL_VERSION = "base-score/1"  # with the graph uplift: "base-score/1+gnn/<model version>"
POINTS_PREFIX = "points_"


def month_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def snapshot_path(root: Path, month: str) -> Path:
    return root / "snapshots" / month


@dataclass(frozen=True)
class Snapshot:
    month: str
    frame: pd.DataFrame
    meta: dict[str, Any]


def class_mix_psi(before: pd.Series, after: pd.Series) -> float:
    """PSI between two class mixes (counts or labels per class)."""
    return psi_counts(before.reindex(list(CLASSES), fill_value=0),
                      after.reindex(list(CLASSES), fill_value=0))


def previous_month(root: Path, month: str) -> str | None:
    folder = root / "snapshots"
    months = sorted(p.name for p in folder.glob("????-??") if (p / "meta.json").exists())
    earlier = [m for m in months if m < month]
    return earlier[-1] if earlier else None


def write_snapshot(
    root: Path, as_of: dt.date, classification: Classification, scores: BaseScores,
    indicators: IndicatorSystemConfig, config: ClassificationConfig,
    graph_model: dict[str, Any] | None = None,
) -> Path:
    """Write the snapshot of ``as_of``'s month under ``root``; returns its folder.

    ``graph_model`` (from ``riskgraph score``): the graph model behind the uplift
    (``version``, selected model, ...); the classification then has ``base_score``,
    ``graph_uplift`` and the graph reasons, and ``score`` is the final score."""
    month = month_of(as_of)
    folder = snapshot_path(root, month)
    folder.mkdir(parents=True, exist_ok=True)
    table = classification.to_arrow()
    points = scores.contributions.reindex(classification.frame["uscc"])
    for name in points.columns:
        table = table.append_column(f"{POINTS_PREFIX}{name}",
                                    pa.array(points[name].to_numpy(), pa.float64()))
    table = table.append_column(
        "as_of", pa.array(np.full(table.num_rows, as_of), pa.date32()))
    temporary = folder / "classification.parquet.tmp"
    pq.write_table(table, temporary)
    temporary.replace(folder / "classification.parquet")

    counts = classification.class_counts()
    before = previous_month(root, month)
    mix_psi = None
    if before is not None:
        old = json.loads((snapshot_path(root, before) / "meta.json").read_text("utf-8"))
        mix_psi = round(class_mix_psi(pd.Series(old["class_counts"]), counts), 6)
    meta = {
        "format": SNAPSHOT_FORMAT,
        "month": month,
        "as_of": as_of.isoformat(),
        "model_version": (MODEL_VERSION if graph_model is None
                          else f"{MODEL_VERSION}+gnn/{graph_model['version']}"),
        "graph_model": graph_model,
        "indicator_config": {"file": indicators.path.name, "version": indicators.version,
                             "sha256": indicators.digest},
        "classification_config": {"version": config.version},
        "weights": {"source": indicators.weight_source,
                    "fitted_file": indicators.fitted_path.name if indicators.fitted_path
                    else None,
                    "dimensions": {k: round(v, 8)
                                   for k, v in indicators.dimension_weights.items()}},
        "enterprises": len(classification.frame),
        "class_counts": {k: int(v) for k, v in counts.items()},
        "previous_month": before,
        "class_mix_psi": mix_psi,
    }
    (folder / "meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def read_snapshot(root: Path, month: str) -> Snapshot:
    folder = snapshot_path(root, month)
    if not (folder / "meta.json").exists():
        available = sorted(p.name for p in (root / "snapshots").glob("????-??"))
        raise FileNotFoundError(
            f"no snapshot for {month} under {root / 'snapshots'} (have: "
            f"{', '.join(available) or 'none'}); run `riskgraph classify --as-of ...` first")
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    return Snapshot(month, pd.read_parquet(folder / "classification.parquet"), meta)


def diff_snapshots(before: Snapshot, after: Snapshot, n_causes: int = 2) -> pd.DataFrame:
    """Enterprises whose class changed, with the indicators (and records) that caused it.

    Causes are the indicators whose points moved most in the direction of the change;
    each comes with its record from the later snapshot's reasons (or the earlier one's,
    for a record that stopped counting). A change of rule (a veto) is listed first.
    """
    old = before.frame.set_index("uscc")
    new = after.frame.set_index("uscc")
    common = new.index.intersection(old.index)
    changed = common[(old.loc[common, "risk_class"] != new.loc[common, "risk_class"]).to_numpy()]
    entered = new.index.difference(old.index)
    o, n = old.loc[changed], new.loc[changed]
    up = (n["risk_class"] > o["risk_class"]).to_numpy()
    names = [c[len(POINTS_PREFIX):] for c in new.columns if c.startswith(POINTS_PREFIX)]
    delta = (n[[POINTS_PREFIX + x for x in names]].to_numpy()
             - o[[POINTS_PREFIX + x for x in names]].reindex(
                 columns=[POINTS_PREFIX + x for x in names]).fillna(0).to_numpy())
    signed = np.where(up[:, None], delta, -delta)
    order = np.argsort(-signed, axis=1, kind="stable")[:, :n_causes]
    records_new = _records(n)
    records_old = _records(o)
    causes: list[list[dict[str, Any]]] = []
    rows = range(len(changed))
    for row in rows:
        items: list[dict[str, Any]] = []
        rule_new, rule_old = n["rule"].iat[row], o["rule"].iat[row]
        if rule_new != rule_old:
            items.append({"code": f"rule:{rule_new or rule_old}",
                          "change": "rule applies" if rule_new else "rule no longer applies",
                          "record_zh": (n["rule_record_zh"].iat[row]
                                        or o["rule_record_zh"].iat[row]),
                          "record_en": (n["rule_record_en"].iat[row]
                                        or o["rule_record_en"].iat[row])})
        for column in order[row]:
            if signed[row, column] <= 1e-9:
                break
            name = names[column]
            record = records_new[row].get(name) or records_old[row].get(name) or ("", "")
            items.append({"code": name, "points_change": round(float(delta[row, column]), 4),
                          "record_zh": record[0], "record_en": record[1]})
        causes.append(items)
    result = pd.DataFrame({
        "uscc": changed.to_numpy(),
        "class_before": o["risk_class"].to_numpy(), "class_after": n["risk_class"].to_numpy(),
        "score_before": o["score"].to_numpy(), "score_after": n["score"].to_numpy(),
        "causes": causes,
    })
    new_rows = pd.DataFrame({
        "uscc": entered.to_numpy(), "class_before": "", "class_after":
        new.loc[entered, "risk_class"].to_numpy(), "score_before": np.nan,
        "score_after": new.loc[entered, "score"].to_numpy(),
        "causes": [[{"code": "new_enterprise"}] for _ in range(len(entered))],
    })
    frames = [f for f in (result, new_rows) if len(f)]
    if not frames:
        return result
    return pd.concat(frames, ignore_index=True).sort_values("uscc", ignore_index=True)


def _records(frame: pd.DataFrame) -> list[dict[str, tuple[str, str]]]:
    """Per row: indicator -> (record_zh, record_en) from its reasons."""
    return [{r["code"]: (r["record_zh"], r["record_en"]) for r in reasons}
            for reasons in frame["reasons"]]
