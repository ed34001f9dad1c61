"""Warnings (风险预警): rules over indicators and the graph, and their handling history.

Each rule of ``risk/supervision.toml`` (``[[warnings]]``) is one vectorised computation
over the tables as of a date (and, for class rules, the current and previous monthly
classes). A warning names its rule, its subject (an address, a person, an enterprise),
the enterprises concerned and the evidence (zh-CN and English); its id is stable for the
same rule, subject and month, so re-running a month raises nothing twice.

Handling (预警处置) is an append-only JSON-lines log, ``<home>/supervision/warnings.jsonl``:
``raised``, ``assigned``, ``acted`` (reminder 提醒, warning letter 警示函, interview 约谈,
inspection 检查), ``closed`` (with an outcome). The state of a warning is the replay of
its lines; nothing is rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from features.tables import GraphTables
from risk.classify import CLASSES
from risk.spotcheck import WarningRule

WARNING_COLUMNS = ["warning_id", "rule", "label_zh", "label_en", "as_of", "subject",
                   "enterprises", "evidence_zh", "evidence_en"]
ACTIONS: dict[str, tuple[str, str]] = {
    "reminder": ("提醒", "reminder"),
    "warning_letter": ("警示函", "warning letter"),
    "interview": ("约谈", "interview"),
    "inspection": ("检查", "inspection"),
}
Action = Literal["reminder", "warning_letter", "interview", "inspection"]


def _warning_ids(rule: str, month: str, subjects: pd.Series) -> pd.Series:
    digests = subjects.astype(str).map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:12])
    return rule + ":" + month + ":" + digests


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=WARNING_COLUMNS)


def _frame(rule: WarningRule, as_of: dt.date, subject: pd.Series, enterprises: pd.Series,
           zh: pd.Series, en: pd.Series) -> pd.DataFrame:
    month = f"{as_of:%Y-%m}"
    return pd.DataFrame({
        "warning_id": _warning_ids(rule.id, month, subject).to_numpy(),
        "rule": rule.id, "label_zh": rule.label_zh, "label_en": rule.label_en,
        "as_of": as_of.isoformat(), "subject": subject.astype(str).to_numpy(),
        "enterprises": enterprises.to_numpy(), "evidence_zh": zh.to_numpy(),
        "evidence_en": en.to_numpy(),
    }, columns=WARNING_COLUMNS)


def _recent_registrations(t: GraphTables, days: int) -> pd.Series:
    established = pd.to_datetime(t.enterprises["established"])
    return established.loc[established > t.as_of_ts - pd.Timedelta(days=days)]


def _grouped(links: pd.DataFrame, key: str, at_least: int
             ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Keys with at least ``at_least`` distinct enterprises: key, sorted tuple, count."""
    links = links.drop_duplicates([key, "uscc"]).sort_values([key, "uscc"])
    sizes = links.groupby(key)["uscc"].transform("size")
    links = links.loc[sizes >= at_least]
    members = links.groupby(key)["uscc"].agg(tuple)
    return pd.Series(members.index, dtype=object), members.reset_index(drop=True), \
        members.map(len).reset_index(drop=True)


def registrations_at_address(rule: WarningRule, t: GraphTables, **_: Any) -> pd.DataFrame:
    new = _recent_registrations(t, rule.window_days)
    links = t.addresses.loc[t.addresses["uscc"].isin(new.index)]
    subject, members, count = _grouped(links, "address", rule.at_least)
    if subject.empty:
        return _empty()
    days = str(rule.window_days)
    zh = "地址「" + subject + "」近" + days + "天内登记设立" + count.astype(str) + "家企业"
    en = ("address '" + subject + "': " + count.astype(str) + " enterprises registered in "
          + days + " days")
    return _frame(rule, t.as_of, "address:" + subject, members, zh, en)


def registrations_by_person(rule: WarningRule, t: GraphTables, **_: Any) -> pd.DataFrame:
    new = _recent_registrations(t, rule.window_days)
    links = t.person_links.loc[t.person_links["uscc"].isin(new.index)
                               & t.person_links["role"].isin(["legal_rep", "shareholder"])]
    subject, members, count = _grouped(links[["person_id", "uscc"]], "person_id",
                                       rule.at_least)
    if subject.empty:
        return _empty()
    days = str(rule.window_days)
    short = subject.str[:12]
    zh = ("同一自然人（" + short + "…）近" + days + "天内设立或担任法定代表人的新企业"
          + count.astype(str) + "家")
    en = ("one person (" + short + "...) behind " + count.astype(str)
          + " enterprises registered in " + days + " days")
    return _frame(rule, t.as_of, "person:" + subject, members, zh, en)


