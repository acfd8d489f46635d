"""Every notebook in notebooks/ runs top to bottom, is saved without outputs, and writes
nothing into the repository.

Each runs with nbclient on a real kernel, from a copy of notebooks/ in a
temporary directory beside a link to sample_pcaps/ -- so the notebooks' paths
relative to themselves (``../sample_pcaps``) work as in JupyterLab, and any
file they write lands in the temporary directory.  ``PBXLAB_EXT_DB`` points
the notebooks' store at a temporary file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 180


def test_the_guides_workbench_has_its_notebooks() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {
        "triage-a-capture",
        "manage-extensions",
        "status-history-and-reliability",
        "tenant-health-report",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell was saved with its outputs"
            assert cell.execution_count is None, f"{path.name}: a cell was saved executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_runs_top_to_bottom(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", workdir)
    (tmp_path / "sample_pcaps").symlink_to(REPO / "sample_pcaps")
    monkeypatch.setenv("PBXLAB_EXT_DB", str(tmp_path / "tenant.db"))
    before = sorted(os.listdir(REPO / "notebooks"))
    notebook = nbformat.read(workdir / path.name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    if any("ExtensionStore.open" in cell.source for cell in notebook.cells):
        assert (tmp_path / "tenant.db").exists()  # the store went where it was told
    assert sorted(os.listdir(REPO / "notebooks")) == before
