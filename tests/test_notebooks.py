"""Every teaching notebook runs top to bottom in a fresh kernel; the committed copies carry their outputs."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "01_perceptron_and_logic_gates",
    "02_computational_graph",
    "03_activations_softmax_losses",
    "04_gradient_descent_and_backprop",
    "05_optimizers",
    "06_mnist",
    "07_regression",
    "08_classification",
]


def test_every_notebook_is_there():
    assert [path.stem for path in NOTEBOOKS] == EXPECTED


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_without_error_and_writes_nothing_where_it_runs(path, tmp_path, monkeypatch, request):
    if path.stem == "06_mnist":
        request.getfixturevalue("mnist")  # the shared MNIST the notebook reads: found, or reported missing
    monkeypatch.setenv("CHAINRULE_QUICK", "1")  # 06_mnist trains on a small subset under test
    monkeypatch.setenv("MPLBACKEND", "agg")
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources=resources).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not list(tmp_path.iterdir()), "a notebook run from the repository would leave these files behind"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_outputs_a_checkpoint_and_stays_small(path):
    assert path.stat().st_size < 2_000_000
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count for cell in code), "commit the notebook with the outputs of a full run"
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert any("Checkpoint" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_checkpoint_question_has_a_folded_answer(path):
    notebook = nbformat.read(path, as_version=4)
    (checkpoint,) = [cell.source for cell in notebook.cells if "## Checkpoint" in cell.source]
    questions = re.findall(r"^\*\*\d+\.\*\* ", checkpoint, flags=re.MULTILINE)
    assert questions, "the checkpoint numbers its questions **1.**, **2.**, ..."
    assert checkpoint.count("<details><summary>Answer</summary>") == len(questions)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_rich_outputs_have_a_readable_text_fallback(path):
    notebook = nbformat.read(path, as_version=4)
    plain = [
        output.data.get("text/plain", "")
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.outputs if output.output_type in ("display_data", "execute_result")
    ]
    assert not [text for text in plain if text.startswith("<IPython.core.display.")]


def test_readme_links_every_notebook():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"notebooks/{name}.ipynb" in readme


def test_printed_source_lines_still_match_the_code():
    """A notebook that prints lines of the library with their numbers (07 shows fit's three steps) goes stale
    whenever that file changes: re-run it (python notebooks/execute.py 07) when this fails."""
    root = NOTEBOOKS[0].parent.parent
    checked = 0
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                for file, number, code in re.findall(r"^(\w+/\w+\.py):(\d+) (.+)$", output.get("text", ""), re.M):
                    lines = (root / file).read_text(encoding="utf-8").splitlines()
                    shown = lines[int(number) - 1].strip() if int(number) <= len(lines) else None
                    assert shown == code.strip(), f"{path.name}: {file}:{number} moved"
                    checked += 1
    assert checked >= 5  # 07's five lines, at least


def test_films_in_notebooks_carry_todays_page_script():
    """A film in a notebook's output embeds the page's JavaScript as it was when the notebook ran: re-run the
    notebook (python notebooks/execute.py 01 04) when viz/assets changes."""
    import html

    assets = NOTEBOOKS[0].parent.parent / "viz" / "assets"
    script = html.escape((assets / "film.js").read_text(encoding="utf-8"))
    films = 0
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                page = output.get("data", {}).get("text/html", "")
                if "info.every" in page:  # a film page
                    films += 1
                    assert script in page, f"{path.name} holds a film made with an older film.js"
    assert films >= 3