def legal_rep_changes(rule: WarningRule, t: GraphTables, **_: Any) -> pd.DataFrame:
    changes = t.since("change", rule.window_days)
    changes = changes.loc[changes["field"] == "legal_rep"].sort_values(["uscc", "date"])
    dates = changes.groupby("uscc")["date"].agg(
        lambda d: "、".join(d.dt.strftime("%Y-%m-%d")))
    count = changes.groupby("uscc").size()
    hit = count.loc[count >= rule.at_least]
    if hit.empty:
        return _empty()
    subject = pd.Series(hit.index, dtype=object)
    n = hit.astype(str).reset_index(drop=True)
    when = dates.reindex(hit.index).reset_index(drop=True)
    zh = "近12个月法定代表人变更" + n + "次（" + when + "）"
    en = "legal representative changed " + n + " times in 12 months (" + when + ")"
    return _frame(rule, t.as_of, "enterprise:" + subject, subject.map(lambda u: (u,)), zh, en)


def complaint_growth(rule: WarningRule, t: GraphTables, **_: Any) -> pd.DataFrame:
    recent = t.since("complaint", 91).groupby("uscc").size()
    year = t.since("complaint", 365).groupby("uscc").size()
    before = (year - recent.reindex(year.index, fill_value=0)).reindex(recent.index,
                                                                        fill_value=0)
    growth = (recent / 3) / ((before + 1) / 9)
    hit = (growth >= rule.threshold) & (recent >= max(rule.min_recent, 1))
    if not hit.any():
        return _empty()
    subject = pd.Series(recent.index[hit.to_numpy()], dtype=object)
    c3 = recent.loc[hit].astype(str).reset_index(drop=True)
    c9 = before.loc[hit].astype(str).reset_index(drop=True)
    g = growth.loc[hit].round(1).astype(str).reset_index(drop=True)
    zh = ("近3个月投诉" + c3 + "件，此前9个月" + c9 + "件，月均增长倍数" + g
          + "（阈值" + f"{rule.threshold:g}" + "）")
    en = (c3 + " complaints in 3 months, " + c9 + " in the 9 before: growth x" + g
          + " (threshold " + f"{rule.threshold:g}" + ")")
    return _frame(rule, t.as_of, "enterprise:" + subject, subject.map(lambda u: (u,)), zh, en)


def related_fell_to_d(rule: WarningRule, t: GraphTables, *, current: pd.Series | None = None,
                      previous: pd.Series | None = None, **_: Any) -> pd.DataFrame:
    if current is None or previous is None:
        return _empty()
    before = previous.reindex(current.index)
    fell = current.index[((current == "D") & before.notna() & (before != "D")).to_numpy()]
    pairs = t.related_pairs.loc[t.related_pairs["other"].isin(fell)
                                & ~t.related_pairs["uscc"].isin(fell)]
    pairs = pairs.sort_values(["uscc", "other"])
    if pairs.empty:
        return _empty()
    others = pairs.groupby("uscc")["other"].agg(tuple)
    subject = pd.Series(others.index, dtype=object)
    listed = others.map("、".join).reset_index(drop=True)
    members = (subject.map(lambda u: (u,)) + others.reset_index(drop=True))
    zh = "关联企业" + listed + "本月新列为D类（高风险）"
    en = "related enterprise(s) " + listed + " fell into class D this month"
    return _frame(rule, t.as_of, "enterprise:" + subject, members, zh, en)


def class_jump(rule: WarningRule, t: GraphTables, *, current: pd.Series | None = None,
               previous: pd.Series | None = None, **_: Any) -> pd.DataFrame:
    if current is None or previous is None:
        return _empty()
    rank = {c: i for i, c in enumerate(CLASSES)}
    now = current.map(rank)
    before = previous.reindex(current.index).map(rank)
    hit = (now - before) >= rule.at_least
    if not hit.any():
        return _empty()
    subject = pd.Series(current.index[hit.to_numpy()], dtype=object)
    old = previous.reindex(subject).astype(str).reset_index(drop=True)
    new = current.reindex(subject).astype(str).reset_index(drop=True)
    zh = "风险类别由" + old + "类升至" + new + "类"
    en = "class rose from " + old + " to " + new
    return _frame(rule, t.as_of, "enterprise:" + subject, subject.map(lambda u: (u,)), zh, en)


