"""notebook.ipynb: it runs end to end in quick mode, and the committed copy is an executed one."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from tests.support import ROOT

NOTEBOOK = ROOT / "notebook.ipynb"


def images(notebook) -> int:
    """How many PNG pictures the notebook's outputs hold."""
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def printed(notebook) -> str:
    """Everything the notebook's cells printed to stdout."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("name") == "stdout"
    )


def test_notebook_runs_end_to_end_in_quick_mode(monkeypatch, mnist_dir):
    monkeypatch.setenv("NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own future default
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    text = printed(notebook)
    assert f"quick mode: True; MNIST from {mnist_dir}" in text
    assert "trained on 3,000 digits for 1 epoch(s)" in text
    assert "200 {'digit': 7" in text  # the served model read the drawing
    assert images(notebook) >= 3


def test_committed_notebook_is_executed_with_the_real_settings():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert not any(o.output_type == "error" for cell in code for o in cell.outputs)
    assert "quick mode: False" in printed(notebook)
    assert "trained on 60,000 digits" in printed(notebook)
    assert images(notebook) >= 3
