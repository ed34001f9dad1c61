"""The analysts' notebooks run top to bottom on a synthetic province, and are kept in git
without outputs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# What each notebook must show: its plots, and a line only a real run prints.
EXPECTED = {
    "investigate.ipynb": (2, "实际控制人"),
    "model.ipynb": (3, "D > C > B > A"),
}


def test_the_notebooks_are_there() -> None:
    assert {path.name for path in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs: strip them"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A kernelspec for this interpreter (the project's venv) with the checkout first on
    the path, found through JUPYTER_PATH; whatever python3 kernel is installed elsewhere
    is not used."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "riskgraph-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "riskgraph (test)", "language": "python",
        "env": {"PYTHONPATH": str(ROOT), "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
    }))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root))
        yield "riskgraph-test"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path: Path, kernel_name: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    images = sum("image/png" in output.get("data", {}) for output in outputs)
    text = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "")
                   for output in outputs)
    plots, line = EXPECTED[path.name]
    assert images == plots, f"{path.name}: {images} plots, expected {plots}"
    assert line in text
