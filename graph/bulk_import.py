"""Initial load of a whole province with ``neo4j-admin database import full``.

The offline importer writes the store files directly, without transactions or index
lookups per row, and is much faster than Cypher for a first load (see
``bench/neo4j_load.py``). It needs a stopped server and an empty database, so it is for
the first load only; monthly deliveries go through :func:`graph.load.write_batch`.

The result is the graph ``write_batch`` builds from the same :class:`GraphBatch` on an
empty database:

* one node per natural key of a label, the last row of a repeated key winning (rows carry
  every property, as with ``MemoryStore``); a None property is no property;
* one relationship per ``(start, end, type, key)``, the last row winning, with a ``key``
  property; rows whose start or end node is not in the batch are dropped (MATCH finds
  nothing in an empty database);
* property types as the driver would write them: strings, ``long``, ``double``,
  ``boolean``, ``date`` and arrays of these; an empty array is set after the import,
  because the importer reads an empty cell as "no property".

``batch.declared`` (registered contacts a re-delivered row replaces) has nothing to end in
an empty database and is ignored.

The CSV files are written column-wise with pyarrow (no Python loop per row): every
non-null value is quoted, so an empty string (``""``) and a missing value (empty cell)
stay different; arrays are joined with the ASCII unit separator, checked absent from the
data; nodes of one label and relationships of one spec go to one file each, with the
label(s) and type given on the command line.
"""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import neo4j
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from graph.load import GraphBatch
from graph.neo4j_store import Neo4jStore
from graph.schema import NODES, RelSpec
from graph.server import LocalNeo4jServer

ARRAY_DELIMITER = "\x1f"  # ASCII unit separator: never in registry text (checked anyway)
_ADMIN_ARRAY_DELIMITER = "U+001F"
_NEWLINE = "[\r\n]"
_FIX_BATCH = 10_000

# Arrow types of the values the driver sends, and the importer's names for them.
_SCALAR_TYPES: dict[pa.DataType, str] = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int64(): "long",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}


class BulkImportError(RuntimeError):
    """The batch cannot be imported as it is, or the admin import failed."""


@dataclass
class ImportReport:
    """What :func:`bulk_import` did and how long each step took."""

    database: str
    nodes: dict[str, int] = field(default_factory=dict)  # imported, per label
    relationships: dict[str, int] = field(default_factory=dict)  # imported, per spec name
    folded_rows: int = 0  # rows merged into a later row with the same identity
    dropped_relationships: int = 0  # rows whose start or end node is not in the batch
    empty_lists_set: int = 0  # properties set to [] after the import
    stopped_server: bool = False  # the server was running and was stopped for the import
    csv_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per step, and "total"
    importer_peak_rss: int = 0  # bytes
    importer_output: str = ""  # the tail of neo4j-admin's output

    @property
    def graph_rows(self) -> int:
        """Nodes plus relationships imported."""
        return sum(self.nodes.values()) + sum(self.relationships.values())


@dataclass
class _EmptyLists:
    """Array properties that must be set to ``[]`` after the import.

    ``keys`` holds the identities of the rows with an empty array; None means every row
    of the label has one or no value at all for it, so a scan for the missing property
    finds exactly them.
    """

    target: str | RelSpec
    name: str
    keys: pa.Table | None
    count: int


@dataclass
class _Files:
    arguments: list[str] = field(default_factory=list)
    empty_lists: list[_EmptyLists] = field(default_factory=list)
    multiline: bool = False


