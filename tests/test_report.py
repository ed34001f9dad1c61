"""`riskgraph report` on a small synthetic province: the dated folder, its plots (valid
PNG and SVG with Chinese text in a CJK font), index.html naming the top region, and the
refusal to draw without a CJK font."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.image import imread
from typer.testing import CliRunner

from api.cli import app
from api.pipeline import classify, write_run_snapshot
from api.settings import Settings
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.reference import PREFECTURE_BY_CODE
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.plots import FontMissing, cjk_font
from tests.conftest import PERSON_KEY

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a 1,500-enterprise province stored and classified for two months."""
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home, person_id_key=PERSON_KEY.decode())  # type: ignore[arg-type]
    province = generate_province(1500, seed=3, as_of=AS_OF)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(PERSON_KEY)))
    for day in (dt.date(2026, 9, 30), AS_OF):
        write_run_snapshot(classify(store, day), settings.snapshot_root)
    store.save(settings.memory_store_path)
    return home


def expected_top_region(home: Path, min_enterprises: int) -> str:
    """The prefecture with the highest C+D share, computed here from the snapshot."""
    classes = pd.read_parquet(home / "snapshots" / "2026-10" / "classification.parquet")
    enterprises = MemoryStore.load(home / "memory-store.pickle").node_table("Enterprise")
    joined = classes.merge(enterprises[["uscc", "region_code"]], on="uscc")
    joined["prefecture"] = joined["region_code"].str[:4] + "00"
    groups = joined.groupby("prefecture")["risk_class"].agg(
        total="size", high=lambda c: int(c.isin(["C", "D"]).sum()))
    groups = groups.loc[groups["total"] >= min_enterprises]
    groups["share"] = groups["high"] / groups["total"]
    top = groups.sort_values(["share", "high"], ascending=False).index[0]
    return PREFECTURE_BY_CODE[top].name_zh


def test_report_writes_plots_and_an_internal_page(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(app, ["report", "--as-of", "2026-10-31", "--out", str(out),
                                      "--min-enterprises", "20"],
                                env={"RISKGRAPH_HOME": str(home), "RISKGRAPH_GRAPH": "memory"})
    assert result.exit_code == 0, result.output
    folder = out / "2026-10-31"
    page = (folder / "index.html").read_text("utf-8")
    top = expected_top_region(home, 20)
    assert f"风险最高地区 highest-risk region: {top}" in page
    assert top in result.output
    assert "内部资料" in page and "Internal" in page and 'lang="zh-CN"' in page
    assert page.count("data:image/png;base64,") >= 5  # plots embedded
    assert "变化 change (pp)" in page and "2026-09" in page  # against the month before
    for name in ("class_distribution", "regions_class_mix", "industries_class_mix",
                 "regions_change", "industries_change"):
        png, svg = folder / f"{name}.png", folder / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width = imread(png).shape[:2]
        assert height > 200 and width > 400
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        text = svg.read_text("utf-8")
        assert "Noto Sans CJK SC" in text  # text kept as text, in the CJK font
    assert "类别分布" in (folder / "class_distribution.svg").read_text("utf-8")
    assert "杭州市" in (folder / "regions_class_mix.svg").read_text("utf-8")
    analysis = json.loads((folder / "analysis.json").read_text("utf-8"))
    assert analysis["previous_month"] == "2026-09"
    assert sum(row["count"] for row in analysis["overall"]) == 1500


def test_report_without_a_snapshot_says_what_to_run(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--as-of", "2025-01-31", "--out",
                                      str(tmp_path)],
                                env={"RISKGRAPH_HOME": str(home), "RISKGRAPH_GRAPH": "memory"})
    assert result.exit_code == 2
    assert "no snapshot for 2025-01" in result.output and "classify" in result.output


def test_plots_refuse_to_render_boxes_without_a_cjk_font(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert cjk_font() == "Noto Sans CJK SC"
    latin = [font for font in font_manager.fontManager.ttflist if "CJK" not in font.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    with pytest.raises(FontMissing, match="fonts-noto-cjk"):
        cjk_font()
