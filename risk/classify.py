"""A/B/C/D classification from the score, floors (veto rules) and reasons.

Classes come from the score by cut-offs (the lowest score of B, C and D), then floor rules
raise the class where a rule fires (serious-dishonesty list -> D). Every enterprise gets
its top reasons: the indicators that contributed most points, with their raw values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.config import ConfigError, IndicatorSystemConfig
from features.score import BaseScores

RiskClass = Literal["A", "B", "C", "D"]
CLASSES: tuple[RiskClass, ...] = ("A", "B", "C", "D")
CLASS_LABELS: dict[str, tuple[str, str]] = {
    "A": ("低风险", "low risk"),
    "B": ("一般风险", "general risk"),
    "C": ("较高风险", "higher risk"),
    "D": ("高风险", "high risk"),
}
DEFAULT_CLASSIFICATION = Path(__file__).with_name("classification.toml")


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


class ClassificationConfig(_Strict):
    version: str
    cutoffs: Cutoffs
    floors: tuple[FloorRule, ...] = ()


def load_classification_config(
    path: Path = DEFAULT_CLASSIFICATION, indicators: IndicatorSystemConfig | None = None
) -> ClassificationConfig:
    """Read and check the classification file; floors must name known indicators."""
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
    return config


@dataclass(frozen=True)
class Classification:
    """One row per enterprise: class, score, dimension scores, rule, reasons."""

    frame: pd.DataFrame

    def class_counts(self) -> pd.Series:
        return self.frame["risk_class"].value_counts().reindex(list(CLASSES), fill_value=0)


class Classifier:
    """Classes from scores by cut-offs and floor rules; reasons from contributions."""

    def __init__(self, config: ClassificationConfig, indicators: IndicatorSystemConfig,
                 n_reasons: int = 3) -> None:
        self.config = config
        self.indicators = indicators
        self.n_reasons = n_reasons

    def classes_from_score(self, score: pd.Series) -> pd.Series:
        cut = self.config.cutoffs
        index = np.searchsorted([cut.B, cut.C, cut.D], score.to_numpy(), side="right")
        return pd.Series(np.asarray(CLASSES)[index], index=score.index)

    def predict(self, scores: BaseScores) -> Classification:
        risk_class = self.classes_from_score(scores.base_score)
        rule = pd.Series("", index=risk_class.index, dtype=object)
        for floor in self.config.floors:
            fires = scores.raw[floor.indicator].astype(float) >= floor.at_least
            raise_to = fires & (risk_class < floor.risk_class)
            risk_class[raise_to] = floor.risk_class
            rule[fires] = floor.id
        frame = pd.DataFrame({
            "uscc": risk_class.index,
            "risk_class": risk_class.to_numpy(),
            "score": scores.base_score.round(4).to_numpy(),
            **{f"score_{d}": scores.dimension_scores[d].round(4).to_numpy()
               for d in scores.dimension_scores.columns},
            "rule": rule.to_numpy(),
            "reasons": self.reasons(scores),
        })
        return Classification(frame.reset_index(drop=True))

    def reasons(self, scores: BaseScores) -> list[list[dict[str, Any]]]:
        """Top indicators by contribution (only those adding points), with raw values."""
        names = np.asarray(scores.contributions.columns)
        points = scores.contributions.to_numpy()
        order = np.argsort(-points, axis=1, kind="stable")[:, : self.n_reasons]
        raw = scores.raw
        result: list[list[dict[str, Any]]] = []
        for row, columns in enumerate(order):
            reasons = []
            for column in columns:
                if points[row, column] <= 0:
                    break
                name = str(names[column])
                spec = self.indicators.indicators[name]
                value = raw[name].iat[row]
                reasons.append({
                    "code": name,
                    "label_zh": spec.label_zh,
                    "label_en": spec.label_en,
                    "value": _format_value(value),
                    "points": round(float(points[row, column]), 2),
                })
            result.append(reasons)
        return result


def _format_value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "missing"
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    return str(value)
