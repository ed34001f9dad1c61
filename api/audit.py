"""The audit log (审计日志): every read of a risk result and every change, chained by hashes.

One JSON object per line in ``RISKGRAPH_HOME/audit/audit.jsonl``: ``seq``, ``at`` (UTC),
``actor``, ``role``, ``action``, ``resource``, ``client`` (address), ``details``,
``prev_hash`` and ``hash`` = SHA-256 of the previous hash followed by the canonical JSON of
the entry without its hash (sorted keys, no spaces, UTF-8). Editing a line breaks its
hash; removing one breaks the next line's ``prev_hash`` (and the sequence); removing the
last lines is caught by ``audit.head``, which holds the last sequence number and hash.
``riskgraph audit verify`` reports the first line that does not hold.

Appends take an exclusive ``flock`` on the log, so the server and the CLI may both write.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """The hash of ``entry`` (without its ``hash`` field) chained to ``prev_hash``."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(prev_hash.encode() + _canonical(body)).hexdigest()


class AuditLog:
    """Appends chained entries; one object per process (it remembers the chain's head).

    Group commit: a caller queues its entry and returns once it is on disk (fsync); one
    caller at a time writes everything queued so far with a single fsync, so concurrent
    requests share the cost of the flush instead of queueing behind one fsync each. The
    sequence numbers and hashes are given while the file is locked, so other processes
    (the CLI) may append too.
    """

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self.head_path = path.with_name("audit.head")
        self.fsync = fsync
        self._queue_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._queued = 0  # tickets handed out
        self._written = 0  # tickets on disk
        self._known: tuple[int, int, str] | None = None  # (file size, seq, hash) we wrote

    def _head(self) -> tuple[int, str]:
        """The last line's sequence number and hash (0 and the genesis when empty)."""
        size = self.path.stat().st_size if self.path.exists() else 0
        if self._known is not None and self._known[0] == size:
            return self._known[1], self._known[2]
        if not size:
            return 0, GENESIS
        with self.path.open("rb") as handle:  # read the tail only: the log grows forever
            handle.seek(max(0, size - 65536))
            lines = handle.read().splitlines()
        if len(lines) <= 1 and size > 65536:
            lines = self.path.read_bytes().splitlines()
        last = json.loads(lines[-1])
        return int(last["seq"]), str(last["hash"])

    def append(self, *, actor: str, role: str, action: str, resource: str, client: str,
               details: dict[str, Any] | None = None) -> None:
        """Record one entry; returns when it is written (and synced)."""
        entry: dict[str, Any] = {
            "seq": 0, "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor, "role": role, "action": action, "resource": resource,
            "client": client, "details": details or {},
        }
        with self._queue_lock:
            self._pending.append(entry)
            self._queued += 1
            ticket = self._queued
        with self._flush_lock:
            if self._written >= ticket:
                return  # somebody else's flush took it along
            with self._queue_lock:
                batch, self._pending = self._pending, []
                upto = self._queued
            self._write(batch)
            self._written = upto

    def _write(self, batch: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                seq, prev = self._head()
                lines = []
                for entry in batch:
                    seq += 1
                    entry["seq"], entry["prev_hash"] = seq, prev
                    entry["hash"] = prev = entry_hash(prev, entry)
                    lines.append(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
                handle.write("".join(lines))
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
                self._known = (handle.tell(), seq, prev)
                temporary = self.head_path.with_suffix(".tmp")
                temporary.write_text(json.dumps({"seq": seq, "hash": prev}))
                temporary.replace(self.head_path)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_broken_line: int | None  # 1-based
    reason: str


def verify(path: Path) -> Verification:
    """Check every line's hash, its link to the line before and the sequence; then that
    the head file names the last line (nothing removed from the end)."""
    if not path.exists():
        return Verification(True, 0, None, f"no audit log at {path}")
    prev, seq, count = GENESIS, 0, 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            count = number
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return Verification(False, number - 1, number, "not a JSON line")
            if entry.get("prev_hash") != prev:
                return Verification(False, number - 1, number,
                                    "prev_hash does not match the line before (a line was "
                                    "removed or replaced)")
            if entry.get("seq") != seq + 1:
                return Verification(False, number - 1, number,
                                    f"sequence {entry.get('seq')} after {seq} (lines removed)")
            if entry_hash(prev, entry) != entry.get("hash"):
                return Verification(False, number - 1, number,
                                    "hash does not match the entry (the line was edited)")
            prev, seq = entry["hash"], entry["seq"]
    head_path = path.with_name("audit.head")
    if head_path.exists():
        head = json.loads(head_path.read_text())
        if head.get("seq") != seq or head.get("hash") != prev:
            return Verification(False, count, count + 1,
                                f"the log ends at entry {seq} but the head names entry "
                                f"{head.get('seq')} (lines removed from the end)")
    return Verification(True, count, None, f"{count} entries, chain intact")
