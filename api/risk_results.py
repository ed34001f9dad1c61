"""Risk results as the API serves them: read from the monthly snapshots, never recomputed.

When a month is first asked for (and again only when its ``classification.parquet``
changes), every row is serialised once into the API's JSON shape, column-wise with
Arrow string kernels, and kept with a USCC -> row map: a lookup is a dictionary hit and
an array element, a batch of 10,000 one ``take`` per chunk of rows (about 2 KB a row: 2 GB
of memory for a million enterprises). The history of an enterprise reads only the class and score
columns of each month.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.config import IndicatorSystemConfig, load_indicator_config
from risk.snapshot import POINTS_PREFIX, snapshot_path

JSON_CHUNK = 100_000  # rows serialised at a time when a month is loaded
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_GRAPH_REASON = re.compile(r"[（(]\+(?P<points>\d+(?:\.\d+)?)\s*(?:分|points)[）)]\s*$")


class NoSnapshot(LookupError):
    """No snapshot for the month asked (or none at all)."""


@dataclass
class _Month:
    stamp: int  # mtime_ns of the parquet file
    # Each enterprise's result, serialised once, JSON_CHUNK rows per array. Not one
    # ChunkedArray: its take() concatenates every chunk first, 2 GB at a million rows
    # (1.9 s per 10,000-row batch against 0.05 s per chunk).
    chunks: list[pa.Array]
    rows: dict[str, int]

    def text(self, row: int) -> str:
        chunk, offset = divmod(row, JSON_CHUNK)
        text: str = self.chunks[chunk][offset].as_py()
        return text

    def texts(self, rows: Sequence[int]) -> list[str]:
        """The results of ``rows``, in their order."""
        chunk_of, offset = np.divmod(np.asarray(rows, dtype=np.int64), JSON_CHUNK)
        texts = np.empty(len(rows), dtype=object)
        for chunk in np.unique(chunk_of):
            wanted = chunk_of == chunk
            texts[wanted] = self.chunks[chunk].take(pa.array(offset[wanted])).to_pylist()
        return texts.tolist()


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
        self._listed: tuple[float, list[str]] | None = None

    def months(self) -> list[str]:
        """Months with a snapshot (listed again at most once a second)."""
        now = time.monotonic()
        if self._listed is None or now - self._listed[0] > 1.0:
            folder = self.root / "snapshots"
            months = sorted(p.name for p in folder.glob("????-??")
                            if _MONTH.match(p.name) and (p / "classification.parquet").exists())
            self._listed = (now, months)
        return self._listed[1]

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
                chunks = [self._json(table.slice(offset, JSON_CHUNK), month)
                          for offset in range(0, len(table), JSON_CHUNK)]
                cached = _Month(stamp, chunks, {u: i for i, u in enumerate(usccs)})
                self._months[month] = cached
        return cached

    def result(self, uscc: str, month: str | None = None) -> str | None:
        """The risk result of ``uscc`` in ``month`` (default: the latest) as JSON, or None."""
        month = month or self.latest()
        loaded = self._month(month)
        row = loaded.rows.get(uscc)
        if row is None:
            return None
        return loaded.text(row)

    def results(self, usccs: Sequence[str], month: str | None = None
                ) -> tuple[list[str], list[str], list[str]]:
        """JSON results of the known USCCs (in the order given, each once), those USCCs,
        and the unknown ones."""
        month = month or self.latest()
        loaded = self._month(month)
        rows: list[int] = []
        known: list[str] = []
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
                rows.append(row)
                known.append(uscc)
        if not rows:
            return [], [], unknown
        return loaded.texts(rows), known, unknown

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

    def _json(self, table: pa.Table, month: str) -> pa.Array:
        """Snapshot rows as JSON objects in the API's shape (api.http.models.RiskResult),
        assembled column-wise with Arrow string kernels once per month (a few seconds per
        million rows), so that a lookup is an array element and a batch a ``take``:
        building and serialising Python objects cost ~100 us a row per request."""
        names = set(table.column_names)
        n = table.num_rows

        def column(name: str) -> pa.Array:
            if name not in names:
                return pa.nulls(n, pa.string())
            return table.column(name).combine_chunks()

        final = _number(column("score"))
        base = _number(column("base_score")) if "base_score" in names else final
        uplift = (_number(column("graph_uplift")) if "graph_uplift" in names
                  else pa.array(["0.0"] * n))
        dimensions = [_object([("code", _literal(code)), ("name_zh", _literal(zh)),
                               ("name_en", _literal(en)),
                               ("score", _number(column(f"score_{code}"))),
                               ("contribution", _number(column(f"contribution_{code}")))])
                      for code, zh, en in self.dimensions]
        sectors = []
        for sector, (zh, en) in self.sectors.items():
            member = pc.fill_null(pc.not_equal(column(f"class_{sector}"), ""), False)
            value = _object([("name_zh", _literal(zh)), ("name_en", _literal(en)),
                             ("risk_class", _text(column(f"class_{sector}"))),
                             ("score", _number(column(f"score_{sector}")))])
            fragment = pc.binary_join_element_wise(_literal(sector), value, ":")
            sectors.append(pc.if_else(member, fragment, pa.scalar(None, pa.string())))
        # Non-members' fragments are empty, and the commas around them dropped
        # (null_handling="skip" loses rows where every input is null, pyarrow 2x.x).
        members = pa.array([""] * n, pa.string())
        if sectors:
            joined = pc.binary_join_element_wise(*sectors, ",", null_handling="replace",
                                                 null_replacement="")
            members = pc.replace_substring_regex(
                pc.replace_substring_regex(joined, ",{2,}", ","), "^,|,$", "")
        sector_classes = pc.binary_join_element_wise("{", members, "}", "")
        structured = (table.column("graph_reasons").to_pylist()
                      if "graph_reasons" in table.column_names else [None] * n)
        graph = [json.dumps(graph_reasons(zh or "", en or "", items), ensure_ascii=False)
                 for zh, en, items in zip(column("graph_reason_zh").to_pylist(),
                                          column("graph_reason_en").to_pylist(), structured,
                                          strict=True)]
        counterfactual = _object([
            ("code", _text(_empty_as_null(column("counterfactual_code")))),
            ("threshold", _number(column("counterfactual_threshold"), None)),
            ("text_zh", _text(pc.fill_null(column("counterfactual_zh"), ""))),
            ("text_en", _text(pc.fill_null(column("counterfactual_en"), "")))])
        return _object([
            ("uscc", _text(column("uscc"))), ("month", _literal(month)),
            ("as_of", _text(pc.cast(column("as_of"), pa.string()))),
            ("risk_class", _text(column("risk_class"))),
            ("final_score", final), ("base_score", base), ("graph_uplift", uplift),
            ("dimensions", _array(dimensions)),
            ("rule", _text(_empty_as_null(column("rule")))),
            ("rule_record_zh", _text(_empty_as_null(column("rule_record_zh")))),
            ("rule_record_en", _text(_empty_as_null(column("rule_record_en")))),
            ("reasons", _reasons(column("reasons"))),
            ("graph_reasons", pa.array(graph, pa.string())),
            ("counterfactual", counterfactual),
            ("sector_classes", sector_classes),
        ])


# --- JSON assembled with Arrow string kernels ------------------------------------------

_NULL = pa.scalar(None, pa.string())


def _literal(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _empty_as_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), _NULL, pc.cast(values, pa.string()))


def _text(values: pa.Array) -> pa.Array:
    """Strings as JSON string literals; null as ``null``. Escapes backslash, quote and
    the usual control characters; other control characters (never in registered names
    or records) become spaces."""
    text = pc.cast(values, pa.string())
    if not pc.any(pc.match_substring_regex(text, '[\\\\"\\x00-\\x1f]')).as_py():
        return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"),
                         ("\t", "\\t")):
        text = pc.replace_substring(text, raw, escaped)
    text = pc.replace_substring_regex(text, "[\\x00-\\x1f]", " ")
    return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")


def _number(values: pa.Array, digits: int | None = 4) -> pa.Array:
    """Floats as JSON numbers (rounded); null, NaN and infinities as ``null``."""
    number = pc.cast(values, pa.float64())
    if digits is not None:
        number = pc.round(number, digits)
    text = pc.if_else(pc.is_finite(number), pc.cast(number, pa.string()), _NULL)
    return pc.fill_null(text, "null")


def _object(fields: list[tuple[str, pa.Array | str]]) -> pa.Array:
    parts: list[pa.Array | str] = []
    for position, (name, value) in enumerate(fields):
        parts.append(("{" if position == 0 else ",") + json.dumps(name) + ":")
        parts.append(value)
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _array(items: list[pa.Array]) -> pa.Array:
    return pc.binary_join_element_wise("[", pc.binary_join_element_wise(*items, ","), "]", "")


def _reasons(column: pa.Array) -> pa.Array:
    """The nested reasons (list<struct>) as JSON arrays, each reason with ``text_zh`` and
    ``text_en`` (its record) added; built on the flat child arrays."""
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy()
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = pc.list_flatten(column)
    fields = {flat.type.field(k).name: flat.field(k) for k in range(flat.type.num_fields)}
    reason = _object([
        ("code", _text(fields["code"])), ("label_zh", _text(fields["label_zh"])),
        ("label_en", _text(fields["label_en"])), ("value", _text(fields["value"])),
        ("points", _number(fields["points"])), ("record_zh", _text(fields["record_zh"])),
        ("record_en", _text(fields["record_en"])), ("text_zh", _text(fields["record_zh"])),
        ("text_en", _text(fields["record_en"]))])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), reason), ",")
    return pc.binary_join_element_wise("[", joined, "]", "")


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


def graph_reasons(text_zh: str, text_en: str,
                  stored: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The graph-uplift reasons of a snapshot row as items with their contribution in
    points: from the snapshot's ``graph_reasons`` entries (``riskgraph score``), with their
    paths as the API's node ids, or else parsed from the joined texts (``；``/``;``, each
    ending in ``（+4.2分）``), without a path."""
    if stored:
        return [{"text_zh": item["text_zh"], "text_en": item["text_en"],
                 "contribution": item["points"],
                 "path": [_graph_node_id(node) for node in item["path"] or []]}
                for item in stored]
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


def _graph_node_id(key: str) -> str:
    """A reason path's store key as the graph endpoints' node id: a person's pseudonym is
    64 hex digits (HMAC-SHA256), an enterprise's key its 18-character USCC."""
    return f"person:{key}" if len(key) == 64 else f"enterprise:{key}"
