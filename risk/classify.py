"""A/B/C/D classification: cut-offs, observation period, floors; reasons, counterfactuals.

Classes come from the score by cut-offs (the lowest score of B, C and D); the observation
period caps new enterprises' class; floor rules (veto rules) then raise the class where
they fire (serious-dishonesty list -> D). Sector members get a sector class from their
sector score the same way. Every enterprise gets its top reasons (the indicators whose
points are furthest above their lowest, each with the record behind it), the rule that
fixed its class, and a counterfactual: the smallest single change that would move it one
class lower. All of it is column-wise over the province.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.config import Bins, ConfigError, IndicatorSystemConfig, Linear
from features.score import BaseScores
from features.tables import GraphTables
from risk.explain import Evidence, evidence, format_values, leniency_notes

RiskClass = Literal["A", "B", "C", "D"]
CLASSES: tuple[RiskClass, ...] = ("A", "B", "C", "D")
CLASS_LABELS: dict[str, tuple[str, str]] = {
    "A": ("低风险", "low risk"),
    "B": ("一般风险", "general risk"),
    "C": ("较高风险", "higher risk"),
    "D": ("高风险", "high risk"),
}
DEFAULT_CLASSIFICATION = Path(__file__).with_name("classification.toml")
N_REASONS = 3
REASON_FIELDS = ("code", "label_zh", "label_en", "value", "points", "record_zh", "record_en")
# What the graph uplift adds per enterprise (risk/uplift.py): one entry per neighbour behind
# the uplift, with the path of node ids (USCC, person id) from the enterprise to it.
GRAPH_REASON_TYPE = pa.list_(pa.struct([
    ("neighbour", pa.string()), ("neighbour_name", pa.string()), ("relation", pa.string()),
    ("role_zh", pa.string()), ("role_en", pa.string()), ("points", pa.float64()),
    ("path", pa.list_(pa.string())), ("path_names", pa.list_(pa.string())),
    ("text_zh", pa.string()), ("text_en", pa.string()),
]))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cutoffs(_Strict):
    B: float = Field(gt=0, lt=100)
    C: float = Field(gt=0, lt=100)
    D: float = Field(gt=0, lt=100)

    @model_validator(mode="after")
    def _ordered(self) -> Cutoffs:
        if not self.B < self.C < self.D:
            raise ValueError(f"must satisfy B < C < D, got B={self.B}, C={self.C}, D={self.D}")
        return self


class FloorRule(_Strict):
    id: str
    label_zh: str
    label_en: str
    indicator: str
    at_least: float
    risk_class: RiskClass = Field(alias="class")


class Observation(_Strict):
    id: str = "observation_period"
    label_zh: str
    label_en: str
    indicator: str = "age_years"
    below: float = Field(gt=0)
    at_most: RiskClass = "B"


class ClassificationConfig(_Strict):
    version: str
    cutoffs: Cutoffs
    observation: Observation | None = None
    floors: tuple[FloorRule, ...] = ()


def load_classification_config(
    path: Path = DEFAULT_CLASSIFICATION, indicators: IndicatorSystemConfig | None = None
) -> ClassificationConfig:
    """Read and check the classification file; rules must name known indicators."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        config = ClassificationConfig.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(path, "(file)", str(error)) from None
    except ValidationError as error:
        problem = error.errors()[0]
        location = problem["loc"]
        if location[:1] == ("floors",) and len(location) > 1:
            entry = f"[[floors]] #{int(location[1]) + 1}"
        else:
            entry = f"[{location[0]}]" if location else "(file)"
        raise ConfigError(path, entry, problem["msg"]) from None
    if indicators is not None:
        for number, rule in enumerate(config.floors, start=1):
            if rule.indicator not in indicators.indicators:
                raise ConfigError(
                    path, f"[[floors]] #{number} ({rule.id})",
                    f"unknown indicator {rule.indicator!r}",
                )
        if config.observation and config.observation.indicator not in indicators.indicators:
            raise ConfigError(path, "[observation]",
                              f"unknown indicator {config.observation.indicator!r}")
    return config


