"""Supervision simulation (监管闭环模拟): months of risk-based spot checks on the synthetic
province, against uniform random sampling.

Each month: classify as of the month's end -> draw a province-wide plan with the class
ratios (双随机, the configured policy) -> simulate each drawn inspection's outcome -> record
the outcomes (they become ``Inspection`` events, so the next month's classification counts
them) -> next month. Alongside, every month, a uniform random plan of the same size over
the same eligible enterprises gets outcomes from the same model; it is a counterfactual
and is not recorded (it would otherwise change the classes it is compared with).

Hidden risk: the outcomes are simulated from ``Province.hidden_risk``, the generator's
ground truth, with the generator's own inspection model
(:func:`ingestion.synthetic.draw_inspection_outcomes`). This module plays the inspectors;
it is the only place outside the generator that reads the hidden risk, and nothing it
passes to the classification carries it: classes come from the recorded records only.
The world otherwise stands still: no deliveries arrive during the simulated months.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.score import IndicatorSystem
from features.tables import read_tables
from graph.store import GraphStore
from ingestion.reference import ZHEJIANG_PREFECTURES
from ingestion.synthetic import Province, draw_inspection_outcomes
from risk import plots
from risk.analysis import figure_html, html_table, page, percent
from risk.classify import CLASSES, Classifier, load_classification_config
from risk.feedback import PlanStore, record_outcomes, wilson
from risk.snapshot import month_of
from risk.spotcheck import (
    Inspector,
    Plan,
    SupervisionConfig,
    draw,
    drawable,
    load_supervision_config,
    population,
)

RISK_BASED, UNIFORM = "risk_based", "uniform"
PROBLEM_OUTCOMES = ("problem", "not_found", "refused")


def month_ends(start: dt.date, months: int) -> list[dt.date]:
    """``start``'s month end and the ``months - 1`` month ends after it."""
    first = pd.Timestamp(start) + pd.offsets.MonthEnd(0)
    return [(first + pd.offsets.MonthEnd(k)).date() for k in range(months)]


def roster(per_prefecture: int = 4) -> tuple[Inspector, ...]:
    """Inspectors of every prefecture's bureau (市场监管局), ``per_prefecture`` each."""
    return tuple(Inspector(inspector_id=f"{p.code[:4]}-{k + 1}", name=f"{p.name_zh}检查员{k + 1}",
                           unit=f"{p.name_zh}市场监督管理局", region_code=p.code[:4])
                 for p in ZHEJIANG_PREFECTURES for k in range(per_prefecture))