RULES = {
    "registrations_at_address": registrations_at_address,
    "registrations_by_person": registrations_by_person,
    "legal_rep_changes": legal_rep_changes,
    "complaint_growth": complaint_growth,
    "related_fell_to_d": related_fell_to_d,
    "class_jump": class_jump,
}


def run_rules(rules: tuple[WarningRule, ...], tables: GraphTables,
              current: pd.Series | None = None, previous: pd.Series | None = None
              ) -> pd.DataFrame:
    """Every rule's warnings as of ``tables.as_of`` (``current``/``previous``: class per
    USCC this month and last month, for the class rules), in rule then subject order."""
    frames = [RULES[rule.kind](rule, tables, current=current, previous=previous)
              for rule in rules]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    return pd.concat(frames, ignore_index=True)


# --- handling --------------------------------------------------------------------------


class WarningStateError(ValueError):
    """A handling step that does not fit the warning's state."""


@dataclass(frozen=True)
class WarningLog:
    """The append-only handling history of warnings (JSON lines)."""

    path: Path

    def _lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line]

    def _append(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.path.open("a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps({"at": now, **entry}, ensure_ascii=False) + "\n")

    def raise_warnings(self, warnings: pd.DataFrame) -> int:
        """Record new warnings (those already raised are left alone); returns how many."""
        seen = {e["warning_id"] for e in self._lines() if e["event"] == "raised"}
        fresh = warnings.loc[~warnings["warning_id"].isin(seen)]
        records = json.loads(fresh.to_json(orient="records", force_ascii=False))
        self._append([{"event": "raised", **record} for record in records])
        return len(records)

    def history(self, warning_id: str) -> list[dict[str, Any]]:
        return [e for e in self._lines() if e["warning_id"] == warning_id]

    def state(self) -> pd.DataFrame:
        """One row per warning: its raise record plus status, assignee, actions, outcome."""
        rows: dict[str, dict[str, Any]] = {}
        for entry in self._lines():  # replay of the log
            wid = entry["warning_id"]
            if entry["event"] == "raised":
                rows[wid] = {**{k: entry.get(k) for k in WARNING_COLUMNS}, "status": "open",
                             "assignee": "", "actions": "", "outcome": ""}
                continue
            row = rows[wid]
            if entry["event"] == "assigned":
                row["assignee"], row["status"] = entry["to"], "assigned"
            elif entry["event"] == "acted":
                row["actions"] = "，".join(filter(None, [row["actions"], entry["action"]]))
                row["status"] = "in_progress"
            elif entry["event"] == "closed":
                row["status"], row["outcome"] = "closed", entry["outcome"]
        columns = [*WARNING_COLUMNS, "status", "assignee", "actions", "outcome"]
        return pd.DataFrame(list(rows.values()), columns=columns)

    def _current(self, warning_id: str) -> str:
        history = self.history(warning_id)
        if not history:
            raise WarningStateError(f"no warning {warning_id!r} in {self.path}")
        status = "open"
        for entry in history:
            status = {"raised": "open", "assigned": "assigned", "acted": "in_progress",
                      "closed": "closed"}[entry["event"]]
        if status == "closed":
            raise WarningStateError(f"warning {warning_id!r} is closed; raise a new one")
        return status

    def assign(self, warning_id: str, to: str, by: str = "") -> None:
        self._current(warning_id)
        self._append([{"event": "assigned", "warning_id": warning_id, "to": to, "by": by}])

    def act(self, warning_id: str, action: Action, by: str = "", note: str = "") -> None:
        if action not in ACTIONS:
            raise WarningStateError(f"unknown action {action!r}; use one of {list(ACTIONS)}")
        if self._current(warning_id) == "open":
            raise WarningStateError(f"warning {warning_id!r} is not assigned yet; assign it "
                                    f"first (`riskgraph warnings assign`)")
        self._append([{"event": "acted", "warning_id": warning_id, "action": action,
                       "by": by, "note": note}])

    def close(self, warning_id: str, outcome: str, by: str = "") -> None:
        if self._current(warning_id) == "open":
            raise WarningStateError(f"warning {warning_id!r} is not assigned yet")
        if not outcome.strip():
            raise WarningStateError("closing a warning needs an outcome (处置结果)")
        self._append([{"event": "closed", "warning_id": warning_id, "outcome": outcome,
                       "by": by}])


def action_counts(state: pd.DataFrame) -> pd.Series:
    """How often each action was taken, over all warnings."""
    actions = state["actions"].str.split("，").explode()
    counts: pd.Series = actions.loc[actions != ""].value_counts().reindex(
        list(ACTIONS), fill_value=0)
    return counts.astype(np.int64)
