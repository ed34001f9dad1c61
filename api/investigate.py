"""The investigator queries for the CLI: opening the store read-only, and showing results.

Tables carry Chinese headings with the English beside them (design section 8); ``--json``
prints the result model itself, English field names, for scripts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from api.pipeline import open_store
from api.settings import Settings
from graph.memory import MemoryStore
from graph.queries import (
    Clusters,
    Controllers,
    Network,
    Party,
    PathResult,
    Penetration,
    QueryEngine,
    SuspectedRelations,
    open_queries,
)

KIND_ZH = {
    "address": "同一地址", "phone": "同一电话", "email": "同一邮箱", "legal_rep": "同一法定代表人",
    "officer": "同一高管", "shareholder": "同一股东", "cross_role": "同一人（不同身份）",
}
LABEL_ZH = {"Enterprise": "企业", "Person": "自然人", "Address": "地址", "Phone": "电话",
            "Email": "邮箱"}


@contextmanager
def query_engine(settings: Settings, console: Console) -> Iterator[QueryEngine]:
    """The configured store's query engine; the embedded store is read, never written."""
    if settings.graph == "memory":
        path = settings.memory_store_path
        if not path.exists():
            raise SystemExit(f"no embedded store at {path}: run `riskgraph ingest` first")
        yield open_queries(MemoryStore.load(path))
        return
    with open_store(settings, console) as store:
        yield open_queries(store)


def read_classes(path: Path | None) -> dict[str, str] | None:
    """uscc -> risk class from a ``classification.parquet`` written by ``classify``."""
    if path is None:
        return None
    frame = pd.read_parquet(path, columns=["uscc", "risk_class"])
    return dict(zip(frame["uscc"].astype(str), frame["risk_class"].astype(str), strict=True))


def print_json(console: Console, result: Any) -> None:
    console.print_json(json.dumps(_plain(result), ensure_ascii=False, default=str))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name))
                for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _who(party: Party) -> str:
    if party.label == "Person":
        return f"{party.name or ''} {party.id_masked or ''}".strip()
    if party.label == "Enterprise":
        return f"{party.name or ''} {party.key}".strip()
    return party.key


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def show_network(console: Console, result: Network) -> None:
    cut = "，已截断 truncated" if result.truncated else ""
    table = _table(
        f"关联网络 Related-party network · {result.uscc} · {result.hops} 跳 hops · "
        f"截至 as of {result.as_of} · {len(result.nodes)} 节点 nodes, "
        f"{len(result.edges)} 关系 edges{cut}",
        ["跳数 hop", "类型 type", "标识 key", "名称 name", "状态 status", "分类 class"])
    for node in result.nodes:
        props = node.properties
        table.add_row(str(node.depth), f"{LABEL_ZH.get(node.label, '')} {node.label}",
                      node.key if node.label != "Person" else str(props.get("id_masked", "")),
                      str(props.get("name", "")), str(props.get("status", "")),
                      node.risk_class or "")
    console.print(table)


def show_penetration(console: Console, result: Penetration) -> None:
    way = ("向上（股东）up: holders" if result.direction == "up"
           else "向下（对外投资）down: holdings")
    table = _table(
        f"股权穿透 Ownership penetration · {result.uscc} · {way} · 截至 as of {result.as_of}",
        ["主体 party", "类型 type", "累计持股 cumulative", "直接持股 direct", "层级 depth",
         "路径数 paths"])
    for stake in result.stakes:
        table.add_row(_who(stake.party), f"{LABEL_ZH.get(stake.party.label, '')}",
                      f"{stake.share:.2%}", f"{stake.direct_share:.2%}" if stake.direct_share
                      else "", str(stake.depth), str(stake.paths))
    console.print(table)
    if result.truncated:
        console.print("路径过多，结果为下限 too many paths: shares are lower bounds (truncated)")


def show_controllers(console: Console, result: Controllers) -> None:
    title = (f"实际控制人 / 受益所有人 Actual controller / beneficial owners · {result.uscc} · "
             f"阈值 threshold {result.threshold:.0%} · 截至 as of {result.as_of}")
    if not result.owners:
        console.print(title)
        console.print(f"无 none: {result.reason_zh} / {result.reason}")
        return
    table = _table(title, ["主体 party", "类型 kind", "累计持股 cumulative",
                           "多数控股链 majority chain", "实际控制人 controller"])
    controller = result.actual_controller
    for owner in result.owners:
        table.add_row(_who(owner.party),
                      "自然人 person" if owner.kind == "person" else "国有主体 state",
                      f"{owner.share:.2%}", "是 yes" if owner.majority_chain else "",
                      "是 yes" if controller and controller.id == owner.party.id else "")
    console.print(table)


def show_suspected(console: Console, result: SuspectedRelations) -> None:
    table = _table(
        f"疑似关联 Suspected relations · {result.uscc} · 截至 as of {result.as_of} · "
        f"共 {result.total} 家 enterprises",
        ["企业 enterprise", "共同点数 links", "共同点 shared"])
    for relation in result.relations:
        shared = "; ".join(
            f"{KIND_ZH.get(link.kind, link.kind)} {link.kind}: {_who(link.via)}"
            for link in relation.links)
        table.add_row(_who(relation.enterprise), str(relation.count), shared)
    console.print(table)


def show_paths(console: Console, results: Sequence[PathResult]) -> None:
    for result in results:
        if result.length is None:
            console.print(f"{result.source} ↔ {result.target}: 无路径 no path "
                          f"(截至 as of {result.as_of})")
            continue
        console.print(f"最短路径 Shortest paths {result.source} ↔ {result.target}: "
                      f"{result.length} 跳 hops, {result.total} 条 paths"
                      + ("（已截断 truncated）" if result.truncated else ""))
        for path in result.paths:
            parts = [_who(path.nodes[0])]
            for hop, node in zip(path.hops, path.nodes[1:], strict=True):
                parts.append(f"-[{'|'.join(sorted({edge.type for edge in hop}))}]-")
                parts.append(_who(node))
            console.print("  " + " ".join(parts))


def show_clusters(console: Console, result: Clusters) -> None:
    table = _table(
        f"控制关系群组 Control groups · 截至 as of {result.as_of} · 共 {result.total} 个 groups",
        ["企业数 enterprises", "自然人 people", "分类 classes", "交叉持股 rings", "成员 members"])
    for group in result.groups:
        classes = " ".join(f"{k}:{v}" for k, v in (group.class_counts or {}).items())
        members = ", ".join(group.enterprises[:5]) + (" ..." if group.size > 5 else "")
        table.add_row(str(group.size), str(group.people), classes, str(len(group.cycles)),
                      members)
    console.print(table)
    if result.cycles:
        console.print(f"交叉持股环 cross-shareholding rings: {len(result.cycles)}; largest: "
                      + ", ".join(result.cycles[0]))