@dataclass(frozen=True)
class Classification:
    """One row per enterprise, in USCC order, flat columns:

    ``uscc, risk_class, score, score_<dimension>, contribution_<dimension>, rule,
    rule_record_zh/en, leniency_zh/en`` (what the leniency rules discounted, dropped or
    ended by repair; empty when nothing), ``reason<k>_<field>`` (k = 1..3),
    ``counterfactual_code``,
    ``counterfactual_threshold`` (the raw value to go under, or reach for a decreasing
    transform), ``counterfactual_zh/_en``,
    ``score_<sector>, class_<sector>`` (sector members only).
    """

    frame: pd.DataFrame

    def class_counts(self) -> pd.Series:
        return self.frame["risk_class"].value_counts().reindex(list(CLASSES), fill_value=0)

    def reasons_of(self, uscc: str) -> list[dict[str, Any]]:
        row = self.frame.set_index("uscc").loc[uscc]
        return [
            {field: row[f"reason{k}_{field}"] for field in REASON_FIELDS}
            for k in range(1, N_REASONS + 1) if row[f"reason{k}_code"]
        ]

    def to_arrow(self) -> pa.Table:
        """The frame with the reasons nested as ``reasons: list<struct>`` (built
        column-wise, no per-row objects)."""
        frame = self.frame
        flat = [f"reason{k}_{f}" for k in range(1, N_REASONS + 1) for f in REASON_FIELDS]
        table = pa.Table.from_pandas(frame.drop(columns=flat), preserve_index=False)
        if "graph_reasons" in frame:
            table = table.set_column(
                table.schema.get_field_index("graph_reasons"), "graph_reasons",
                pa.array(frame["graph_reasons"].tolist(), GRAPH_REASON_TYPE))
        n = len(frame)
        present = np.stack([frame[f"reason{k}_code"].to_numpy() != ""
                            for k in range(1, N_REASONS + 1)], axis=1)
        lengths = present.sum(axis=1)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        mask = present.reshape(-1)  # row-major: enterprise by enterprise, reason by reason
        children = []
        for field in REASON_FIELDS:
            values = np.stack([frame[f"reason{k}_{field}"].to_numpy()
                               for k in range(1, N_REASONS + 1)], axis=1).reshape(-1)[mask]
            children.append(pa.array(values, type=pa.float64() if field == "points"
                                     else pa.string()))
        reasons = pa.ListArray.from_arrays(
            pa.array(offsets), pa.StructArray.from_arrays(children, list(REASON_FIELDS)))
        assert len(reasons) == n
        position = table.schema.get_field_index("rule") + 1
        return table.add_column(position, "reasons", reasons)


