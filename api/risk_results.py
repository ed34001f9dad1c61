"""Risk results as the API serves them: read from the monthly snapshots, never recomputed.

A month's ``classification.parquet`` is loaded once (and again only when its file
changes) into an Arrow table with a USCC -> row map, so that a lookup is a dictionary
hit and a one-row slice, and a batch of 10,000 one ``take``. The history of an enterprise
reads only the class and score columns of each month.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from features.config import IndicatorSystemConfig, load_indicator_config
from risk.snapshot import POINTS_PREFIX, snapshot_path

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_GRAPH_REASON = re.compile(r"[（(]\+(?P<points>\d+(?:\.\d+)?)\s*(?:分|points)[）)]\s*$")


class NoSnapshot(LookupError):
    """No snapshot for the month asked (or none at all)."""


@dataclass
class _Month:
    stamp: int  # mtime_ns of the parquet file
    table: pa.Table  # without the per-indicator points
    rows: dict[str, int]
    meta_as_of: str


@dataclass
class _Classes:
    stamp: int
    rows: dict[str, tuple[str, float]]


class RiskResults:
    """Risk results of every snapshot month under ``root/snapshots``."""

    def __init__(self, root: Path, indicators: IndicatorSystemConfig | None = None) -> None:
        self.root = root
        config = indicators or load_indicator_config()
        self.dimensions = [(d.id, d.label_zh, d.label_en) for d in config.dimensions]
        self.sectors = {s.id: (s.label_zh, s.label_en) for s in config.sectors}
        self._months: dict[str, _Month] = {}
        self._classes: dict[str, _Classes] = {}
        self._lock = threading.Lock()

    def months(self) -> list[str]:
        folder = self.root / "snapshots"
        return sorted(p.name for p in folder.glob("????-??")
                      if _MONTH.match(p.name) and (p / "classification.parquet").exists())

    def latest(self) -> str:
        months = self.months()
        if not months:
            raise NoSnapshot(f"no snapshot under {self.root / 'snapshots'}; run "
                             f"`riskgraph classify --as-of ...` first")
        return months[-1]

    def _file(self, month: str) -> tuple[Path, int]:
        if not _MONTH.match(month):
            raise NoSnapshot(f"month {month!r}: use YYYY-MM")
        path = snapshot_path(self.root, month) / "classification.parquet"
        try:
            return path, path.stat().st_mtime_ns
        except FileNotFoundError:
            raise NoSnapshot(f"no snapshot for {month} (have: "
                             f"{', '.join(self.months()) or 'none'})") from None

    def _month(self, month: str) -> _Month:
        path, stamp = self._file(month)
        cached = self._months.get(month)
        if cached is not None and cached.stamp == stamp:
            return cached
        with self._lock:
            cached = self._months.get(month)
            if cached is None or cached.stamp != stamp:
                schema = pq.read_schema(path)
                columns = [n for n in schema.names if not n.startswith(POINTS_PREFIX)]
                table = pq.read_table(path, columns=columns)
                usccs = table.column("uscc").to_pylist()
                as_of = table.column("as_of")[0].as_py() if len(table) else None
                cached = _Month(stamp, table, {u: i for i, u in enumerate(usccs)},
                                str(as_of) if as_of else "")
                self._months[month] = cached
        return cached

    def has(self, uscc: str, month: str | None = None) -> bool:
        return uscc in self._month(month or self.latest()).rows

    def result(self, uscc: str, month: str | None = None) -> dict[str, Any] | None:
        """The risk result of ``uscc`` in ``month`` (default: the latest), or None."""
        month = month or self.latest()
        loaded = self._month(month)
        row = loaded.rows.get(uscc)
        if row is None:
            return None
        return self._shape(loaded.table.slice(row, 1).to_pylist()[0], month)

    def results(self, usccs: Sequence[str], month: str | None = None
                ) -> tuple[list[dict[str, Any]], list[str]]:
        """Results of the known USCCs (in the order given, each once) and the unknown ones."""
        month = month or self.latest()
        loaded = self._month(month)
        known: list[int] = []
        unknown: list[str] = []
        seen: set[str] = set()
        for uscc in usccs:
            if uscc in seen:
                continue
            seen.add(uscc)
            row = loaded.rows.get(uscc)
            if row is None:
                unknown.append(uscc)
            else:
                known.append(row)
        rows = loaded.table.take(pa.array(known, pa.int64())).to_pylist() if known else []
        return [self._shape(row, month) for row in rows], unknown

    def history(self, uscc: str) -> list[dict[str, Any]]:
        """Class and final score of ``uscc`` in every month it was classified."""
        items = []
        for month in self.months():
            found = self._month_classes(month).rows.get(uscc)
            if found is not None:
                items.append({"month": month, "risk_class": found[0],
                              "final_score": round(found[1], 4)})
        return items

    def classes(self, month: str | None = None) -> Mapping[str, str]:
        """USCC -> class of a month (default: the latest; empty without snapshots)."""
        if month is None and not self.months():
            return {}
        return _ClassMap(self._month_classes(month or self.latest()).rows)

    def _month_classes(self, month: str) -> _Classes:
        path, stamp = self._file(month)
        cached = self._classes.get(month)
        if cached is None or cached.stamp != stamp:
            table = pq.read_table(path, columns=["uscc", "risk_class", "score"])
            cached = _Classes(stamp, dict(zip(
                table.column("uscc").to_pylist(),
                zip(table.column("risk_class").to_pylist(), table.column("score").to_pylist(),
                    strict=True), strict=True)))
            self._classes[month] = cached
        return cached

    def _shape(self, row: dict[str, Any], month: str) -> dict[str, Any]:
        """A snapshot row in the API's shape (api.http.models.RiskResult)."""
        final = float(row["score"])
        base = row.get("base_score")
        return {
            "uscc": row["uscc"], "month": month, "as_of": str(row.get("as_of") or ""),
            "risk_class": row["risk_class"],
            "final_score": round(final, 4),
            "base_score": round(float(base if base is not None else final), 4),
            "graph_uplift": round(float(row.get("graph_uplift") or 0.0), 4),
            "dimensions": [
                {"code": code, "name_zh": zh, "name_en": en,
                 "score": round(float(row[f"score_{code}"]), 4),
                 "contribution": round(float(row[f"contribution_{code}"]), 4)}
                for code, zh, en in self.dimensions],
            "rule": row.get("rule") or None,
            "rule_record_zh": row.get("rule_record_zh") or None,
            "rule_record_en": row.get("rule_record_en") or None,
            "reasons": [
                {**reason, "text_zh": reason["record_zh"], "text_en": reason["record_en"]}
                for reason in row.get("reasons") or []],
            "graph_reasons": graph_reasons(row.get("graph_reason_zh") or "",
                                           row.get("graph_reason_en") or ""),
            "counterfactual": {
                "code": row.get("counterfactual_code") or None,
                "threshold": row.get("counterfactual_threshold"),
                "text_zh": row.get("counterfactual_zh") or "",
                "text_en": row.get("counterfactual_en") or "",
            },
            "sector_classes": {
                sector: {"name_zh": zh, "name_en": en, "risk_class": row[f"class_{sector}"],
                         "score": round(float(row[f"score_{sector}"]), 4)}
                for sector, (zh, en) in self.sectors.items()
                if row.get(f"class_{sector}")},
        }


class _ClassMap(Mapping[str, str]):
    """A read-only view uscc -> class over a month's cached rows (no copy per request)."""

    def __init__(self, rows: dict[str, tuple[str, float]]) -> None:
        self._rows = rows

    def __getitem__(self, uscc: str) -> str:
        return self._rows[uscc][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def graph_reasons(text_zh: str, text_en: str) -> list[dict[str, Any]]:
    """The graph-uplift reasons of a snapshot row (``；``/``;``-joined texts, each ending in
    ``（+4.2分）``) as items with their contribution in points."""
    if not text_zh:
        return []
    parts_zh = text_zh.split("；")
    parts_en = text_en.split("; ") if text_en else [""] * len(parts_zh)
    items: list[dict[str, Any]] = []
    for zh, en in zip(parts_zh, parts_en + [""] * (len(parts_zh) - len(parts_en)),
                      strict=False):
        found = _GRAPH_REASON.search(zh)
        items.append({"text_zh": zh, "text_en": en,
                      "contribution": float(found["points"]) if found else None,
                      "path": []})
    return items
