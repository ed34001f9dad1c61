"""What the HTTP API works on, without HTTP: the graph store, its query engine, the
enterprise directory (search, regions, statistics), the risk results and the logs.

One :class:`Backend` per server process. The embedded store is read from
``RISKGRAPH_HOME/memory-store.pickle`` and read again when that file changes; Neo4j is
the configured server, or the project's own one when it is running (the API never starts
a server). A store that cannot be reached raises :class:`StoreUnavailable` (HTTP 503).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import neo4j.exceptions
import numpy as np
import pandas as pd

from api.audit import AuditLog
from api.auth import KeyStore, UserStore
from api.risk_results import RiskResults
from api.settings import Settings
from api.supervise import plan_store, warning_log
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.queries import QueryEngine, open_queries
from graph.server import Neo4jServerError
from graph.store import GraphStore
from ingestion.normalise import normalise_name, normalise_text
from risk.early_warning import WarningLog
from risk.feedback import PlanStore
from risk.report import class_mix, industry_label, region_label

_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# What a store that cannot be reached raises (the driver's, the embedded file's).
STORE_ERRORS: tuple[type[Exception], ...] = (
    neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
    neo4j.exceptions.AuthError, Neo4jServerError)


class StoreUnavailable(RuntimeError):
    """The graph store cannot be reached (Neo4j down, no embedded store file)."""


@dataclass
class _Directory:
    stamp: float | int  # store version (embedded) or time read (Neo4j)
    frame: pd.DataFrame  # DIRECTORY_COLUMNS, indexed by USCC
    names: pd.Series  # normalised names, same index


class Backend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.results = RiskResults(settings.snapshot_root)
        self.audit = AuditLog(settings.audit_path)
        self.users = UserStore(settings.auth_dir)
        self.keys = KeyStore(settings.auth_dir)
        self.plans: PlanStore = plan_store(settings)
        self.warnings: WarningLog = warning_log(settings)
        self._store: GraphStore | None = None
        self._memory_stamp: int | None = None
        self._directory: _Directory | None = None
        self._lock = threading.RLock()
        self.write_lock = threading.Lock()  # one change of the store at a time
        self._token_key: bytes | None = None

    @property
    def token_key(self) -> bytes:
        """The token-signing key, read (or made) once."""
        if self._token_key is None:
            self._token_key = self.settings.token_key()
        return self._token_key

    # --- the store ---

    def store(self) -> GraphStore:
        with self._lock:
            if self.settings.graph == "memory":
                return self._memory()
            if self._store is None:
                self._store = self._neo4j()
            return self._store

    def _memory(self) -> MemoryStore:
        path = self.settings.memory_store_path
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            raise StoreUnavailable(f"no embedded store at {path}: run `riskgraph ingest` "
                                   f"first") from None
        if self._store is None or stamp != self._memory_stamp:
            self._store = MemoryStore.load(path)
            self._memory_stamp = stamp
        assert isinstance(self._store, MemoryStore)
        return self._store

    def _neo4j(self) -> Neo4jStore:
        settings = self.settings
        if settings.neo4j_uri:
            password = (settings.neo4j_password.get_secret_value()
                        if settings.neo4j_password else "")
            uri, user = settings.neo4j_uri, settings.neo4j_user
        else:
            try:
                connection = settings.local_neo4j_server().connection()
            except Neo4jServerError as error:
                raise StoreUnavailable(f"no Neo4j server configured: {error}") from None
            uri, user, password = connection.uri, connection.user, connection.password
        return Neo4jStore(uri, user, password, database=settings.neo4j_database,
                          retry_seconds=settings.store_timeout_seconds)

    def engine(self) -> QueryEngine:
        return open_queries(self.store())

    def save_memory(self) -> None:
        """After a change of the embedded store: write it back (the CLI reads the file)."""
        store = self.store()
        if isinstance(store, MemoryStore):
            store.save(self.settings.memory_store_path)
            self._memory_stamp = self.settings.memory_store_path.stat().st_mtime_ns

    def readiness(self) -> dict[str, Any]:
        """The store answers (raises StoreUnavailable otherwise) and what it holds."""
        store = self.store()
        if isinstance(store, Neo4jStore):
            try:
                store.verify()
            except STORE_ERRORS as error:
                raise StoreUnavailable(f"Neo4j: {error}") from None
        months = self.results.months()
        return {"status": "ready", "graph": self.settings.graph,
                "snapshot": months[-1] if months else None}

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    @contextlib.contextmanager
    def changing(self) -> Iterator[GraphStore]:
        """The store, for one change at a time; the embedded one is saved after it."""
        with self.write_lock:
            store = self.store()
            yield store
            self.save_memory()

    # --- the directory ---

    def directory(self) -> _Directory:
        with self._lock:
            store = self.store()
            stamp: float | int = (store.version if isinstance(store, MemoryStore)
                                  else time.monotonic())
            cached = self._directory
            fresh = cached is not None and (
                cached.stamp == stamp if isinstance(store, MemoryStore)
                else stamp - cached.stamp < self.settings.directory_seconds)
            if cached is None or not fresh:
                frame = self.engine().directory()
                names = frame["name"].fillna("").astype(str).map(normalise_name)
                cached = self._directory = _Directory(stamp, frame, names)
            return cached

    def region_of(self, usccs: list[str]) -> pd.Series:
        """Region code of each known USCC (unknown ones left out)."""
        frame = self.directory().frame
        return frame["region_code"].reindex(pd.Index(usccs, dtype=object)).dropna()

    def search(self, q: str, limit: int) -> list[dict[str, Any]]:
        """Enterprises by USCC (exact), name (normalised, partial) or a person's name
        (exact, as delivered): USCC hit first, then names, then people's enterprises."""
        directory = self.directory()
        frame = directory.frame
        text = normalise_text(q)
        found: list[str] = []
        if _USCC.match(text.upper()) and text.upper() in frame.index:
            found.append(text.upper())
        wanted = normalise_name(text)
        if wanted:
            hits = directory.names.to_numpy(dtype=object)
            mask = np.fromiter((wanted in name for name in hits), dtype=bool, count=len(hits))
            found.extend(frame.index[mask][: limit + 1].tolist())
        if len(found) < limit:
            found.extend(self.engine().enterprises_of_person(text))
        ordered = list(dict.fromkeys(found))[:limit]
        rows = frame.loc[[u for u in ordered if u in frame.index]]
        return [{str(k): (None if pd.isna(v) else v) for k, v in row.items()}
                for row in rows.to_dict("records")]

    # --- statistics ---

    def statistics(self, month: str | None) -> dict[str, Any]:
        """Class mix overall, by prefecture and by industry section (from the month's
        snapshot and the enterprises' registration data)."""
        month = month or self.results.latest()
        classes = pd.Series(dict(self.results.classes(month)), dtype=object)
        info = self.directory().frame.reindex(classes.index)

        def rows(mix: pd.DataFrame) -> list[dict[str, Any]]:
            return [{"group": str(group), "total": int(row["total"]),
                     **{c: int(row[c]) for c in "ABCD"},
                     **{f"{c}_share": round(float(row[f"{c}_share"]), 6) for c in "ABCD"}}
                    for group, row in mix.iterrows()]

        return {
            "month": month, "enterprises": len(classes),
            "overall": rows(class_mix(classes))[0] if len(classes) else None,
            "by_region": rows(class_mix(classes, info["region_code"].fillna("").astype(str)
                                        .map(region_label))),
            "by_industry": rows(class_mix(classes, info["industry_code"].map(
                lambda code: industry_label(code if isinstance(code, str) else None)))),
        }
