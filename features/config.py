"""Loading and checking the indicator system's configuration file.

The tree has three levels, dimension -> group -> indicator, each node with an AHP
pairwise matrix over its children; sector overlays add indicators and re-weight for the
enterprises of one sector. Every problem stops the load with a :class:`ConfigError` that
names the file and the entry (``[dimensions.basic] matrix``, ``[groups.penalties]
order``, ``[indicators.age_years] transform``...).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.ahp import CR_LIMIT, AhpResult, ahp, check_pairwise

DEFAULT_CONFIG = Path(__file__).with_name("indicators.toml")
DEFAULT_WINDOW_DAYS = 3 * 365
GENERAL = "general"  # the sector overlays' name for the general base score
WeightSource = Literal["ahp", "fitted"]


class ConfigError(ValueError):
    """A configuration file is wrong; the message names the file and the entry."""

    def __init__(self, path: Path, entry: str, problem: str) -> None:
        super().__init__(f"{path}: {entry}: {problem}")
        self.path, self.entry, self.problem = path, entry, problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _monotone(scores: Iterable[float]) -> bool:
    steps = np.diff(np.asarray(list(scores), dtype=float))
    return bool(np.all(steps >= 0) or np.all(steps <= 0))


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
        if not _monotone(self.scores):
            raise ValueError(f"scores must be monotone, got {list(self.scores)}")
        return self

    def apply(self, raw: npt.ArrayLike) -> npt.NDArray[np.float64]:
        index = np.searchsorted(np.asarray(self.edges), np.asarray(raw), side="right")
        return np.asarray(self.scores, dtype=np.float64)[index]


class Linear(_Strict):
    """A declared function: piecewise linear through ``(x[k], y[k])``, flat outside."""

    kind: Literal["linear"]
    x: tuple[float, ...] = Field(min_length=2)
    y: tuple[Annotated[float, Field(ge=0, le=100)], ...]

    @model_validator(mode="after")
    def _shape(self) -> Linear:
        if list(self.x) != sorted(set(self.x)):
            raise ValueError("x must be strictly increasing")
        if len(self.y) != len(self.x):
            raise ValueError(f"needs {len(self.x)} y values for {len(self.x)} x values")
        if not _monotone(self.y):
            raise ValueError(f"y must be monotone, got {list(self.y)}")
        return self

    def apply(self, raw: npt.ArrayLike) -> npt.NDArray[np.float64]:
        result: npt.NDArray[np.float64] = np.interp(np.asarray(raw, dtype=float), self.x, self.y)
        return result


class CategoryMap(_Strict):
    """A categorical raw value to its score."""

    kind: Literal["map"]
    scores: dict[str, Annotated[float, Field(ge=0, le=100)]]
    default: Annotated[float, Field(ge=0, le=100)]


Transform = Bins | Linear | CategoryMap


class IndicatorConfig(_Strict):
    label_zh: str
    label_en: str
    # Record kinds the raw value is computed from (`enterprise`, `penalty`, `relations`...).
    sources: tuple[str, ...] = Field(min_length=1)
    missing: Annotated[float, Field(ge=0, le=100)]
    window_days: Annotated[int, Field(gt=0)] = DEFAULT_WINDOW_DAYS
    transform: Transform = Field(discriminator="kind")

    def sub_score(self, values: pd.Series) -> npt.NDArray[np.float64]:
        """Raw values to sub-scores; missing values get the ``missing`` score."""
        transform = self.transform
        if isinstance(transform, CategoryMap):
            mapped = values.map(transform.scores).astype(float).fillna(transform.default)
            scored = np.array(mapped, dtype=np.float64)
        else:
            scored = transform.apply(values.astype(float).fillna(0.0).to_numpy())
        scored[values.isna().to_numpy()] = self.missing
        return scored

    @property
    def lowest(self) -> float:
        """The lowest sub-score the transform can give."""
        transform = self.transform
        if isinstance(transform, Bins):
            return min(transform.scores)
        if isinstance(transform, Linear):
            return min(transform.y)
        return min([transform.default, *transform.scores.values()])


class Leniency(_Strict):
    """包容审慎: records that stop counting or count less (design section 1).

    ``publicity_ends_counting``: a record whose ``publicity_end`` is before the as-of date
    counts no more (indicators, list status, related-party problems), whatever its window.
    ``unpunished_weight``: a penalty marked ``unpunished`` (首违不罚) counts this much of a
    penalty (0: not at all). The observation period of new enterprises is a classification
    rule (``risk/classification.toml``); credit repair (removal from a list) needs no
    setting: the ``removed`` date ends the listing on the next classification.
    """

    publicity_ends_counting: bool = True
    unpunished_weight: Annotated[float, Field(ge=0, le=1)] = 0.0


class _Node(_Strict):
    label_zh: str
    label_en: str
    order: tuple[str, ...] = Field(min_length=1)
    matrix: tuple[tuple[str | float, ...], ...]


class _Sector(_Node):
    # Optional re-weighting of the five dimensions for this sector (same order as the root).
    dimensions_matrix: tuple[tuple[str | float, ...], ...] | None = None


class _Weights(_Strict):
    source: WeightSource = "ahp"
    fitted: str | None = None  # a fitted-weights JSON (`riskgraph indicators fit`)


@dataclass(frozen=True)
class Group:
    id: str
    label_zh: str
    label_en: str
    dimension: str
    indicators: tuple[str, ...]
    weights: tuple[float, ...]
    ahp: AhpResult


@dataclass(frozen=True)
class Dimension:
    id: str
    label_zh: str
    label_en: str
    groups: tuple[Group, ...]
    weights: tuple[float, ...]  # of the groups
    ahp: AhpResult

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(name for group in self.groups for name in group.indicators)


@dataclass(frozen=True)
class SectorOverlay:
    """Extra indicators and re-weighting for the enterprises of one sector.

    Sector score = ``w_general * sum_d W'_d D_d + sum_j w_j s_j`` where ``W'`` is the
    sector's re-weighting of the dimensions (the general one when not given).
    """

    id: str
    label_zh: str
    label_en: str
    order: tuple[str, ...]  # "general" and the sector's indicators
    weights: tuple[float, ...]
    ahp: AhpResult
    dimension_weights: tuple[float, ...]
    dimension_ahp: AhpResult | None

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(name for name in self.order if name != GENERAL)

    @property
    def weight_of(self) -> dict[str, float]:
        return dict(zip(self.order, self.weights, strict=True))


@dataclass(frozen=True)
class IndicatorSystemConfig:
    """The checked indicator system: the AHP tree, the indicators, the sector overlays."""

    path: Path
    version: str
    digest: str  # sha256 of the file, recorded in every snapshot
    dimensions: tuple[Dimension, ...]
    dimension_ahp: AhpResult
    top_weights: tuple[float, ...]
    indicators: Mapping[str, IndicatorConfig]
    sectors: tuple[SectorOverlay, ...] = ()
    weight_source: WeightSource = "ahp"
    fitted_path: Path | None = None
    leniency: Leniency = field(default_factory=Leniency)

    @property
    def dimension_weights(self) -> dict[str, float]:
        return {d.id: w for d, w in zip(self.dimensions, self.top_weights, strict=True)}

    @property
    def general_indicators(self) -> tuple[str, ...]:
        return tuple(name for d in self.dimensions for name in d.indicators)

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(g for d in self.dimensions for g in d.groups)

    def global_weights(self) -> dict[str, float]:
        """Each indicator's weight in the base score (dimension x group x local weight)."""
        top = self.dimension_weights
        return {
            name: top[d.id] * wg * wi
            for d in self.dimensions
            for group, wg in zip(d.groups, d.weights, strict=True)
            for name, wi in zip(group.indicators, group.weights, strict=True)
        }

    def dimension_of(self, indicator: str) -> str:
        return next(d.id for d in self.dimensions if indicator in d.indicators)

    def with_global_weights(
        self, weights: Mapping[str, float], source: WeightSource, path: Path | None = None
    ) -> IndicatorSystemConfig:
        """The same tree with weights derived from global indicator weights (sum 1).

        A group's weight in its dimension is the sum of its indicators' weights over the
        dimension's, and so on up: the tree is kept, only the numbers change.
        """
        missing = set(self.general_indicators) - set(weights)
        if missing:
            raise ValueError(f"weights lack indicators {sorted(missing)}")
        total = sum(max(float(weights[n]), 0.0) for n in self.general_indicators)
        if total <= 0:
            raise ValueError("weights must have a positive sum")

        def w(name: str) -> float:
            return max(float(weights[name]), 0.0) / total

        def share(parts: list[float]) -> tuple[float, ...]:
            whole = sum(parts)
            return tuple(p / whole if whole > 0 else 1.0 / len(parts) for p in parts)

        dimensions = []
        for d in self.dimensions:
            groups = tuple(
                replace(g, weights=share([w(n) for n in g.indicators])) for g in d.groups)
            dimensions.append(replace(d, groups=groups, weights=share(
                [sum(w(n) for n in g.indicators) for g in d.groups])))
        top = share([sum(w(n) for n in d.indicators) for d in self.dimensions])
        return replace(self, dimensions=tuple(dimensions), top_weights=top,
                       weight_source=source, fitted_path=path)

    def matrices(self) -> list[tuple[str, AhpResult]]:
        """Every AHP matrix of the tree, by entry name, root first."""
        result = [("[dimensions]", self.dimension_ahp)]
        for d in self.dimensions:
            result.append((f"[dimensions.{d.id}]", d.ahp))
            result.extend((f"[groups.{g.id}]", g.ahp) for g in d.groups)
        for s in self.sectors:
            result.append((f"[sectors.{s.id}]", s.ahp))
            if s.dimension_ahp is not None:
                result.append((f"[sectors.{s.id}] dimensions_matrix", s.dimension_ahp))
        return result


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