def bulk_import(
    batches: GraphBatch | Iterable[GraphBatch],
    server: LocalNeo4jServer,
    *,
    database: str = "neo4j",
    threads: int | None = None,
    heap: str = "1g",
    max_off_heap: str = "2g",
    timeout: float = 3600.0,
) -> ImportReport:
    """Replace ``database`` of ``server`` by the graph of ``batches``, via the offline importer.

    ``batches`` may be one batch or an iterable consumed one batch at a time (e.g. one per
    record kind, so that a province never sits in memory whole): a label's nodes come in
    one batch, except key-only nodes (addresses, phones, e-mails), which may recur; a
    relationship's ends come in the same or an earlier batch. Writes the CSV files into
    the instance's import directory, stops the server if it
    runs (``report.stopped_server``), runs ``neo4j-admin database import full
    --overwrite-destination``, starts the server, creates the uniqueness constraints
    (:meth:`Neo4jStore.ensure_schema`) and sets empty arrays. The CSV files are removed
    whatever happens; the importer's log stays in the instance's ``logs/bulk-import.log``.
    The server is left running. ``heap`` and ``max_off_heap`` bound the importer's memory
    (its own defaults are a quarter and 90% of the machine's); ``threads`` defaults to the
    number of processors.
    """
    report = ImportReport(database=database)
    started = time.perf_counter()
    directory = server.import_dir / f"bulk-{uuid.uuid4().hex[:12]}"
    directory.mkdir(parents=True)
    try:
        # The files first: a batch that cannot be imported fails before the server stops.
        step = time.perf_counter()
        files = _Files()
        writer = _CsvWriter(directory, files, report)
        for batch in [batches] if isinstance(batches, GraphBatch) else batches:
            writer.add(batch)
        report.csv_bytes = sum(path.stat().st_size for path in directory.iterdir())
        report.seconds["csv"] = time.perf_counter() - step
        _info(
            f"wrote {report.graph_rows:,} rows ({report.csv_bytes / 2**20:,.0f} MiB of CSV) "
            f"in {report.seconds['csv']:.1f} s"
        )
        if server.pid is not None:
            _info(f"stopping the running server of {server.instance_dir} for the import")
            server.stop()
            report.stopped_server = True
        arguments = [
            # The database first: --nodes/--relationships take several values and would
            # swallow a name after them.
            "database", "import", "full", database,
            "--overwrite-destination=true",
            "--delimiter=,",
            '--quote="',
            f"--array-delimiter={_ADMIN_ARRAY_DELIMITER}",
            "--id-type=string",
            # Duplicates and dangling relationships were removed above: any bad entry is a
            # bug, so the first one fails the import.
            "--bad-tolerance=0",
            "--skip-duplicate-nodes=false",
            "--skip-bad-relationships=false",
            f"--max-off-heap-memory={max_off_heap}",
            f"--report-file={directory / 'import.report'}",
            *([f"--threads={threads}"] if threads else []),
            *(["--multiline-fields=true"] if files.multiline else []),
            *files.arguments,
        ]  # fmt: skip
        run = server.run_admin(*arguments, heap=heap, timeout=timeout, log_name="bulk-import.log")
        report.seconds["import"] = run.seconds
        report.importer_peak_rss = run.peak_rss
        report.importer_output = run.output[-4000:]
        if run.returncode != 0:
            raise BulkImportError(
                f"neo4j-admin database import failed (exit {run.returncode}); "
                f"see {run.log}:\n{run.output[-4000:]}"
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    step = time.perf_counter()
    connection = server.start()
    report.seconds["start"] = time.perf_counter() - step
    store = Neo4jStore(connection.uri, connection.user, connection.password, database=database)
    try:
        step = time.perf_counter()
        store.ensure_schema()
        report.seconds["constraints"] = time.perf_counter() - step
        step = time.perf_counter()
        report.empty_lists_set = sum(_set_empty_lists(store, fix) for fix in files.empty_lists)
        report.seconds["empty_lists"] = time.perf_counter() - step
    finally:
        store.close()
    report.seconds["total"] = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------- CSV files


class _CsvWriter:
    """Appends each batch's nodes and relationships as CSV files, with importer arguments."""

    def __init__(self, directory: Path, files: _Files, report: ImportReport) -> None:
        self.directory, self.files, self.report = directory, files, report
        self.node_keys: dict[str, list[pa.Array]] = {}
        self.parts = 0

    def _stem(self, name: str) -> Path:
        self.parts += 1
        return self.directory / f"{self.parts:03d}-{name}"

    def _known(self, label: str) -> pa.Array:
        keys = self.node_keys.get(label, [])
        if len(keys) > 1:
            self.node_keys[label] = keys = [pa.concat_arrays(keys)]
        return keys[0] if keys else pa.array([], pa.string())

    def add(self, batch: GraphBatch) -> None:
        for label, frame in batch.nodes.items():
            self._add_nodes(label, frame)
        for spec, frame in batch.relationships.items():
            self._add_relationships(spec, frame)

    def _add_nodes(self, label: str, frame: pd.DataFrame) -> None:
        node = NODES[label]
        table = _node_table(label, frame)
        if table is None:
            return
        table, folded = _last_of_each(table, [node.key])
        self.report.folded_rows += folded
        if label in self.node_keys:
            if table.num_columns > 1:
                raise BulkImportError(f"{label} nodes with properties came in two batches")
            table = table.filter(pc.invert(pc.is_in(table[node.key], value_set=self._known(label))))
            if not len(table):
                return
        self.node_keys.setdefault(label, []).append(table[node.key].combine_chunks())
        header = [f"{node.key}:ID({label})"]
        header += [_header(name, table[name].type) for name in table.column_names[1:]]
        labels = ":".join((label, *node.extra_labels))
        stem = self._stem(f"nodes-{label}")
        _write_csv(table, header, stem, self.files, label)
        self.files.arguments.append(
            f"--nodes={labels}={stem}.header.csv,{stem}.csv")
        self.report.nodes[label] = self.report.nodes.get(label, 0) + len(table)

    def _add_relationships(self, spec: RelSpec, frame: pd.DataFrame) -> None:
        table = _relationship_table(spec, frame)
        if table is None:
            return
        present = pc.and_(
            pc.is_in(table["start"], value_set=self._known(spec.start)),
            pc.is_in(table["end"], value_set=self._known(spec.end)),
        )
        kept = table.filter(present)
        self.report.dropped_relationships += len(table) - len(kept)
        table, folded = _last_of_each(kept, ["start", "end", "key"])
        self.report.folded_rows += folded
        if not len(table):
            return
        header = [f":START_ID({spec.start})", f":END_ID({spec.end})", "key:string"]
        header += [_header(name, table[name].type) for name in table.column_names[3:]]
        stem = self._stem(f"relationships-{spec.start}-{spec.type}-{spec.end}")
        _write_csv(table, header, stem, self.files, spec)
        self.files.arguments.append(
            f"--relationships={spec.type}={stem}.header.csv,{stem}.csv")
        self.report.relationships[spec.name] = (
            self.report.relationships.get(spec.name, 0) + len(table))


def _node_table(label: str, frame: pd.DataFrame) -> pa.Table | None:
    """The label's rows as an Arrow table: the key, then the schema's other properties
    that have a value somewhere (as ``MemoryStore`` keeps them)."""
    if frame.empty:
        return None
    spec = NODES[label]
    if spec.key not in frame.columns:
        raise BulkImportError(f"{label} rows have no {spec.key}")
    table = _arrow(frame, label)
    columns = [spec.key] + [
        name for name in spec.properties
        if name != spec.key and name in table.column_names and table[name].type != pa.null()
    ]  # fmt: skip
    table = pa.table({name: _typed(table[name].combine_chunks()) for name in columns})
    keys = table[spec.key]
    if not _is_string(keys.type) or keys.null_count:
        raise BulkImportError(f"{label}.{spec.key} must be a string in every row")
    return table


def _relationship_table(spec: RelSpec, frame: pd.DataFrame) -> pa.Table | None:
    """``start``, ``end``, ``key`` then the spec's properties that have a value somewhere."""
    if frame.empty:
        return None
    table = _arrow(frame, spec.name)
    for name in ("start", "end", "key"):
        if name not in table.column_names or not _is_string(table[name].type):
            raise BulkImportError(f"{spec.name} rows need string {name!r} values")
    if table["key"].null_count:
        raise BulkImportError(f"{spec.name} rows need a key (an empty string for none)")
    columns = ["start", "end", "key"] + [
        name for name in spec.properties
        if name in table.column_names and table[name].type != pa.null()
    ]  # fmt: skip
    return pa.table({name: _typed(table[name].combine_chunks()) for name in columns})


def _arrow(frame: pd.DataFrame, what: str) -> pa.Table:
    # pyarrow infers each column's type from its values (in C++); NaN is missing.
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise BulkImportError(f"{what}: mixed value types in a property ({error})") from error


def _typed(column: pa.Array) -> pa.Array:
    # Arrays that are all empty have no item type to infer: strings, as for an empty list.
    if pa.types.is_list(column.type) and column.type.value_type == pa.null():
        return column.cast(pa.list_(pa.string()))
    return column


def _is_string(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


def _header(name: str, data_type: pa.DataType) -> str:
    if not name.isidentifier():
        raise BulkImportError(f"property name {name!r} cannot go into a CSV header")
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        item = _SCALAR_TYPES.get(data_type.value_type)
        if item is None:
            raise BulkImportError(f"{name}: arrays of {data_type.value_type} are not supported")
        return f"{name}:{item}[]"
    scalar = _SCALAR_TYPES.get(data_type)
    if scalar is None:
        raise BulkImportError(f"{name}: values of type {data_type} are not supported")
    return f"{name}:{scalar}"


def _last_of_each(table: pa.Table, identity: list[str]) -> tuple[pa.Table, int]:
    """Keep the last row of each identity, in the original order; and how many went."""
    position = "__position"
    last = (
        table.select(identity)
        .append_column(position, pa.array(np.arange(len(table), dtype=np.int64)))
        .group_by(identity, use_threads=False)
        .aggregate([(position, "max")])
    )
    if len(last) == len(table):
        return table, 0
    keep = np.sort(last[f"{position}_max"].to_numpy())
    return table.take(pa.array(keep)), len(table) - len(keep)


def _write_csv(
    table: pa.Table, header: list[str], stem: Path, files: _Files, target: str | RelSpec
) -> None:
    """``<stem>.header.csv`` and ``<stem>.csv``; arrays joined, empty ones noted."""
    identity = ["start", "end", "key"] if isinstance(target, RelSpec) else [table.column_names[0]]
    columns: dict[str, pa.Array] = {}
    for name in table.column_names:
        column = table[name].combine_chunks()
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            _note_empty_lists(table, name, column, identity, target, files)
            items = pc.list_flatten(column)
            if not _is_string(items.type):
                column = column.cast(pa.list_(pa.string()))
                items = pc.list_flatten(column)
            if pc.any(pc.match_substring(items, ARRAY_DELIMITER)).as_py():
                raise BulkImportError(f"{name}: a value holds the array delimiter U+001F")
            if pc.any(pc.match_substring_regex(items, _NEWLINE)).as_py():
                files.multiline = True
            column = pc.binary_join(column, ARRAY_DELIMITER)
        elif _is_string(column.type) and pc.any(pc.match_substring_regex(column, _NEWLINE)).as_py():
            files.multiline = True
        columns[name] = column
    stem.with_name(stem.name + ".header.csv").write_text(",".join(header) + "\n", "utf-8")
    pa_csv.write_csv(
        pa.table(columns),
        str(stem.with_name(stem.name + ".csv")),
        pa_csv.WriteOptions(include_header=False, quoting_style="all_valid", batch_size=65_536),
    )


def _note_empty_lists(
    table: pa.Table,
    name: str,
    column: pa.Array,
    identity: list[str],
    target: str | RelSpec,
    files: _Files,
) -> None:
    empty = pc.fill_null(pc.equal(pc.list_value_length(column), 0), False)
    count = int(pc.sum(empty).as_py() or 0)
    if not count:
        return
    # With no null in the column, "property missing" after the import means "empty array".
    keys = table.select(identity).filter(empty) if column.null_count else None
    files.empty_lists.append(_EmptyLists(target, name, keys, count))


# ---------------------------------------------------------------------- after the import


def _set_empty_lists(store: Neo4jStore, fix: _EmptyLists) -> int:
    """Set ``fix.name = []`` where the batch had an empty array (auto-commit chunks)."""
    name = f"`{fix.name}`"
    if isinstance(fix.target, RelSpec):
        spec = fix.target
        start_key, end_key = NODES[spec.start].key, NODES[spec.end].key
        if fix.keys is None:
            query = (
                f"MATCH (:{spec.start})-[r:{spec.type}]->(:{spec.end}) WHERE r.{name} IS NULL "
                f"CALL (r) {{ SET r.{name} = [] }} IN TRANSACTIONS OF {_FIX_BATCH} ROWS"
            )
            return _run_auto_commit(store, query, fix.count)
        query = (
            f"UNWIND $rows AS row "
            f"MATCH (:{spec.start} {{{start_key}: row[0]}})-[r:{spec.type} {{key: row[2]}}]->"
            f"(:{spec.end} {{{end_key}: row[1]}}) SET r.{name} = []"
        )
    else:
        label = fix.target
        key = NODES[label].key
        if fix.keys is None:
            query = (
                f"MATCH (n:{label}) WHERE n.{name} IS NULL "
                f"CALL (n) {{ SET n.{name} = [] }} IN TRANSACTIONS OF {_FIX_BATCH} ROWS"
            )
            return _run_auto_commit(store, query, fix.count)
        query = f"UNWIND $rows AS row MATCH (n:{label} {{{key}: row[0]}}) SET n.{name} = []"
    rows = list(zip(*(fix.keys[column].to_pylist() for column in fix.keys.column_names),
                    strict=True))

    def write(tx: neo4j.ManagedTransaction, chunk: list[tuple[str, ...]]) -> None:
        tx.run(query, rows=chunk).consume()

    with store.driver.session(database=store.database) as session:
        for offset in range(0, len(rows), _FIX_BATCH):
            session.execute_write(write, rows[offset : offset + _FIX_BATCH])
    return fix.count


def _run_auto_commit(store: Neo4jStore, query: str, expected: int) -> int:
    # CALL { ... } IN TRANSACTIONS only runs in an auto-commit transaction.
    with store.driver.session(database=store.database) as session:
        summary = session.run(query).consume()
    written = int(summary.counters.properties_set)
    if written != expected:
        raise BulkImportError(f"set {written} empty arrays, expected {expected}: {query}")
    return written


def _info(message: str) -> None:
    print(f"[bulk-import] {message}", file=sys.stderr, flush=True)
