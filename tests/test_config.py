"""AHP and configuration checks: good config loads, bad config names file and entry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from features.ahp import ahp
from features.config import DEFAULT_CONFIG, ConfigError, load_indicator_config
from features.indicators import INDICATORS
from risk.classify import DEFAULT_CLASSIFICATION, load_classification_config


def test_ahp_consistent_matrix_gives_exact_weights() -> None:
    weights = np.array([0.5, 0.3, 0.2])
    result = ahp(weights[:, None] / weights[None, :])
    assert result.weights == pytest.approx(weights)
    assert result.lambda_max == pytest.approx(3.0)
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_ahp_saaty_example() -> None:
    # A textbook 3x3 judgement matrix: CR about 0.0036 (well below 0.1).
    result = ahp([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    assert result.weights == pytest.approx((0.648, 0.230, 0.122), abs=1e-3)
    assert result.consistency_ratio == pytest.approx(0.0036, abs=5e-4)
    assert result.consistent


def test_default_config_loads_with_weights_summing_to_one() -> None:
    config = load_indicator_config(DEFAULT_CONFIG, INDICATORS)
    assert [d.id for d in config.dimensions] == [
        "basic", "dynamic", "regulatory", "relationships", "social"]
    assert all(len(d.indicators) >= 3 for d in config.dimensions)
    assert sum(config.global_weights().values()) == pytest.approx(1.0)
    assert all(d.ahp.consistency_ratio < 0.1 for d in config.dimensions)
    assert config.dimension_weights["regulatory"] == max(config.dimension_weights.values())


def _edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_inconsistent_matrix_is_refused_naming_file_and_entry(tmp_path: Path) -> None:
    # basic: age >> paid-in, paid-in >> entity type, but entity type >> age: circular.
    path = _edited(tmp_path, DEFAULT_CONFIG,
                   '["1",   "1",   "2", "1"],\n    ["1",   "1",   "2", "1"],\n'
                   '    ["1/2", "1/2", "1", "1/2"],',
                   '["1",   "9",   "1/9", "1"],\n    ["1/9",   "1",   "9", "1"],\n'
                   '    ["9", "1/9", "1", "1/2"],')
    with pytest.raises(ConfigError) as error:
        load_indicator_config(path, INDICATORS)
    assert str(path) in str(error.value)
    assert "[dimensions.basic] matrix" in str(error.value)
    assert "CR=" in str(error.value)


def test_non_reciprocal_matrix_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, '["1/2", "1/2", "1"],', '["1/2", "1/3", "1"],')
    with pytest.raises(ConfigError, match=r"\[dimensions.dynamic\] matrix: .*not reciprocal"):
        load_indicator_config(path, INDICATORS)


def test_unknown_indicator_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, '"equity_pledges_3y"]', '"equity_pledge_count"]')
    with pytest.raises(ConfigError, match=r"\[dimensions.dynamic\] order: unknown indicator "
                                          r"'equity_pledge_count'"):
        load_indicator_config(path, INDICATORS)


def test_indicator_without_computation_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, "[indicators.age_years]", "[indicators.age_days]")
    with pytest.raises(ConfigError, match=r"\[indicators.age_days\]: unknown indicator"):
        load_indicator_config(path, INDICATORS)


def test_non_monotone_transform_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, "scores = [80, 55, 35, 20, 10]",
                   "scores = [80, 55, 95, 20, 10]")
    with pytest.raises(ConfigError, match=r"\[indicators.age_years\] transform.*monotone"):
        load_indicator_config(path, INDICATORS)


def test_cutoffs_out_of_order_are_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CLASSIFICATION, "C = 17.0", "C = 50.0")
    with pytest.raises(ConfigError) as error:
        load_classification_config(path)
    assert str(path) in str(error.value)
    assert "[cutoffs]" in str(error.value) and "B < C < D" in str(error.value)


def test_floor_on_unknown_indicator_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CLASSIFICATION, 'indicator = "on_serious_dishonesty"',
                   'indicator = "on_blacklist"')
    with pytest.raises(ConfigError, match=r"\[\[floors\]\] #1 \(serious_dishonesty_veto\): "
                                          r"unknown indicator 'on_blacklist'"):
        load_classification_config(path, load_indicator_config(DEFAULT_CONFIG, INDICATORS))
