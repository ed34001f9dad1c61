"""Supervision workflows: the double-random draw, its public part, outcomes fed back into
the next classification (on both stores), the backtest, warning rules and handling."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.pipeline import classify, write_run_snapshot
from api.settings import Settings
from api.supervise import draw_plan, plan_store
from features.tables import read_tables
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.models import Change, Complaint, LegalRepresentative, PersonInput
from ingestion.validate import Delivery
from risk.classify import CLASSES
from risk.early_warning import WarningLog, WarningStateError, run_rules
from risk.feedback import PlanError, backtest, record_outcomes, wilson
from risk.spotcheck import (
    Inspector,
    Plan,
    Ratios,
    Scope,
    draw,
    load_supervision_config,
    public_frame,
    public_markdown,
    public_record,
    write_public,
)
from tests.builders import AS_OF, enterprise, id_number, small_delivery, uscc
from tests.conftest import PERSON_KEY

REGIONS = ("330102", "330106", "330205", "330302")
SIZES = {"A": 450, "B": 250, "C": 120, "D": 37}


def roster(per_region: int = 2) -> tuple[Inspector, ...]:
    return tuple(Inspector(inspector_id=f"I{r}{k}", name=f"检查员{r}{k}",
                           unit=f"{region}市场监管局", region_code=region)
                 for r, region in enumerate(REGIONS) for k in range(per_region))


def make_plan(**changes: object) -> Plan:
    fields: dict[str, object] = {
        "task_id": "2026-11-test", "title_zh": "2026年11月双随机抽查",
        "title_en": "November 2026 random checks", "as_of": "2026-10-31",
        "check_items": ("年度报告公示信息", "登记事项"), "inspectors": roster(), "seed": 20261101,
    }
    fields.update(changes)
    return Plan.model_validate(fields)


@pytest.fixture
def pool() -> pd.DataFrame:
    """A population with known class sizes, regions, a few young and recently checked."""
    rng = np.random.default_rng(5)
    classes = np.repeat(list(SIZES), list(SIZES.values()))
    n = len(classes)
    numbers = rng.permutation(n) + 1
    established = np.where(rng.random(n) < 0.1, dt.date(2026, 6, 1), dt.date(2015, 1, 1))
    last = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    last[rng.random(n) < 0.2] = pd.Timestamp("2026-03-01")
    return pd.DataFrame({
        "uscc": [uscc(int(k)) for k in numbers], "name": [f"企业{k}" for k in numbers],
        "region_code": np.asarray(REGIONS, dtype=object)[rng.integers(0, 4, n)],
        "industry_code": "5251", "entity_type": "limited_company",
        "sectors": [() for _ in range(n)], "status": "operating",
        "established": established, "risk_class": classes, "last_inspection": last,
    })


def test_draw_is_reproducible_and_seed_dependent(pool: pd.DataFrame) -> None:
    first = draw(make_plan(), pool)
    again = draw(make_plan(), pool.sample(frac=1, random_state=3))  # any input order
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert first.population_sha256 == again.population_sha256
    other = draw(make_plan(seed=7), pool)
    assert set(other.frame["uscc"]) != set(first.frame["uscc"])
    assert len(other.frame) == len(first.frame)
    fields = {k: v for k, v in make_plan().model_dump().items() if k != "seed"}
    generated = {Plan.model_validate(fields).seed for _ in range(3)}
    assert len(generated) == 3  # a fresh seed each time (secrets)


def test_ratios_met_per_class_rounded_up(pool: pd.DataFrame) -> None:
    result = draw(make_plan(), pool)
    young = pd.to_datetime(pool["established"]) > pd.Timestamp("2025-10-31")
    eligible = pool.loc[~young].groupby("risk_class").size()
    drawn = result.frame.groupby("risk_class").size()
    for risk_class in CLASSES:
        ratio = getattr(Ratios(), risk_class)
        assert drawn[risk_class] == math.ceil(ratio * eligible[risk_class])
        assert result.pool.loc[risk_class, "required"] == drawn[risk_class]
    modes = result.frame.set_index("risk_class")["check_mode"]
    assert set(modes.loc["A"]) == {"off_site"}
    assert set(modes.loc[["C", "D"]]) == {"on_site"}


def test_recently_checked_and_observation_excluded_unless_needed(pool: pd.DataFrame) -> None:
    result = draw(make_plan(), pool)
    drawn = pool.set_index("uscc").loc[result.frame["uscc"]]
    assert not (pd.to_datetime(drawn["established"]) > pd.Timestamp("2025-10-31")).any()
    assert drawn["last_inspection"].isna().all()  # the pool never ran out here
    # D with only two enterprises not checked recently: the pool runs out, recent ones fill
    small = pool.loc[pool["risk_class"] != "D"].copy()
    d_rows = pool.loc[pool["risk_class"] == "D"].head(20).copy()
    d_rows["established"] = dt.date(2015, 1, 1)
    d_rows["last_inspection"] = pd.Timestamp("2026-05-01")
    d_rows.iloc[:2, d_rows.columns.get_loc("last_inspection")] = pd.NaT
    result = draw(make_plan(ratios=Ratios(D=0.5)), pd.concat([small, d_rows]))
    got = result.frame.loc[result.frame["risk_class"] == "D"]
    assert len(got) == 10 and got["recently_checked"].sum() == 8
    assert set(d_rows["uscc"].iloc[:2]) <= set(got["uscc"])
    allowed = draw(make_plan(draw_observation=True, ratios=Ratios(A=1.0)), pool)
    assert len(allowed.frame.loc[allowed.frame["risk_class"] == "A"]) == SIZES["A"]


def test_scope_limits_the_pool(pool: pd.DataFrame) -> None:
    result = draw(make_plan(scope=Scope(regions=("3301",))), pool)
    assert result.frame["region_code"].str.startswith("3301").all()
    assert result.pool["in_scope"].sum() == pool["region_code"].str.startswith("3301").sum()


def test_inspectors_teams_regions_and_balanced_load(pool: pd.DataFrame) -> None:
    result = draw(make_plan(ratios=Ratios(A=0.2, B=0.3, C=0.5, D=1.0)), pool)
    homes = {i.inspector_id: i.region_code for i in roster()}
    teams = result.frame["team"]
    assert (teams.map(len) == 2).all()
    assert (teams.map(lambda t: len(set(t))) == 2).all()
    for region, team in zip(result.frame["region_code"], teams, strict=True):
        assert all(not region.startswith(homes[i]) for i in team)
    loads = result.loads
    assert loads.sum() == 2 * len(result.frame)
    assert loads.max() - loads.min() <= 2, loads
    counted = pd.Series([i for t in teams for i in t]).value_counts()
    assert counted.reindex(loads.index).tolist() == loads.tolist()
    # Without the region rule, loads differ by at most one
    free = draw(make_plan(avoid_own_region=False), pool)
    assert free.loads.max() - free.loads.min() <= 1
    # One region's inspectors only: they may not check their own region
    lonely = tuple(i for i in roster() if i.region_code == "330102")
    with pytest.raises(ValueError, match="avoid_own_region"):
        draw(make_plan(inspectors=lonely), pool)


def test_public_document_never_shows_classes(pool: pd.DataFrame, tmp_path: Path) -> None:
    result = draw(make_plan(), pool)
    record = public_record(result)
    assert record["seed"] == 20261101 and record["enterprises_drawn"] == len(result.frame)
    for row in record["enterprises"]:
        assert set(row) == {"uscc", "name", "region_code", "check_items", "team",
                            "team_units", "outcome", "outcome_date"}
    frame = public_frame(result)
    assert frame["uscc"].is_monotonic_increasing  # USCC order: the draw order hides nothing
    text = public_markdown(result)
    for leak in ("risk_class", "off_site", "on_site", "低风险", "高风险", "较高风险", "一般风险"):
        assert leak not in text and leak not in json.dumps(record, ensure_ascii=False)
    paths = write_public(result, tmp_path)
    csv = pd.read_csv(paths[1], encoding="utf-8-sig", dtype=str)
    assert "risk_class" not in csv.columns and "check_mode" not in csv.columns
    assert "随机种子 Seed" in paths[0].read_text("utf-8")


# --- feedback into the next classification (both stores) -----------------------------------


def test_outcomes_feed_the_next_classification(store: GraphStore, tmp_path: Path) -> None:
    write_batch(store, delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY)))
    settings = Settings(home=tmp_path, person_id_key=PERSON_KEY.decode())  # type: ignore[arg-type]
    september = dt.date(2026, 9, 30)
    before = classify(store, september)
    write_run_snapshot(before, settings.snapshot_root)
    plan = make_plan(as_of="2026-09-30", ratios=Ratios(A=1.0, B=1.0, C=1.0, D=1.0),
                     inspectors=roster(), draw_observation=True)
    result = draw_plan(settings, store, plan)
    assert len(result.frame) == 5  # E2 is revoked: not drawn
    with pytest.raises(PlanError, match="did not draw"):
        record_outcomes(store, plan_store(settings), plan.task_id, pd.DataFrame(
            {"uscc": [uscc(2)], "outcome": ["problem"], "date": ["2026-10-05"]}), PERSON_KEY)
    outcomes = pd.DataFrame({
        "uscc": [uscc(1), uscc(3), uscc(5)],
        "outcome": ["problem", "refused", "clean"],
        "date": ["2026-10-05", "2026-10-06", "2026-10-07"],
    })
    record_outcomes(store, plan_store(settings), plan.task_id, outcomes, PERSON_KEY)
    inspections = store.node_table("Inspection").set_index("uscc")
    assert inspections.loc[uscc(1), "outcome"] == "problem"
    assert inspections.loc[uscc(1), "task_id"] == plan.task_id
    october = classify(store, AS_OF)
    write_run_snapshot(october, settings.snapshot_root)
    old = before.classification.frame.set_index("uscc")
    new = october.classification.frame.set_index("uscc")
    points = october.scores.contributions
    assert points.loc[uscc(1), "inspection_problems_3y"] > before.scores.contributions.loc[
        uscc(1), "inspection_problems_3y"]
    assert points.loc[uscc(3), "inspection_evasion_3y"] > before.scores.contributions.loc[
        uscc(3), "inspection_evasion_3y"]
    assert new.loc[uscc(1), "score"] > old.loc[uscc(1), "score"]
    assert new.loc[uscc(5), "score"] == pytest.approx(old.loc[uscc(5), "score"])
    moved = [u for u in (uscc(1), uscc(3))
             if new.loc[u, "risk_class"] > old.loc[u, "risk_class"]]
    assert moved, new.loc[[uscc(1), uscc(3)], ["risk_class", "score"]]
    shown = public_markdown(plan_store(settings).load(plan.task_id),
                            plan_store(settings).outcomes(plan.task_id))
    assert "发现问题 problem found (2026-10-05)" in shown


# --- backtest ------------------------------------------------------------------------------


def inspected_frame(rates: dict[str, float], n: int = 400) -> pd.DataFrame:
    rows = []
    for risk_class, rate in rates.items():
        problems = round(rate * n)
        for k in range(n):
            rows.append({"task_id": "t", "uscc": f"{risk_class}{k}", "risk_class": risk_class,
                         "region_code": ("330102", "330205")[k % 2],
                         "industry_code": ("5251", "1411")[k % 2],
                         "outcome": "problem" if k < problems else "clean",
                         "problem": int(k < problems)})
    return pd.DataFrame(rows)


def test_backtest_ordering_and_wilson_intervals() -> None:
    low, high = wilson(np.asarray([5]), np.asarray([10]))
    assert low[0] == pytest.approx(0.2366, abs=1e-4) and high[0] == pytest.approx(0.7634, abs=1e-4)
    good = backtest(inspected_frame({"A": 0.02, "B": 0.08, "C": 0.2, "D": 0.45}))
    assert good.ordered and good.separated
    overall = good.overall
    assert overall.loc["D", "rate"] == pytest.approx(0.45)
    assert (overall["ci_low"] < overall["rate"]).all()
    assert (overall["rate"] < overall["ci_high"]).all()
    assert good.by_region["ordered"].all() and good.by_industry["ordered"].all()
    assert {"杭州市", "宁波市"} <= set(good.by_region.index.get_level_values(0))
    bad = backtest(inspected_frame({"A": 0.1, "B": 0.05, "C": 0.2, "D": 0.21}))
    assert not bad.ordered and not bad.separated
    json.dumps(good.to_dict(), ensure_ascii=False)


# --- warnings ------------------------------------------------------------------------------


def warning_store() -> MemoryStore:
    """Constructed cases and their controls for each rule (as of AS_OF)."""
    new = dt.date(2026, 9, 1)
    enterprises = [enterprise(20 + k, established=new, address="杭州市某路1号") for k in range(5)]
    enterprises += [enterprise(30 + k, established=new, address="杭州市某路2号")
                    for k in range(4)]  # control: four
    enterprises += [enterprise(40 + k, established=new) for k in range(5)]
    enterprises += [enterprise(50 + k, established=new) for k in range(4)]
    enterprises += [enterprise(n) for n in (60, 61, 62, 63)]
    people = [PersonInput(id_number=id_number(n), name=f"李{n}") for n in (40, 50)]
    reps = [LegalRepresentative(id_number=id_number(40), enterprise_uscc=uscc(40 + k),
                                since=new) for k in range(5)]
    reps += [LegalRepresentative(id_number=id_number(50), enterprise_uscc=uscc(50 + k),
                                 since=new) for k in range(4)]

    def change(n: int, e: int, day: dt.date) -> Change:
        return Change(event_id=f"change-{n}", uscc=uscc(e), date=day, source="t",
                      field="legal_rep")

    changes = [change(k, 60, dt.date(2026, 2 + 3 * k, 1)) for k in range(3)]
    changes += [change(10 + k, 61, day) for k, day in
                enumerate([dt.date(2025, 3, 1), dt.date(2026, 3, 1), dt.date(2026, 8, 1)])]

    def complaint(n: int, e: int, day: dt.date) -> Complaint:
        return Complaint(event_id=f"complaint-{n}", uscc=uscc(e), date=day, source="t",
                         category="quality")

    complaints = [complaint(k, 62, dt.date(2026, 8 + k % 3, 5)) for k in range(6)]
    complaints += [complaint(100 + k, 63, dt.date(2025, 11 + k, 5) if k < 2
                             else dt.date(2026, k - 1, 5)) for k in range(12)]
    store = MemoryStore()
    delivery = Delivery.of_records({"enterprises": enterprises, "people": people,
                                    "legal_reps": reps, "change": changes,
                                    "complaint": complaints})
    write_batch(store, delivery_to_batch(delivery, PersonPseudonyms(PERSON_KEY)))
    return store


def test_each_warning_rule_fires_on_its_case_and_not_on_the_control() -> None:
    rules = load_supervision_config().warnings
    tables = read_tables(warning_store(), AS_OF)
    index = pd.Index([uscc(n) for n in (60, 61, 62, 63)])
    previous = pd.Series(["A", "A", "C", "C"], index=index)
    current = pd.Series(["C", "B", "D", "D"], index=index)
    tables.enterprise_links = pd.DataFrame({"uscc": [uscc(61), uscc(62)],
                                            "other": [uscc(62), uscc(61)], "via": "branch"})
    warnings = run_rules(rules, tables, current, previous)
    fired = warnings.groupby("rule")["enterprises"].agg(lambda e: set().union(*e))
    assert fired["registration_address_burst"] == {uscc(20 + k) for k in range(5)}
    assert fired["registration_person_burst"] == {uscc(40 + k) for k in range(5)}
    assert fired["legal_rep_churn"] == {uscc(60)}
    assert fired["complaint_surge"] == {uscc(62)}
    assert fired["class_jump"] == {uscc(60)}  # A -> C; C -> D and A -> B are one step
    assert fired["related_fell_to_d"] == {uscc(61), uscc(62)}  # E61: its relative E62 fell to D
    row = warnings.loc[warnings["rule"] == "legal_rep_churn"].iloc[0]
    assert "3次" in row["evidence_zh"] and "3 times" in row["evidence_en"]
    assert row["label_zh"].startswith("异常变更")
    again = run_rules(rules, tables, current, previous)
    assert again["warning_id"].tolist() == warnings["warning_id"].tolist()
    assert len(run_rules(rules, tables)) == len(warnings) - 2  # class rules need snapshots


def test_warning_handling_history(tmp_path: Path) -> None:
    rules = load_supervision_config().warnings
    warnings = run_rules(rules, read_tables(warning_store(), AS_OF))
    log = WarningLog(tmp_path / "warnings.jsonl")
    assert log.raise_warnings(warnings) == len(warnings)
    assert log.raise_warnings(warnings) == 0  # same month again: nothing new
    wid = warnings["warning_id"].iloc[0]
    with pytest.raises(WarningStateError, match="assign it first"):
        log.act(wid, "reminder")
    log.assign(wid, "西湖区市场监管局", by="科长")
    log.act(wid, "warning_letter", by="张三", note="已送达")
    log.act(wid, "inspection", by="张三")
    log.close(wid, "已整改 rectified", by="科长")
    with pytest.raises(WarningStateError, match="closed"):
        log.act(wid, "interview")
    assert [e["event"] for e in log.history(wid)] == [
        "raised", "assigned", "acted", "acted", "closed"]
    state = log.state().set_index("warning_id")
    assert state.loc[wid, "status"] == "closed"
    assert state.loc[wid, "actions"] == "warning_letter，inspection"
    assert (state.drop(index=wid)["status"] == "open").all()
    lines = (tmp_path / "warnings.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == len(warnings) + 4  # append-only


def test_cli_draw_export_and_warnings(tmp_path: Path) -> None:
    store = MemoryStore()
    write_batch(store, delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY)))
    store.save(tmp_path / "memory-store.pickle")
    write_run_snapshot(classify(store, AS_OF), tmp_path)
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text("""
task_id = "cli-1"
title_zh = "测试抽查"
title_en = "Test plan"
as_of = "2026-10-31"
check_items = ["登记事项"]
draw_observation = true
ratios = { A = 1.0, B = 1.0, C = 1.0, D = 1.0 }
[[inspectors]]
inspector_id = "X1"
name = "王一"
unit = "宁波局"
region_code = "3302"
[[inspectors]]
inspector_id = "X2"
name = "王二"
unit = "温州局"
region_code = "3303"
""", encoding="utf-8")
    env = {"RISKGRAPH_HOME": str(tmp_path), "RISKGRAPH_GRAPH": "memory"}
    out = tmp_path / "public"
    result = CliRunner().invoke(app, ["plan", "draw", str(plan_file), "--out", str(out)],
                                env=env)
    assert result.exit_code == 0, result.output
    assert (out / "cli-1.public.md").exists(), result.output
    seed = json.loads((out / "cli-1.public.json").read_text("utf-8"))["seed"]
    again = CliRunner().invoke(app, ["plan", "draw", str(plan_file), "--seed", str(seed),
                                     "--dry-run"], env=env)
    assert again.exit_code == 0 and str(seed) in again.output
    results = tmp_path / "results.csv"
    results.write_text(f"uscc,outcome,date\n{uscc(1)},problem,2026-11-03\n", encoding="utf-8")
    recorded = CliRunner().invoke(app, ["plan", "record", "cli-1", str(results)], env=env)
    assert recorded.exit_code == 0, recorded.output
    assert "recorded 1" in recorded.output
    assert "problem" in set(MemoryStore.load(tmp_path / "memory-store.pickle").node_table(
        "Inspection")["outcome"])
    backtested = CliRunner().invoke(app, ["plan", "backtest", "--json"], env=env)
    assert backtested.exit_code == 0, backtested.output
    warned = CliRunner().invoke(app, ["warnings", "run", "--as-of", "2026-10-31"], env=env)
    assert warned.exit_code == 0, warned.output
