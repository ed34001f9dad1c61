"""Loading and checking the indicator system's configuration file.

Every problem stops the load with a :class:`ConfigError` that names the file and the
entry (``[dimensions.basic] matrix``, ``[indicators.age_years] transform``...).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.ahp import CR_LIMIT, AhpResult, ahp, check_pairwise

DEFAULT_CONFIG = Path(__file__).with_name("indicators.toml")
DEFAULT_WINDOW_DAYS = 3 * 365


class ConfigError(ValueError):
    """A configuration file is wrong; the message names the file and the entry."""

    def __init__(self, path: Path, entry: str, problem: str) -> None:
        super().__init__(f"{path}: {entry}: {problem}")
        self.path, self.entry, self.problem = path, entry, problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bins(_Strict):
    """``raw < edges[0] -> scores[0]``, ``edges[i-1] <= raw < edges[i] -> scores[i]``."""

    kind: Literal["bins"]
    edges: tuple[float, ...] = Field(min_length=1)
    scores: tuple[Annotated[float, Field(ge=0, le=100)], ...]

    @model_validator(mode="after")
    def _shape(self) -> Bins:
        if list(self.edges) != sorted(set(self.edges)):
            raise ValueError("edges must be strictly increasing")
        if len(self.scores) != len(self.edges) + 1:
            raise ValueError(f"needs {len(self.edges) + 1} scores for {len(self.edges)} edges")
        steps = np.diff(self.scores)
        if not (np.all(steps >= 0) or np.all(steps <= 0)):
            raise ValueError(f"scores must be monotone, got {list(self.scores)}")
        return self

    def apply(self, raw: npt.ArrayLike) -> npt.NDArray[np.float64]:
        index = np.searchsorted(np.asarray(self.edges), np.asarray(raw), side="right")
        return np.asarray(self.scores, dtype=np.float64)[index]


class CategoryMap(_Strict):
    """A categorical raw value to its score."""

    kind: Literal["map"]
    scores: dict[str, Annotated[float, Field(ge=0, le=100)]]
    default: Annotated[float, Field(ge=0, le=100)]


class IndicatorConfig(_Strict):
    label_zh: str
    label_en: str
    missing: Annotated[float, Field(ge=0, le=100)]
    window_days: Annotated[int, Field(gt=0)] = DEFAULT_WINDOW_DAYS
    transform: Bins | CategoryMap = Field(discriminator="kind")

    def sub_score(self, values: pd.Series) -> npt.NDArray[np.float64]:
        """Raw values to sub-scores; missing values get the ``missing`` score."""
        transform = self.transform
        if isinstance(transform, Bins):
            scored = transform.apply(values.astype(float).fillna(0.0).to_numpy())
        else:
            mapped = values.map(transform.scores).astype(float).fillna(transform.default)
            scored = np.array(mapped, dtype=np.float64)
        scored[values.isna().to_numpy()] = self.missing
        return scored


class _DimensionEntry(_Strict):
    label_zh: str
    label_en: str
    order: tuple[str, ...] = Field(min_length=1)
    matrix: tuple[tuple[str | float, ...], ...]


@dataclass(frozen=True)
class Dimension:
    id: str
    label_zh: str
    label_en: str
    indicators: tuple[str, ...]
    weights: tuple[float, ...]
    ahp: AhpResult


@dataclass(frozen=True)
class IndicatorSystemConfig:
    """The checked indicator system: dimensions with AHP weights, and the indicators."""

    path: Path
    version: str
    dimensions: tuple[Dimension, ...]
    dimension_ahp: AhpResult
    indicators: Mapping[str, IndicatorConfig]

    @property
    def dimension_weights(self) -> dict[str, float]:
        return {d.id: w for d, w in zip(self.dimensions, self.dimension_ahp.weights, strict=True)}

    def global_weights(self) -> dict[str, float]:
        """Each indicator's weight in the base score (dimension weight x local weight)."""
        top = self.dimension_weights
        return {
            indicator: top[d.id] * weight
            for d in self.dimensions
            for indicator, weight in zip(d.indicators, d.weights, strict=True)
        }

    def dimension_of(self, indicator: str) -> str:
        return next(d.id for d in self.dimensions if indicator in d.indicators)


def _matrix(path: Path, entry: str, rows: Iterable[Iterable[str | float]], size: int) -> AhpResult:
    try:
        values = [[float(Fraction(str(cell))) for cell in row] for row in rows]
    except (ValueError, ZeroDivisionError) as error:
        raise ConfigError(path, f"{entry} matrix", f"not a number or fraction: {error}") from None
    if len(values) != size or any(len(row) != size for row in values):
        raise ConfigError(path, f"{entry} matrix", f"must be {size}x{size} to match `order`")
    try:
        result = ahp(check_pairwise(values))
    except ValueError as error:
        raise ConfigError(path, f"{entry} matrix", str(error)) from None
    if not result.consistent:
        raise ConfigError(
            path, f"{entry} matrix",
            f"inconsistent: CR={result.consistency_ratio:.3f} >= {CR_LIMIT}",
        )
    return result


def load_indicator_config(
    path: Path = DEFAULT_CONFIG, known_indicators: Iterable[str] | None = None
) -> IndicatorSystemConfig:
    """Read and check ``path``; ``known_indicators`` are the ids the code can compute."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(path, "(file)", str(error)) from None
    dimensions_raw = dict(raw.get("dimensions", {}))
    order = dimensions_raw.pop("order", None)
    if not order:
        raise ConfigError(path, "[dimensions] order", "missing")
    top = _matrix(path, "[dimensions]", dimensions_raw.pop("matrix", []), len(order))

    indicators: dict[str, IndicatorConfig] = {}
    for name, entry in dict(raw.get("indicators", {})).items():
        if known_indicators is not None and name not in set(known_indicators):
            raise ConfigError(path, f"[indicators.{name}]", "unknown indicator (no computation)")
        try:
            indicators[name] = IndicatorConfig.model_validate(entry)
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise ConfigError(path, f"[indicators.{name}] {where}", problem["msg"]) from None

    dimensions: list[Dimension] = []
    placed: dict[str, str] = {}
    for dimension_id in order:
        entry_name = f"[dimensions.{dimension_id}]"
        if dimension_id not in dimensions_raw:
            raise ConfigError(path, entry_name, "listed in [dimensions] order but not defined")
        try:
            entry = _DimensionEntry.model_validate(dimensions_raw.pop(dimension_id))
        except ValidationError as error:
            problem = error.errors()[0]
            raise ConfigError(path, entry_name, f"{problem['loc']}: {problem['msg']}") from None
        for indicator in entry.order:
            if indicator not in indicators:
                raise ConfigError(path, f"{entry_name} order", f"unknown indicator {indicator!r}")
            if indicator in placed:
                raise ConfigError(
                    path, f"{entry_name} order",
                    f"indicator {indicator!r} is already in [dimensions.{placed[indicator]}]",
                )
            placed[indicator] = dimension_id
        result = _matrix(path, entry_name, entry.matrix, len(entry.order))
        dimensions.append(Dimension(
            dimension_id, entry.label_zh, entry.label_en, entry.order, result.weights, result,
        ))
    if dimensions_raw:
        extra = next(iter(dimensions_raw))
        raise ConfigError(path, f"[dimensions.{extra}]", "not listed in [dimensions] order")
    unplaced = sorted(set(indicators) - set(placed))
    if unplaced:
        raise ConfigError(path, f"[indicators.{unplaced[0]}]", "not in any dimension's order")
    return IndicatorSystemConfig(
        path, str(raw.get("version", "unversioned")), tuple(dimensions), top, indicators
    )