@dataclass(frozen=True)
class Simulation:
    """Every simulated inspection: month, plan (risk_based | uniform), uscc, risk_class
    (the class that month), outcome, problem (0/1)."""

    inspections: pd.DataFrame
    months: list[str]
    enterprises: int
    seed: int

    def rates(self, plan: str, by: list[str]) -> pd.DataFrame:
        """Inspected, problems, rate and 95% Wilson interval of ``plan`` per ``by``."""
        frame = self.inspections.loc[self.inspections["plan"] == plan]
        table = frame.groupby(by)["problem"].agg(["size", "sum"]).rename(
            columns={"size": "inspected", "sum": "problems"}) if by else pd.DataFrame(
            {"inspected": [len(frame)], "problems": [int(frame["problem"].sum())]},
            index=pd.Index(["all"]))
        low, high = wilson(table["problems"].to_numpy(), table["inspected"].to_numpy())
        rate = table["problems"] / table["inspected"].where(table["inspected"] > 0)
        return table.assign(rate=rate, ci_low=low, ci_high=high)

    def by_class(self) -> pd.DataFrame:
        """Risk-based plans: discovery rate per class over all months (index A..D)."""
        return self.rates(RISK_BASED, ["risk_class"]).reindex(list(CLASSES))

    def by_month_and_class(self) -> pd.DataFrame:
        return self.rates(RISK_BASED, ["month", "risk_class"])

    def per_inspection(self) -> pd.DataFrame:
        """Problems found per inspection, risk-based and uniform, overall (index: plan)."""
        return pd.concat([self.rates(plan, []).set_axis([plan]) for plan in (RISK_BASED, UNIFORM)])

    def monthly_per_inspection(self) -> pd.DataFrame:
        """Problems per inspection per month (index), one column per plan."""
        return self.inspections.groupby(["month", "plan"])["problem"].mean().unstack(
            "plan")[[RISK_BASED, UNIFORM]]

    @property
    def gain(self) -> float:
        """Problems per inspection of the risk-based plans over uniform sampling's."""
        rates = self.per_inspection()["rate"]
        return float(rates[RISK_BASED] / rates[UNIFORM])

    @property
    def rising(self) -> bool:
        """Does the discovery rate rise from A to D (point estimates)?"""
        return bool(np.all(np.diff(self.by_class()["rate"].to_numpy()) > 0))

    def to_dict(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> Any:
            return json.loads(frame.reset_index().to_json(orient="records"))

        return {"months": self.months, "enterprises": self.enterprises, "seed": self.seed,
                "by_class": records(self.by_class().rename_axis("risk_class")),
                "by_month_and_class": records(self.by_month_and_class()),
                "per_inspection": records(self.per_inspection().rename_axis("plan")),
                "monthly_per_inspection": records(self.monthly_per_inspection()),
                "gain": round(self.gain, 4), "rising_A_to_D": self.rising}


def simulate(province: Province, store: GraphStore, plans: PlanStore, *, months: int = 12,
             seed: int = 0, system: IndicatorSystem | None = None,
             config: SupervisionConfig | None = None, person_key: bytes = b"simulation",
             inspectors: tuple[Inspector, ...] | None = None,
             progress: Callable[[str, int], None] | None = None) -> Simulation:
    """Run ``months`` monthly cycles from ``province.as_of`` on ``store`` (which holds the
    province's records); plans are kept in ``plans``. ``progress(month, class_counts)``
    is called after each month."""
    system = system or IndicatorSystem()
    classifier = Classifier(load_classification_config(indicators=system.config),
                            system.config)
    policy = (config or load_supervision_config()).spotcheck
    # The simulated inspectors' knowledge (see the module docstring); nothing else reads it.
    hidden = province.hidden_risk.set_index("uscc")["hidden_risk"]
    rng = np.random.default_rng([seed, 7])
    rows: list[pd.DataFrame] = []
    ends = month_ends(province.as_of, months)
    for number, as_of in enumerate(ends):
        tables = read_tables(store, as_of)
        scores = system.score(tables)
        classes, _ = classifier.apply_rules(classifier.classes_from_score(scores.base_score),
                                            scores.raw)
        month = month_of(as_of)
        plan = Plan.from_policy(
            policy, task_id=f"sim-{month}", title_zh=f"{month} 双随机抽查（模拟）",
            title_en=f"{month} random checks (simulated)", as_of=as_of.isoformat(),
            check_items=("登记事项", "年度报告公示信息"),
            inspectors=inspectors or roster(), seed=seed * 1000 + number)
        pool = population(tables, classes)
        result = draw(plan, pool)
        plans.save(result)
        days = rng.integers(1, 28, len(result.frame))
        outcome = draw_inspection_outcomes(rng, hidden.reindex(result.frame["uscc"]).to_numpy())
        record_outcomes(store, plans, plan.task_id, pd.DataFrame({
            "uscc": result.frame["uscc"].to_numpy(), "outcome": outcome,
            "date": [as_of + dt.timedelta(days=int(d)) for d in days]}), person_key)

        eligible = np.flatnonzero(drawable(plan, pool))
        uniform = pool.iloc[rng.choice(eligible, size=len(result.frame), replace=False)]
        uniform_outcome = draw_inspection_outcomes(
            rng, hidden.reindex(uniform["uscc"]).to_numpy())
        for name, usccs, risk_class, outcomes in (
                (RISK_BASED, result.frame["uscc"], result.frame["risk_class"], outcome),
                (UNIFORM, uniform["uscc"], uniform["risk_class"], uniform_outcome)):
            rows.append(pd.DataFrame({
                "month": month, "plan": name, "uscc": usccs.to_numpy(),
                "risk_class": risk_class.to_numpy(), "outcome": outcomes,
                "problem": np.isin(outcomes, PROBLEM_OUTCOMES).astype(int)}))
        if progress is not None:
            progress(month, len(result.frame))
    return Simulation(pd.concat(rows, ignore_index=True), [month_of(d) for d in ends],
                      len(hidden), seed)


def write_simulation_report(simulation: Simulation, out: Path) -> Path:
    """Plots, ``simulation.json`` and ``simulation.html`` under ``out/<last month end>/``."""
    end = month_ends(dt.date.fromisoformat(simulation.months[-1] + "-01"), 1)[0]
    folder = out / end.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    by_class = simulation.by_class()
    per_inspection = simulation.per_inspection()
    uniform_rate = float(per_inspection["rate"].astype(float).loc[UNIFORM])
    sections = [
        "<ul>" + "".join(f"<li>{item}</li>" for item in (
            f"模拟月份 months: {simulation.months[0]} – {simulation.months[-1]}"
            f"（{len(simulation.months)} 个月）",
            f"企业数 enterprises: {simulation.enterprises:,}; seed {simulation.seed}",
            f"问题发现率 A→D 递增 rising from A to D: "
            f"{'是 yes' if simulation.rising else '否 no'}",
            f"风险分类抽查增益 gain of risk-based supervision: {simulation.gain:.2f}×"
            f"（每次检查发现问题 {percent(per_inspection.loc[RISK_BASED, 'rate'])} vs "
            f"随机抽查 uniform {percent(uniform_rate)}）")) + "</ul>",
        "<p>检查结果由合成数据的隐含风险模拟（仅模拟器读取），分类只读已记录的检查结果。"
        " Outcomes are simulated from the generator's hidden risk (read by the simulator "
        "only); the classification reads the recorded outcomes only.</p>"]
    with plots.chinese_text():
        title = "分类抽查问题发现率 Discovery rate by class (risk-based plans)"
        sections.append(f"<h2>{title}</h2>" + figure_html(plots.save(plots.discovery_rates(
            by_class, title, uniform_rate, "随机抽查 uniform random"), folder,
            "simulation_discovery_rate"), title))
        title = "每次检查发现问题 Problems found per inspection"
        monthly = simulation.monthly_per_inspection().rename(columns={
            RISK_BASED: "按风险分类 risk-based", UNIFORM: "随机抽查 uniform random"})
        sections.append(f"<h2>{title}</h2>" + figure_html(plots.save(plots.monthly_lines(
            monthly, title, "发现率 rate (%)"), folder, "simulation_per_inspection"), title))
    sections.append(html_table(
        ["类别 class", "检查数 inspected", "发现问题 problems", "发现率 rate",
         "95% Wilson"],
        [[c, int(r["inspected"]), int(r["problems"]), percent(r["rate"]),
          f"{percent(r['ci_low'])} – {percent(r['ci_high'])}"] for c, r in by_class.iterrows()]
        + [[f"{name} 合计 all", int(r["inspected"]), int(r["problems"]), percent(r["rate"]),
            f"{percent(r['ci_low'])} – {percent(r['ci_high'])}"]
           for name, r in per_inspection.iterrows()]))
    months = simulation.by_month_and_class()["rate"].unstack("risk_class").reindex(
        columns=list(CLASSES))
    sections.append("<h2>逐月分类发现率 Discovery rate per month and class</h2>" + html_table(
        ["月份 month", *CLASSES], [[m, *(percent(v) for v in r)] for m, r in months.iterrows()]))
    (folder / "simulation.json").write_text(
        json.dumps(simulation.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    path = folder / "simulation.html"
    path.write_text(page("监管闭环模拟 Supervision simulation", sections), encoding="utf-8")
    return path