def _validated(path: Path, entry: str, model: type[_Strict], raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ConfigError(path, f"{entry} {where}".strip(), problem["msg"]) from None


def load_indicator_config(
    path: Path = DEFAULT_CONFIG, known_indicators: Iterable[str] | None = None,
    *, weights: WeightSource | None = None, fitted: Path | None = None,
) -> IndicatorSystemConfig:
    """Read and check ``path``; ``known_indicators`` are the ids the code can compute.

    ``weights`` overrides the file's ``[weights] source``; ``fitted`` its fitted file.
    """
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(path, "(file)", str(error)) from None
    known = None if known_indicators is None else set(known_indicators)
    indicators: dict[str, IndicatorConfig] = {}
    for name, entry in dict(raw.get("indicators", {})).items():
        if known is not None and name not in known:
            raise ConfigError(path, f"[indicators.{name}]", "unknown indicator (no computation)")
        indicators[name] = _validated(path, f"[indicators.{name}]", IndicatorConfig, entry)

    dimensions_raw = dict(raw.get("dimensions", {}))
    order = dimensions_raw.pop("order", None)
    if not order:
        raise ConfigError(path, "[dimensions] order", "missing")
    top = _matrix(path, "[dimensions]", dimensions_raw.pop("matrix", []), len(order))

    groups_raw = dict(raw.get("groups", {}))
    placed: dict[str, str] = {}
    group_owner: dict[str, str] = {}
    dimensions: list[Dimension] = []
    for dimension_id in order:
        entry_name = f"[dimensions.{dimension_id}]"
        if dimension_id not in dimensions_raw:
            raise ConfigError(path, entry_name, "listed in [dimensions] order but not defined")
        node: _Node = _validated(path, entry_name, _Node, dimensions_raw.pop(dimension_id))
        groups: list[Group] = []
        for group_id in node.order:
            if group_id in group_owner:
                raise ConfigError(path, f"{entry_name} order", f"group {group_id!r} is already "
                                  f"in [dimensions.{group_owner[group_id]}]")
            if group_id not in groups_raw:
                raise ConfigError(path, f"{entry_name} order", f"unknown group {group_id!r}")
            group_owner[group_id] = dimension_id
            group_entry = f"[groups.{group_id}]"
            group: _Node = _validated(path, group_entry, _Node, groups_raw.pop(group_id))
            for indicator in group.order:
                if indicator not in indicators:
                    raise ConfigError(path, f"{group_entry} order",
                                      f"unknown indicator {indicator!r}")
                if indicator in placed:
                    raise ConfigError(path, f"{group_entry} order", f"indicator {indicator!r} "
                                      f"is already in {placed[indicator]}")
                placed[indicator] = group_entry
            result = _matrix(path, group_entry, group.matrix, len(group.order))
            groups.append(Group(group_id, group.label_zh, group.label_en, dimension_id,
                                group.order, result.weights, result))
        result = _matrix(path, entry_name, node.matrix, len(node.order))
        dimensions.append(Dimension(dimension_id, node.label_zh, node.label_en, tuple(groups),
                                    result.weights, result))
    if dimensions_raw:
        extra = next(iter(dimensions_raw))
        raise ConfigError(path, f"[dimensions.{extra}]", "not listed in [dimensions] order")
    if groups_raw:
        extra = next(iter(groups_raw))
        raise ConfigError(path, f"[groups.{extra}]", "not in any dimension's order")

    sectors: list[SectorOverlay] = []
    for sector_id, entry in dict(raw.get("sectors", {})).items():
        entry_name = f"[sectors.{sector_id}]"
        sector: _Sector = _validated(path, entry_name, _Sector, entry)
        if GENERAL not in sector.order:
            raise ConfigError(path, f"{entry_name} order", f"must include {GENERAL!r}")
        for indicator in sector.order:
            if indicator == GENERAL:
                continue
            if indicator not in indicators:
                raise ConfigError(path, f"{entry_name} order", f"unknown indicator {indicator!r}")
            if placed.get(indicator, "[sectors.").startswith("[groups."):
                raise ConfigError(path, f"{entry_name} order", f"indicator {indicator!r} is "
                                  f"in the general tree ({placed[indicator]})")
            placed[indicator] = entry_name
        result = _matrix(path, entry_name, sector.matrix, len(sector.order))
        dimension_ahp = None
        dimension_weights = top.weights
        if sector.dimensions_matrix is not None:
            dimension_ahp = _matrix(path, f"{entry_name} dimensions_", sector.dimensions_matrix,
                                    len(order))
            dimension_weights = dimension_ahp.weights
        sectors.append(SectorOverlay(sector_id, sector.label_zh, sector.label_en, sector.order,
                                     result.weights, result, dimension_weights, dimension_ahp))

    unplaced = sorted(set(indicators) - set(placed))
    if unplaced:
        raise ConfigError(path, f"[indicators.{unplaced[0]}]",
                          "not in any group's or sector's order")
    settings: _Weights = _validated(path, "[weights]", _Weights, raw.get("weights", {}))
    leniency: Leniency = _validated(path, "[leniency]", Leniency, raw.get("leniency", {}))
    config = IndicatorSystemConfig(
        path, str(raw.get("version", "unversioned")),
        hashlib.sha256(text.encode("utf-8")).hexdigest(), tuple(dimensions), top, top.weights,
        indicators, tuple(sectors), leniency=leniency,
    )
    source = weights or settings.source
    if source == "fitted":
        fitted_path = fitted or (path.parent / settings.fitted if settings.fitted else None)
        if fitted_path is None:
            raise ConfigError(path, "[weights] fitted",
                              "weights source is 'fitted' but no fitted-weights file is given")
        config = config.with_global_weights(
            read_fitted_weights(fitted_path, config), "fitted", fitted_path)
    return config


def read_fitted_weights(path: Path, config: IndicatorSystemConfig) -> dict[str, float]:
    """Global indicator weights from a fitted-weights JSON; they must fit ``config``'s tree."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in document["indicator_weights"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(path, "(file)", f"not a fitted-weights file: {error}") from None
    expected = set(config.general_indicators)
    if set(weights) != expected:
        difference = sorted(expected.symmetric_difference(weights))
        raise ConfigError(path, "indicator_weights",
                          f"does not match the indicator tree of {config.path}: {difference}")
    if any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
        raise ConfigError(path, "indicator_weights", "weights must be >= 0 with a positive sum")
    return weights