class Classifier:
    """Classes from scores by cut-offs, the observation period and floor rules."""

    def __init__(self, config: ClassificationConfig, indicators: IndicatorSystemConfig,
                 n_reasons: int = N_REASONS) -> None:
        self.config = config
        self.indicators = indicators
        self.n_reasons = n_reasons

    def classes_from_score(self, score: pd.Series) -> pd.Series:
        cut = self.config.cutoffs
        index = np.searchsorted([cut.B, cut.C, cut.D], score.to_numpy(), side="right")
        return pd.Series(np.asarray(CLASSES)[index], index=score.index)

    def apply_rules(self, score_class: pd.Series, raw: pd.DataFrame
                    ) -> tuple[pd.Series, pd.Series]:
        """The class after the observation cap and the floors, and the rule that fixed it."""
        risk_class = score_class.copy()
        rule = pd.Series("", index=risk_class.index, dtype=object)
        observation = self.config.observation
        if observation is not None:
            young = raw[observation.indicator].astype(float) < observation.below
            capped = young & (risk_class > observation.at_most)
            risk_class[capped] = observation.at_most
            rule[capped] = observation.id
        fired: list[tuple[FloorRule, pd.Series]] = []
        for floor in sorted(self.config.floors, key=lambda f: f.risk_class):
            fires = raw[floor.indicator].astype(float) >= floor.at_least
            risk_class[fires & (risk_class < floor.risk_class)] = floor.risk_class
            fired.append((floor, fires))
        for floor, fires in fired:  # the floor that guarantees the final class
            rule[fires & (risk_class == floor.risk_class)] = floor.id
        return risk_class, rule

    def predict(self, scores: BaseScores, tables: GraphTables | None = None) -> Classification:
        """Classes, reasons (with their records when ``tables`` is given), counterfactuals."""
        score_class = self.classes_from_score(scores.base_score)
        risk_class, rule = self.apply_rules(score_class, scores.raw)
        index = scores.base_score.index
        columns: dict[str, Any] = {
            "uscc": index.to_numpy(),
            "risk_class": risk_class.to_numpy(),
            "score": scores.base_score.to_numpy(),
            **{f"score_{d}": scores.dimension_scores[d].to_numpy()
               for d in scores.dimension_scores.columns},
            **{f"contribution_{d}": scores.dimension_contributions[d].to_numpy()
               for d in scores.dimension_contributions.columns},
            "rule": rule.to_numpy(),
        }
        names = list(scores.contributions.columns)
        rule_indicators = [f.indicator for f in self.config.floors]
        needed = sorted(set(names) | set(rule_indicators))
        values = {name: format_values(scores.raw[name]) for name in needed}
        if tables is not None:
            tables = tables.lenient(self.indicators.leniency)
            records = evidence(tables, dict(self.indicators.indicators), scores.raw, needed,
                               values)
            notes = leniency_notes(tables, index)
        else:
            records = self._values_only(values)
            notes = Evidence(pd.Series("", index=index), pd.Series("", index=index))
        columns.update(self._rule_records(rule, records))
        columns["leniency_zh"] = notes.zh.to_numpy()
        columns["leniency_en"] = notes.en.to_numpy()
        columns.update(self._reasons(scores, records, values))
        columns.update(self._counterfactual(scores, score_class, risk_class, rule))
        for sector in self.indicators.sectors:
            sector_score = scores.sector_scores[sector.id]
            member = sector_score.notna()
            sector_class, _ = self.apply_rules(
                self.classes_from_score(sector_score.fillna(0.0)), scores.raw)
            columns[f"score_{sector.id}"] = sector_score.to_numpy()
            columns[f"class_{sector.id}"] = sector_class.where(member, "").to_numpy()
        return Classification(pd.DataFrame(columns).reset_index(drop=True))

    def _values_only(self, values: dict[str, pd.Series]) -> dict[str, Evidence]:
        result = {}
        for name, value in values.items():
            spec = self.indicators.indicators[name]
            result[name] = Evidence(spec.label_zh + " " + value, spec.label_en + ": " + value)
        return result

    def _rule_records(self, rule: pd.Series, records: dict[str, Evidence]
                      ) -> dict[str, npt.NDArray[Any]]:
        zh = np.full(len(rule), "", dtype=object)
        en = np.full(len(rule), "", dtype=object)
        rules = [(f.id, f.indicator) for f in self.config.floors]
        observation = self.config.observation
        if observation is not None:
            rules.append((observation.id, observation.indicator))
        for rule_id, indicator in rules:
            rows = (rule == rule_id).to_numpy()
            if indicator in records:
                zh[rows] = records[indicator].zh.to_numpy()[rows]
                en[rows] = records[indicator].en.to_numpy()[rows]
        return {"rule_record_zh": zh, "rule_record_en": en}

    def _reasons(self, scores: BaseScores, records: dict[str, Evidence],
                 values: dict[str, pd.Series]) -> dict[str, npt.NDArray[Any]]:
        """Top indicators by points above their lowest possible, with their records."""
        names = list(scores.contributions.columns)
        weights = self.indicators.global_weights()
        lowest = np.asarray([weights[n] * self.indicators.indicators[n].lowest for n in names])
        points = scores.contributions.to_numpy()
        excess = points - lowest
        order = np.argsort(-excess, axis=1, kind="stable")[:, : self.n_reasons]
        rows = np.arange(len(points))
        labels_zh = np.asarray([self.indicators.indicators[n].label_zh for n in names], object)
        labels_en = np.asarray([self.indicators.indicators[n].label_en for n in names], object)
        codes = np.asarray(names, dtype=object)
        result: dict[str, npt.NDArray[Any]] = {}
        for k in range(self.n_reasons):
            column = order[:, k]
            present = excess[rows, column] > 1e-9
            out = {field: np.full(len(rows), "", dtype=object) for field in REASON_FIELDS}
            out["code"] = np.where(present, codes[column], "")
            out["label_zh"] = np.where(present, labels_zh[column], "")
            out["label_en"] = np.where(present, labels_en[column], "")
            for i, name in enumerate(names):
                chosen = present & (column == i)
                if not chosen.any():
                    continue
                out["value"][chosen] = values[name].to_numpy()[chosen]
                out["record_zh"][chosen] = records[name].zh.to_numpy()[chosen]
                out["record_en"][chosen] = records[name].en.to_numpy()[chosen]
            for field in REASON_FIELDS:
                if field == "points":
                    result[f"reason{k + 1}_points"] = np.where(
                        present, np.round(points[rows, column], 4), np.nan)
                else:
                    result[f"reason{k + 1}_{field}"] = out[field]
        return result

    def _counterfactual(self, scores: BaseScores, score_class: pd.Series,
                        risk_class: pd.Series, rule: pd.Series) -> dict[str, npt.NDArray[Any]]:
        """The smallest single change that moves each enterprise one class lower.

        Fixed by a floor rule: the rule no longer applying. Otherwise the indicator whose
        sub-score needs the fewest steps down its transform (bins; a declared function
        counts one step) to bring the score under the class's cut-off; ties go to the
        larger drop. A: nothing to lower.
        """
        n = len(risk_class)
        code = np.full(n, "", dtype=object)
        zh = np.full(n, "", dtype=object)
        en = np.full(n, "", dtype=object)
        cut = self.config.cutoffs
        cutoff_of = {"B": cut.B, "C": cut.C, "D": cut.D}
        current = risk_class.to_numpy()
        lower = {"B": "A", "C": "B", "D": "C"}
        floors = {f.id: f for f in self.config.floors}
        for rule_id, floor in floors.items():
            rows = (rule.to_numpy() == rule_id) & (current != "A")
            spec = self.indicators.indicators[floor.indicator]
            code[rows] = f"rule:{rule_id}"
            zh[rows] = f"不再满足「{floor.label_zh}」（{spec.label_zh} < {floor.at_least:g}）"
            en[rows] = f"{floor.label_en} no longer applies ({spec.label_en} < {floor.at_least:g})"
        by_score = (code == "") & (current != "A")
        score = scores.base_score.to_numpy()
        gap = score - np.asarray([cutoff_of.get(c, 0.0) for c in current]) + 1e-6
        weights = self.indicators.global_weights()
        best_cost = np.full(n, np.inf)
        best_text = (np.full(n, "", dtype=object), np.full(n, "", dtype=object))
        best_code = np.full(n, "", dtype=object)
        threshold_out = np.full(n, np.nan)
        for name, weight in weights.items():
            spec = self.indicators.indicators[name]
            transform = spec.transform
            if not isinstance(transform, Bins | Linear):
                continue  # categorical (entity type, industry): not a change to propose
            raw = scores.raw[name].astype(float).to_numpy()
            sub = scores.sub_scores[name].to_numpy()
            if isinstance(transform, Bins):
                levels = np.asarray(transform.scores)
                increasing = levels[-1] >= levels[0]
                bin_of = np.searchsorted(np.asarray(transform.edges), np.nan_to_num(raw),
                                         side="right")
                for step in range(1, len(levels)):
                    target = bin_of - step if increasing else bin_of + step
                    valid = (target >= 0) & (target < len(levels)) & ~np.isnan(raw)
                    safe = np.clip(target, 0, len(levels) - 1)
                    drop = weight * (sub - levels[safe])
                    ok = by_score & valid & (drop >= gap) & (step - drop / 1000 < best_cost)
                    if not ok.any():
                        continue
                    edge = np.asarray(transform.edges)[np.clip(
                        safe if increasing else safe - 1, 0, len(transform.edges) - 1)]
                    op = "<" if increasing else "≥"
                    self._record(ok, best_cost, step - drop / 1000, best_code, name, best_text,
                                 spec.label_zh, spec.label_en, op, edge, raw, current, lower)
                    threshold_out[ok] = edge[ok]
            else:
                x, y = np.asarray(transform.x), np.asarray(transform.y)
                increasing = y[-1] >= y[0]
                wanted = sub - gap / weight
                valid = (wanted >= y.min()) & ~np.isnan(raw)
                order = np.argsort(y)
                threshold = np.interp(wanted, y[order], x[order])
                drop = np.minimum(gap, weight * sub)
                ok = by_score & valid & (1 - drop / 1000 < best_cost)
                if ok.any():
                    self._record(ok, best_cost, 1 - drop / 1000, best_code, name, best_text,
                                 spec.label_zh, spec.label_en, "<" if increasing else "≥",
                                 threshold, raw, current, lower)
                    threshold_out[ok] = threshold[ok]
        code[by_score] = best_code[by_score]
        zh[by_score] = best_text[0][by_score]
        en[by_score] = best_text[1][by_score]
        stuck = by_score & (best_code == "")
        zh[stuck] = "单项指标改善不足以降级，需多项改善"
        en[stuck] = "no single indicator change suffices; several must improve"
        return {"counterfactual_code": code, "counterfactual_threshold": np.where(
                    by_score, threshold_out, np.nan),
                "counterfactual_zh": zh, "counterfactual_en": en}

    @staticmethod
    def _record(ok: npt.NDArray[np.bool_], best_cost: npt.NDArray[np.float64],
                cost: npt.NDArray[np.float64], best_code: npt.NDArray[Any], name: str,
                text: tuple[npt.NDArray[Any], npt.NDArray[Any]], label_zh: str, label_en: str,
                op: str, threshold: npt.NDArray[Any], raw: npt.NDArray[Any],
                current: npt.NDArray[Any], lower: dict[str, str]) -> None:
        best_cost[ok] = cost[ok]
        best_code[ok] = name
        limit = np.char.mod("%g", np.round(threshold[ok], 2))
        now = format_values(pd.Series(raw[ok])).to_numpy()
        target = np.asarray([lower.get(c, "A") for c in current[ok]], dtype=object)
        text[0][ok] = ("若「" + label_zh + "」" + op + " " + limit.astype(object) + "（当前 "
                       + now.astype(object) + "），可降为" + target + "类")
        text[1][ok] = ("if " + label_en + " were " + op + " " + limit.astype(object)
                       + " (now " + now.astype(object) + "), class " + target)
