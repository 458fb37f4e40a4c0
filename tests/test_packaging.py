"""One import package, `chainrule`: names, the facade, the version, and no old top-level imports."""

import builtins
import importlib.metadata
import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import chainrule
from chainrule.cli import main

ROOT = Path(__file__).resolve().parent.parent
OLD_IMPORT = re.compile(r"^\s*(from|import)\s+(autograd|nn|viz)(\.|\s|$|,)", re.MULTILINE)


def test_the_facade_gives_the_everyday_names():
    from chainrule import Tensor, Value, nn, viz

    assert Value is chainrule.autograd.Value and Tensor is chainrule.autograd.Tensor
    assert nn.MLP.__module__ == "chainrule.nn.mlp" and viz.render.__module__ == "chainrule.viz.renderer"
    with pytest.raises(AttributeError, match="module 'chainrule' has no attribute 'Valu'"):
        chainrule.Valu  # noqa: B018


@pytest.mark.parametrize("module", ["chainrule", "chainrule.autograd", "chainrule.nn", "chainrule.viz"])
def test_a_star_import_never_replaces_a_builtin(module):
    namespace: dict = {}
    exec(f"from {module} import *", namespace)
    shadowed = sorted(name for name in namespace if name != "__builtins__" and hasattr(builtins, name))
    assert shadowed == []


def test_the_n_ary_sum_is_reachable_by_name_only():
    from chainrule import Value, autograd

    total = autograd.sum([Value(1.0), Value(2.0), 3.0])
    assert total.op == "sum" and total.data == 6.0 and "sum" not in autograd.__all__
    namespace: dict = {}
    exec("from chainrule.autograd import *\nresult = sum([1, 2, 3])", namespace)
    assert namespace["result"] == 6 and type(namespace["result"]) is int


def test_importing_the_engine_loads_neither_the_network_layer_nor_the_drawings():
    code = "import sys, chainrule.autograd; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
        "('chainrule', 'autograd', 'nn', 'viz', 'graphviz', 'tqdm')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT.parent)
    modules = eval(loaded.stdout)
    assert "chainrule.autograd" in modules
    assert not [m for m in modules if m.split(".")[0] in ("autograd", "nn", "viz", "graphviz", "tqdm")]
    assert not [m for m in modules if m.startswith(("chainrule.nn", "chainrule.viz", "chainrule.cli"))]


def test_a_checkout_imports_its_own_subpackages_with_no_install_to_map_them(tmp_path):
    """Python started at the repository's top finds its chainrule/ folder first, without the editable install's
    mapping of autograd/, nn/ and viz/ into it (no site: no .pth file runs; site-packages only for NumPy & co.)."""
    code = (
        f"import sys; sys.path[:0] = [{str(ROOT)!r}]; sys.path.append({sysconfig.get_paths()['purelib']!r}); "
        "import chainrule.nn, chainrule.viz, chainrule.cli; print(chainrule.nn.__file__, chainrule.nn.MLP.__module__)"
    )
    found = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == [str(ROOT / "nn" / "__init__.py"), "chainrule.nn.mlp"]


def test_one_version_number_read_by_the_package_the_metadata_and_the_command(capsys):
    assert chainrule.__version__ == importlib.metadata.version("chainrule")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"chainrule {chainrule.__version__}"
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("\n[project]\n")[1].split("\n[")[0]
    assert 'dynamic = ["version"]' in project and not re.search(r"^version\s*=", project, re.MULTILINE)


def test_the_license_is_mit_in_the_file_and_the_metadata():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    metadata = importlib.metadata.metadata("chainrule")
    assert metadata["License-Expression"] == "MIT"


def test_no_file_in_the_repository_imports_the_old_top_level_names():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in tracked:
        if not name.endswith((".py", ".ipynb", ".md")):
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        if name.endswith(".ipynb"):
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        offenders += [f"{name}: {m.group(0).strip()}" for m in OLD_IMPORT.finditer(text)]
    assert offenders == []


def test_the_readme_example_runs_and_prints_what_it_says(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL).group(1)
    promised = re.search(r"print\(.*\)\s+#\s*(.+)", example).group(1).strip()
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == promised
    assert (tmp_path / "neuron.svg").read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))


def test_every_python_block_of_the_readme_runs_as_it_stands(tmp_path, monkeypatch):
    """Each block on its own, as a reader pastes it into a fresh interpreter: none relies on names it does not make."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert len(blocks) == 3 and (tmp_path / "xor.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
