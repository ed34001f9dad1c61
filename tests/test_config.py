"""AHP and configuration checks: good config loads, bad config names file and entry."""

from __future__ import annotations

import json
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


def test_default_config_is_a_three_level_tree_over_five_dimensions() -> None:
    config = load_indicator_config(DEFAULT_CONFIG, INDICATORS)
    assert [d.id for d in config.dimensions] == [
        "basic", "dynamic", "regulatory", "relationships", "social"]
    assert len(config.general_indicators) >= 25
    assert all(len(d.groups) >= 2 for d in config.dimensions)
    assert sum(config.global_weights().values()) == pytest.approx(1.0)
    for group in config.groups:
        assert sum(group.weights) == pytest.approx(1.0)
    assert all(result.consistency_ratio < 0.1 for _, result in config.matrices())
    assert config.dimension_weights["regulatory"] == max(config.dimension_weights.values())
    for spec in config.indicators.values():
        assert spec.sources and spec.window_days > 0 and 0 <= spec.missing <= 100
    assert {s.id for s in config.sectors} == {
        "food_production", "drug_retail", "medical_devices", "special_equipment"}
    assert config.weight_source == "ahp"
    assert len(config.digest) == 64


def _edited(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


LISTS_ROWS = '["1",   "2",   "1",   "3"],\n    ["1/2", "1",   "1/2", "2"],'


def test_inconsistent_group_matrix_is_refused_naming_file_and_matrix(tmp_path: Path) -> None:
    # lists: current abnormal >> past listings >> dishonesty, but dishonesty >> current.
    path = _edited(tmp_path, DEFAULT_CONFIG, LISTS_ROWS,
                   '["1",   "9",   "1/9",   "3"],\n    ["1/9", "1",   "9", "2"],')
    path = _edited(tmp_path, path, '["1",   "2",   "1",   "3"],\n    ["1/3", "1/2", "1/3", "1"],',
                   '["9",   "1/9",   "1",   "3"],\n    ["1/3", "1/2", "1/3", "1"],')
    with pytest.raises(ConfigError) as error:
        load_indicator_config(path, INDICATORS)
    assert str(path) in str(error.value)
    assert "[groups.lists] matrix: inconsistent: CR=" in str(error.value)
    assert ">= 0.1" in str(error.value)


def test_inconsistent_dimension_matrix_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG,
                   'order = ["registration", "capital", "industry"]\nmatrix = [\n'
                   '    ["1",   "1",   "2"],\n    ["1",   "1",   "2"],\n    ["1/2", "1/2", "1"],',
                   'order = ["registration", "capital", "industry"]\nmatrix = [\n'
                   '    ["1",   "9",   "1/9"],\n    ["1/9",   "1",   "9"],\n    ["9", "1/9", "1"],')
    with pytest.raises(ConfigError, match=r"\[dimensions.basic\] matrix: inconsistent: CR="):
        load_indicator_config(path, INDICATORS)


def test_non_reciprocal_matrix_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, 'matrix = [["1", "2"], ["1/2", "1"]]',
                   'matrix = [["1", "2"], ["1/3", "1"]]')
    with pytest.raises(ConfigError, match=r"\[groups.capital\] matrix: .*not reciprocal"):
        load_indicator_config(path, INDICATORS)


def test_unknown_indicator_in_a_group_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, '"ip_pledges_3y"]', '"ip_pledge_count"]')
    with pytest.raises(ConfigError, match=r"\[groups.financing\] order: unknown indicator "
                                          r"'ip_pledge_count'"):
        load_indicator_config(path, INDICATORS)


def test_unknown_group_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, '"financing"]', '"funding"]')
    with pytest.raises(ConfigError, match=r"\[dimensions.dynamic\] order: unknown group "
                                          r"'funding'"):
        load_indicator_config(path, INDICATORS)


def test_indicator_without_computation_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, "[indicators.age_years]", "[indicators.age_days]")
    with pytest.raises(ConfigError, match=r"\[indicators.age_days\]: unknown indicator"):
        load_indicator_config(path, INDICATORS)


def test_indicator_without_sources_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, 'sources = ["ip_pledge"]', "sources = []")
    with pytest.raises(ConfigError, match=r"\[indicators.ip_pledges_3y\] sources"):
        load_indicator_config(path, INDICATORS)


@pytest.mark.parametrize(("old", "new"), [
    ("scores = [70, 45, 25, 10]", "scores = [70, 45, 95, 10]"),  # bins
    ("y = [85, 70, 45, 25, 10]", "y = [85, 70, 95, 25, 10]"),  # declared function
])
def test_non_monotone_transform_is_refused(tmp_path: Path, old: str, new: str) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, old, new)
    with pytest.raises(ConfigError, match=r"\[indicators.(paid_in_ratio|age_years)\] "
                                          r"transform.*monotone"):
        load_indicator_config(path, INDICATORS)


def test_sector_overlay_errors_are_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CONFIG, '"drug_retail_licence_lapsed"]',
                   '"penalty_amount_3y"]')
    with pytest.raises(ConfigError, match=r"\[sectors.drug_retail\] order: indicator "
                                          r"'penalty_amount_3y' is in the general tree"):
        load_indicator_config(path, INDICATORS)
    path = _edited(tmp_path, DEFAULT_CONFIG,
                   'order = ["general", "special_equipment_penalties_3y", '
                   '"special_equipment_licence_lapsed"]\nmatrix = [["1", "1", "2"]',
                   'order = ["general", "special_equipment_penalties_3y", '
                   '"special_equipment_licence_lapsed"]\nmatrix = [["1", "9", "1/9"]')
    with pytest.raises(ConfigError, match=r"\[sectors.special_equipment\] matrix"):
        load_indicator_config(path, INDICATORS)


def test_fitted_weights_must_be_given_and_fit_the_tree(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[weights\] fitted: .*no fitted-weights file"):
        load_indicator_config(DEFAULT_CONFIG, INDICATORS, weights="fitted")
    config = load_indicator_config(DEFAULT_CONFIG, INDICATORS)
    weights = dict.fromkeys(config.general_indicators, 1.0)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"indicator_weights": weights}), encoding="utf-8")
    fitted = load_indicator_config(DEFAULT_CONFIG, INDICATORS, weights="fitted", fitted=good)
    assert fitted.weight_source == "fitted" and fitted.fitted_path == good
    share = [1 / len(weights)] * len(weights)
    assert list(fitted.global_weights().values()) == pytest.approx(share)
    assert [len(d.groups) for d in fitted.dimensions] == [len(d.groups) for d in
                                                          config.dimensions]
    del weights["age_years"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"indicator_weights": weights}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.json: indicator_weights: does not match the "
                                          r"indicator tree.*age_years"):
        load_indicator_config(DEFAULT_CONFIG, INDICATORS, weights="fitted", fitted=bad)


def test_cutoffs_out_of_order_are_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CLASSIFICATION, "C = 18.0", "C = 50.0")
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


def test_observation_on_unknown_indicator_is_refused(tmp_path: Path) -> None:
    path = _edited(tmp_path, DEFAULT_CLASSIFICATION, 'indicator = "age_years"',
                   'indicator = "age_months"')
    with pytest.raises(ConfigError, match=r"\[observation\]: unknown indicator 'age_months'"):
        load_classification_config(path, load_indicator_config(DEFAULT_CONFIG, INDICATORS))
