"""viz: the picture of a graph (values, gradients, local derivatives), rendering, collapse and the stepper."""

import os
import random
import re
import shutil
import stat
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from chainrule import autograd, nn, viz
from chainrule.autograd import Parameter, Value, scope, topological_order
from chainrule.viz import style
from chainrule.viz.steps import compute_steps, names_for
from chainrule.viz.svg import inline
from chainrule.viz.text import number, summary

SVG = "{http://www.w3.org/2000/svg}"
HAS_DOT = shutil.which("dot") is not None
RENDERERS = [
    "graphviz-pure",
    pytest.param("dot", marks=pytest.mark.skipif(
        not HAS_DOT and not os.environ.get("CI"), reason="system Graphviz not installed (CI installs it)"
    )),
]


def neuron():
    """micrograd's neuron example: o = tanh(x1*w1 + x2*w2 + b), after backward()."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    total = x1w1 + x2w2
    total.label = "x1*w1 + x2*w2"
    n = total + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, total, n, o)}


def mlp(sizes=(2, 16, 16, 1), seed=0):
    """A hand-built MLP with nn-style scopes (layers.<i>.neurons.<j>) and Parameters, plus a squared loss."""
    rng = random.Random(seed)
    xs = [Value(0.5, "x0"), Value(-1.0, "x1")]
    for layer, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        outs = []
        for j in range(nout):
            with scope(f"layers.{layer}"), scope(f"neurons.{j}"):
                ws = [Parameter(rng.uniform(-1, 1)) for _ in range(nin)]
                act = Parameter(0.0)
                for w, x in zip(ws, xs):
                    act = act + w * x
                outs.append(act.tanh())
        xs = outs
    loss = (xs[0] - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def node_texts(svg: str) -> dict[str, list[str]]:
    """{node or edge title: the texts drawn in it} from Graphviz SVG, standalone or inline (no namespace)."""
    tree = ET.fromstring(svg[svg.index("<svg") : svg.rindex("</svg>") + 6])
    ns = SVG if tree.tag.startswith(SVG) else ""
    found = {}
    for group in tree.iter(f"{ns}g"):
        if group.get("class") not in ("node", "edge"):
            continue
        title = group.find(f"{ns}title").text
        found[title] = ["".join(t.itertext()).strip() for t in group.iter(f"{ns}text")]
    return found


def ids(root):
    return {node: f"n{i}" for i, node in enumerate(topological_order(root))}


def dot_statements(source: str) -> tuple[list[str], list[str]]:
    """The node names and the visible edges of a DOT text (ignoring invisible layout edges)."""
    nodes = [n for n in re.findall(r"^\t(\w+) \[", source, re.M) if n not in ("graph", "node", "edge")]
    edges = [line for line in source.splitlines() if " -> " in line and "invis" not in line]
    return nodes, edges


# --- numbers ---


def test_numbers_have_four_significant_digits_and_a_real_minus():
    assert number(-1.5) == "\u22121.5"
    assert number(0.7071067811865476) == "0.7071"
    assert number(1.0000000000000004) == "1"
    assert number(-0.0) == "0"
    assert number(1e-17) == "1e\u221217"
    assert number(123456.0) == "1.235e5"
    assert number(float("inf")) == "\u221e"
    assert number(float("nan")) == "nan"


def test_array_summaries():
    assert summary(np.array([[1.0, -2.0], [3.0, 4.5]])) == "[[1, \u22122], [3, 4.5]]"
    assert summary(np.arange(10.0)) == "mean 4.5 \u00b7 min 0 \u00b7 max 9"
    assert summary("g @ b\u1d40") == "g @ b\u1d40"
    near_largest = np.full(5, 3e38, np.float32)  # a float32 sum of these overflows; their mean does not
    assert summary(near_largest) == "mean 3e38 \u00b7 min 3e38 \u00b7 max 3e38"


@pytest.mark.parametrize("renderer", RENDERERS)
def test_labels_are_drawn_as_written_backslashes_and_control_characters_included(tmp_path, renderer):
    labels = [r"C:\Graphs", r"\N", "\\", "a\x1bb", "x<&>\"y", "two\nlines", "a\tb", "\ufffe", "\ud800x"]
    shown = [r"C:\Graphs", r"\N", "\\", r"a\x1bb", "x<&>\"y", r"two\nlines", r"a\tb", r"\ufffe", r"\ud800x"]
    for label, expected in zip(labels, shown):
        x = Value(2.0, label=label)
        out = x * 3
        out.backward()
        path = viz.render(out, tmp_path / "label.svg", renderer=renderer)
        texts = [t.text for t in ET.fromstring(path.read_text()).iter("{http://www.w3.org/2000/svg}text")]
        assert expected in texts, (label, texts)


# --- the picture ---


@pytest.mark.parametrize("renderer", RENDERERS)
def test_neuron_svg_shows_every_value_gradient_and_local_gradient(tmp_path, renderer):
    v = neuron()
    o = v["o"]
    path = viz.render(o, tmp_path / "neuron.svg", renderer=renderer)
    assert path == tmp_path / "neuron.svg" and isinstance(path, Path)
    texts = node_texts(path.read_text(encoding="utf-8"))
    name = ids(o)
    expected = {
        "o": ("0.7071", "1"),
        "n": ("0.8814", "0.5"),
        "x1": ("2", "\u22121.5"),
        "w1": ("\u22123", "1"),
        "x2": ("0", "0.5"),
        "w2": ("1", "0"),
        "b": ("6.881", "0.5"),
        "x1*w1": ("\u22126", "0.5"),
    }
    for label, (data, grad) in expected.items():
        drawn = texts[name[v[label]]]
        assert drawn[0] == label
        assert drawn[drawn.index("data") + 1] == data, label
        assert drawn[drawn.index("grad") + 1] == grad, label

    def edge_label(parent, child):
        return texts[f"{name[v[parent]]}->{name[v[child]]}op"]

    assert edge_label("x1", "x1*w1") == ["\u2202 = \u22123"]
    assert edge_label("w1", "x1*w1") == ["\u2202 = 2"]
    assert edge_label("w2", "x2*w2") == ["\u2202 = 0"]
    assert edge_label("n", "o") == ["\u2202 = 0.5"]
    assert texts[f"{name[o]}op"] == ["tanh"]


def test_each_op_is_its_own_node_between_operands_and_result():
    v = neuron()
    o = v["o"]
    nodes, edges = dot_statements(viz.draw_graph(o).source)
    order = topological_order(o)
    ops = [node for node in order if node.parents]
    assert len(nodes) == len(order) + len(ops)
    name = ids(o)
    for node in ops:
        assert any(line.strip().startswith(f"{name[node]}op -> {name[node]}") for line in edges)
        for parent in node.parents:
            assert any(line.strip().startswith(f"{name[parent]} -> {name[node]}op") for line in edges)
    assert len(edges) == len(ops) + sum(len(node.parents) for node in ops)


def test_an_operand_used_twice_by_one_op_gets_two_labelled_edges():
    x = Value(3.0, "x")
    y = x * x
    y.backward()
    _, edges = dot_statements(viz.draw_graph(y).source)
    assert [line.strip() for line in edges if line.strip().startswith("n0 -> n1op")] == [
        "n0 -> n1op [label=<\u2202 = 3> decorate=true]",
        "n0 -> n1op [label=<\u2202 = 3> decorate=true]",
    ]


def test_labels_on_edges_into_one_op_are_tied_to_their_edges():
    v = neuron()
    o = v["o"]
    name = ids(o)
    source = viz.draw_graph(o).source

    def edge(parent, child):
        return re.search(rf"^\t{name[v[parent]]} -> {name[v[child]]}op (.*)$", source, re.M).group(1)

    assert "decorate=true" in edge("x2", "x2*w2") and "decorate=true" in edge("w2", "x2*w2")
    assert "decorate" not in edge("n", "o")  # an op with one operand has one label: nothing to tell apart


def test_switches_hide_local_gradients_and_gradients():
    o = neuron()["o"]
    assert "\u2202 = " in viz.draw_graph(o).source
    assert "\u2202 = " not in viz.draw_graph(o, show_local_grads=False).source
    assert ">grad<" in viz.draw_graph(o).source
    assert ">grad<" not in viz.draw_graph(o, show_grad=False).source


def test_draw_dot_is_micrograds_name_for_draw_graph_and_takes_its_arguments():
    assert viz.draw_dot is viz.draw_graph
    o = neuron()["o"]
    assert viz.draw_dot(o).format == "svg"  # micrograd's default
    png = viz.draw_dot(o, format="png")
    assert png.format == "png" and "rankdir=LR" in png.source
    assert "rankdir=TB" in viz.draw_dot(o, "svg", "TB").source  # micrograd's positional order
    with pytest.raises(ValueError) as error:
        viz.draw_dot(o, format="gif89")
    assert str(error.value) == "format must be a Graphviz output format such as 'svg' or 'png'; got 'gif89'"


@pytest.fixture
def without_system_graphviz(tmp_path, monkeypatch):
    """PATH without Graphviz's `dot` (and no CHAINRULE_DOT): what a machine with nothing but pip looks like."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("CHAINRULE_DOT", raising=False)
    import graphviz

    with pytest.raises(graphviz.ExecutableNotFound):  # a plain Digraph cannot render here
        graphviz.Digraph(format="svg").pipe()
    return tmp_path


def test_the_digraph_displays_in_jupyter_without_system_graphviz(without_system_graphviz):
    from IPython.core import formatters

    digraph = viz.draw_dot(neuron()["o"])
    data, _ = formatters.DisplayFormatter().format(digraph)
    assert "image/svg+xml" in data
    assert ">0.7071<" in data["image/svg+xml"] and ">x1<" in data["image/svg+xml"]
    assert digraph.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert digraph.pipe(encoding="utf-8").lstrip().startswith("<?xml")


def test_the_digraph_renders_like_graphviz_without_system_graphviz(without_system_graphviz):
    folder = without_system_graphviz / "out"
    folder.mkdir()
    o = neuron()["o"]
    rendered = viz.draw_dot(o).render(str(folder / "graph"))  # micrograd's dot.render('graph')
    assert rendered == str(folder / "graph.svg")
    assert ">0.7071<" in (folder / "graph.svg").read_text("utf-8")
    assert (folder / "graph").read_text("utf-8") == viz.draw_dot(o).source  # the DOT source, as graphviz saves it
    png = viz.draw_dot(o, format="png").render(folder / "small", cleanup=True)
    assert Path(png).read_bytes()[:4] == b"\x89PNG" and not (folder / "small").exists()
    assert viz.draw_dot(o).render(outfile=folder / "n.png") == str(folder / "n.png")
    assert (folder / "n.png").read_bytes()[:4] == b"\x89PNG" and (folder / "n.gv").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["graph", "graph.svg", "n.gv", "n.png", "small.png"]


def test_an_op_shows_the_constant_it_keeps_on_the_right_side():
    x = Value(2.0, "x")
    cases = {
        "\u00d7 3": x * 3,
        "+ 3": 3 + x,
        "3 \u2212": 3 - x,
        "\u2212 3": x - 3,
        "1 \u00f7": 1 / x,
        "\u00d7 (\u22122)": x * -2,
        "^2": x**2,
        "2 ^": 2**x,
    }
    for text, out in cases.items():
        source = viz.draw_graph(out).source
        assert f"n1op [label=<{text}>" in source, text
    assert "label=<\u2202 = 3>" in viz.draw_graph(x * 3).source


def test_inputs_parameters_constants_and_the_output_look_different():
    x = Value(1.0, "x")
    w = Parameter(2.0, label="w")
    out = autograd.sum([x * w, 1.0])
    out.backward()
    source = viz.draw_graph(out).source
    lines = {name: line for name, line in re.findall(r"^\t(n\d+) (\[.*)$", source, re.M)}
    order = topological_order(out)
    constant = next(node for node in order if isinstance(node, autograd.Constant))
    looks = {}
    for node, tag in ((x, "input"), (w, "param"), (constant, "const"), (out, "output")):
        line = lines[f"n{order.index(node)}"]
        assert f"> {tag}</FONT>" in line or f">{tag}</FONT>" in line, tag
        looks[tag] = re.search(r'color="(#\w+)"[^\]]*penwidth=([\d.]+)', line).groups()
    assert len(set(looks.values())) == 4
    assert "dashed" in lines[f"n{order.index(constant)}"]
    assert float(looks["output"][1]) > float(looks["input"][1])


def test_gradient_colour_shows_sign_and_size():
    red_big, _ = style.grad_colors(2.0, 2.0)
    red_small, _ = style.grad_colors(0.5, 2.0)
    blue_big, _ = style.grad_colors(-2.0, 2.0)
    assert style.grad_colors(0.0, 2.0)[0] == style.grad_colors(None, 2.0)[0]

    def rgb(color):
        return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))

    assert rgb(red_big)[0] > rgb(red_big)[2] and rgb(blue_big)[2] > rgb(blue_big)[0]
    assert sum(rgb(red_big)) < sum(rgb(red_small))  # deeper for a larger |grad|
    v = neuron()
    source = viz.draw_graph(v["o"]).source
    x1_line = re.search(rf"^\tn{topological_order(v['o']).index(v['x1'])} \[.*$", source, re.M).group(0)
    assert f'BGCOLOR="{blue_big}"' in x1_line  # x1.grad = -1.5 is the largest |grad| of the graph


def test_highlight_takes_a_node_or_several():
    v = neuron()
    o = v["o"]
    name = ids(o)
    one = viz.draw_graph(o, highlight=v["x1"]).source
    assert re.search(rf'^\t{name[v["x1"]]} .*color="{style.HIGHLIGHT}"', one, re.M)
    assert one.count(f'color="{style.HIGHLIGHT}" fillcolor') == 1
    two = viz.draw_graph(o, highlight=[v["x1"], v["b"]]).source
    assert two.count(f'color="{style.HIGHLIGHT}" fillcolor') == 2


def test_bad_rankdir_and_collapse_are_refused_with_the_valid_choices():
    o = neuron()["o"]
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT"):
        viz.draw_graph(o, rankdir="sideways")
    with pytest.raises(ValueError, match=r"collapse must be one of None, 'neuron', 'layer'"):
        viz.draw_graph(o, collapse="neurons")
    assert "rankdir=TB" in viz.draw_graph(o, rankdir="TB").source


@pytest.mark.parametrize("renderer", RENDERERS)
def test_same_graph_same_dot_and_same_svg_bytes(tmp_path, renderer):
    first, second = neuron()["o"], neuron()["o"]
    assert viz.draw_graph(first).source == viz.draw_graph(second).source
    a = viz.render(first, tmp_path / "a.svg", renderer=renderer).read_bytes()
    b = viz.render(second, tmp_path / "b.svg", renderer=renderer).read_bytes()
    assert a == b
    assert re.findall(r"<title>(n\d+)</title>", a.decode())[:3] == ["n0", "n1", "n2"]


# --- large graphs ---


@pytest.mark.slow
def test_full_mlp_graph_has_about_a_thousand_nodes_and_renders(tmp_path):
    loss = mlp()
    count = len(topological_order(loss))
    assert 900 < count < 1100
    path = viz.render(loss, tmp_path / "full.svg", renderer="graphviz-pure")
    assert path.read_text(encoding="utf-8").count('class="node"') > count


def test_collapse_draws_fewer_nodes_and_keeps_inputs_and_loss_ops():
    loss = mlp()
    full, _ = dot_statements(viz.draw_graph(loss).source)
    by_neuron = viz.draw_graph(loss, collapse="neuron").source
    by_layer = viz.draw_graph(loss, collapse="layer").source
    neuron_nodes, _ = dot_statements(by_neuron)
    layer_nodes, layer_edges = dot_statements(by_layer)
    assert len(full) > 1000 > len(neuron_nodes) > len(layer_nodes)
    assert sum(1 for n in neuron_nodes if n.startswith("g")) == 16 + 16 + 1
    assert sum(1 for n in layer_nodes if n.startswith("g")) == 3
    for source in (by_neuron, by_layer):
        assert "<B>x0</B>" in source and "<B>x1</B>" in source and "<B>loss</B>" in source
    assert "<B>layers.1.neurons.3</B>" in by_neuron and "tanh · 17 params · 50 nodes" in by_neuron
    assert "<B>layers.1</B>" in by_layer and "16 neurons · tanh · 272 params" in by_layer
    pairs = [line.split("[")[0].strip() for line in layer_edges]
    assert len(pairs) == len(set(pairs))  # edges between boxes are deduplicated
    assert '"\u00d7256"' in by_layer


@pytest.mark.parametrize("mode", ["neuron", "layer"])
def test_the_legend_names_the_output_when_its_box_holds_it(mode):
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])  # the output neuron's own result: its box has the output's border
    out.backward()
    legend = viz.draw_graph(out, collapse=mode).source.split("label=<<TABLE")[-1]
    assert ">output</TD>" in legend and ">input</TD>" in legend


@pytest.mark.parametrize("mode", ["neuron", "layer"])
def test_collapsed_mlp_renders(tmp_path, mode):
    loss = mlp()
    text = viz.render(loss, tmp_path / f"{mode}.svg", collapse=mode, renderer="graphviz-pure").read_text("utf-8")
    assert "layers.1" in text and "loss" in text


def test_collapse_with_nn_mlp():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    full, _ = dot_statements(viz.draw_graph(loss).source)
    neuron_nodes, _ = dot_statements(viz.draw_graph(loss, collapse="neuron").source)
    by_layer = viz.draw_graph(loss, collapse="layer").source
    layer_nodes, _ = dot_statements(by_layer)
    assert len(full) > len(neuron_nodes) > len(layer_nodes)
    assert sum(1 for n in layer_nodes if n.startswith("g")) == 3
    assert "<B>x0</B>" in by_layer  # an input stays a node even when a module created it


def test_a_layer_box_lists_its_outputs_in_neuron_order_whatever_order_the_loss_uses_them():
    model = nn.MLP(2, [2], seed=1)
    outputs = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    loss = (1 - (outputs[1] - outputs[0])).relu()  # meets neuron 1 first
    loss.backward()
    lines = viz.draw_graph(loss, collapse="layer").source.splitlines()
    box = next(line for line in lines if line.strip().startswith("g0 ["))
    cells = re.findall(r'ALIGN="RIGHT"[^>]*>(?:<FONT[^>]*>)?([^<]*)', box)
    in_neuron_order = [np.array([o.data for o in outputs]), np.array([o.grad for o in outputs])]
    assert cells[:2] == [summary(array) for array in in_neuron_order]
    assert outputs[0].grad == 1.0 and outputs[1].grad == -1.0


@pytest.mark.parametrize("mode", ["neuron", "layer"])
def test_modules_named_by_digits_int_cannot_read_are_drawn(mode):
    class Heads(nn.Module):
        def __init__(self):
            self.heads = {"²": nn.Neuron(2, seed=0), "³": nn.Neuron(2, seed=1)}

        def forward(self, x):
            return [head(x) for head in self.heads.values()]

    heads = Heads()
    a, b = heads([Value(0.5, "x0"), Value(-1.0, "x1")])
    loss = a * b
    loss.backward()
    assert "x0" in viz.draw_graph(loss, collapse=mode).source


def wide_mlp(nin, sizes=(4, 3), seed=0):
    """An nn.MLP with `nin` inputs (leaves x0, x1, ... in no scope), a squared loss, after backward()."""
    model = nn.MLP(nin, list(sizes), seed=seed)
    outputs = model([(i % 7) / 7 - 0.3 for i in range(nin)])
    outputs = outputs if isinstance(outputs, list) else [outputs]
    loss = sum((out - 1.0) ** 2 for out in outputs)
    loss.label = "loss"
    loss.backward()
    return loss


def input_leaves(root):
    return [n for n in topological_order(root) if not n.parents and n.label.startswith("x")]


@pytest.mark.parametrize("mode", ["neuron", "layer"])
def test_collapse_folds_many_inputs_feeding_the_same_boxes_into_one_box(mode):
    loss = wide_mlp(20)
    inputs = input_leaves(loss)
    assert [x.label for x in inputs] == [f"x{i}" for i in range(20)]
    source = viz.draw_graph(loss, collapse=mode).source
    assert source.count("<B>20 inputs</B> \u00b7 x0 \u2026 x19") == 1
    assert not re.search(r"<B>x\d+</B>", source)  # no input is drawn on its own
    box = re.search(r"^\t(g\d+) \[label=<.*?<B>20 inputs</B>.*$", source, re.M)
    line = box.group(0)
    data = np.array([x.data for x in inputs])
    grads = np.array([x.grad for x in inputs])
    assert f">{summary(data)}<" in line and f">{summary(grads)}<" in line
    assert "mean " in summary(grads) and f'color="{style.KINDS["input"].border}"' in line
    fed = [e for e in dot_statements(source)[1] if e.strip().startswith(box.group(1) + " ->")]
    if mode == "layer":
        assert [e.strip() for e in fed] == [f'{box.group(1)} -> g1 [label="\u00d780"]']  # 20 inputs x 4 neurons
    else:
        assert len(fed) == 4 and all('label="\u00d720"' in e for e in fed)  # one merged edge per neuron
    assert "<B>input</B>" not in source and ">input</TD>" in source  # the legend still explains the colour


def test_input_folding_counts_toward_max_nodes_and_renders(tmp_path):
    loss = wide_mlp(30, sizes=(2, 1))
    folded = viz.draw_graph(loss, collapse="layer", max_nodes=12)  # 30 inputs would not fit on their own
    assert "<B>30 inputs</B>" in folded.source
    text = viz.render(loss, tmp_path / "wide.svg", collapse="layer", renderer="graphviz-pure").read_text("utf-8")
    assert "30 inputs" in text and "x0 \u2026 x29" in text and "\u00d760" in text


def test_a_handful_of_inputs_stays_as_separate_boxes():
    eight = viz.draw_graph(wide_mlp(8), collapse="layer").source
    assert "inputs</B>" not in eight
    assert all(f"<B>x{i}</B>" in eight for i in range(8))
    assert "<B>9 inputs</B>" in viz.draw_graph(wide_mlp(9), collapse="layer").source
    assert "inputs</B>" not in viz.draw_graph(wide_mlp(20)).source  # nothing is folded without collapse


def test_only_inputs_that_feed_exactly_the_same_boxes_are_folded_together():
    loss = wide_mlp(12)
    x0 = input_leaves(loss)[0]
    extra = loss + x0 * 2  # x0 now also feeds an op outside every box
    extra.label = "extra"
    extra.backward()
    source = viz.draw_graph(extra, collapse="layer").source
    assert "<B>11 inputs</B> \u00b7 x1 \u2026 x11" in source and "<B>x0</B>" in source


def follow_the_advice(root, message, **kwargs):
    """Draw `root` with every setting a too-many-nodes message suggests; each must work."""
    suggestions = re.findall(r"collapse='(\w+)' \(\d+ nodes\)|max_nodes=(\d+) or more", message)
    assert suggestions, message
    for collapse, max_nodes in suggestions:
        settings = {**kwargs, "collapse": collapse} if collapse else {**kwargs, "max_nodes": int(max_nodes)}
        viz.draw_graph(root, **settings)
    return suggestions


def test_too_many_nodes_says_how_many_and_only_advice_that_works():
    loss = mlp()
    count = len(topological_order(loss))
    with pytest.raises(ValueError) as error:
        viz.draw_graph(loss, max_nodes=500)
    assert str(error.value) == (
        f"the graph has {count} value nodes, more than max_nodes=500; draw it with collapse='neuron' (37 nodes) "
        f"or collapse='layer' (7 nodes), or pass max_nodes={count} or more"
    )
    assert len(follow_the_advice(loss, str(error.value), max_nodes=500)) == 3
    with pytest.raises(ValueError) as error:
        viz.draw_graph(loss, max_nodes=20)
    assert "collapse='neuron'" not in str(error.value)  # 37 boxes and nodes would still be too many
    assert follow_the_advice(loss, str(error.value), max_nodes=20) == [("layer", ""), ("", str(count))]
    with pytest.raises(ValueError) as error:
        viz.draw_graph(loss, max_nodes=20, collapse="neuron")
    assert str(error.value) == (
        "the graph still has 37 nodes to draw with collapse='neuron', more than max_nodes=20; "
        "draw it with collapse='layer' (7 nodes), or pass max_nodes=37 or more"
    )
    follow_the_advice(loss, str(error.value), max_nodes=20, collapse="neuron")


def test_a_long_chain_is_not_told_to_collapse_what_has_no_modules():
    x = Value(1.0, "x")
    for _ in range(3000):
        x = x + 1
    with pytest.raises(ValueError) as error:
        viz.draw_graph(x)
    assert str(error.value) == "the graph has 3001 value nodes, more than max_nodes=2000; pass max_nodes=3001 or more"
    with pytest.raises(ValueError) as error:
        viz.draw_graph(x, collapse="neuron")
    assert str(error.value) == (
        "the graph still has 3001 nodes to draw with collapse='neuron', more than max_nodes=2000; "
        "pass max_nodes=3001 or more"
    )
    follow_the_advice(x, str(error.value), collapse="neuron")


@pytest.mark.parametrize(
    "root, message",
    [
        (3.0, "expected the node a graph ends at (a Value or Tensor), got float"),
        (None, "expected the node a graph ends at (a Value or Tensor), got NoneType"),
        ("y", "expected the node a graph ends at (a Value or Tensor), got str"),
        (
            [Value(2.0) * 3],
            "expected the node a graph ends at (a Value or Tensor), got a list of 1 nodes: "
            "draw one graph at a time, as in draw_graph(nodes[0])",
        ),
    ],
)
def test_something_that_is_not_a_node_is_a_type_error(tmp_path, root, message):
    for draw in (viz.draw_graph, viz.show, lambda r: viz.render(r, tmp_path / "g.svg")):
        with pytest.raises(TypeError) as error:
            draw(root)
        assert str(error.value) == message
    assert list(tmp_path.iterdir()) == []


# --- rendering ---


def test_render_picks_the_format_from_the_suffix(tmp_path):
    o = neuron()["o"]
    png = viz.render(o, tmp_path / "n.png", renderer="graphviz-pure")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = viz.render(o, str(tmp_path / "n.svg"))
    assert svg.read_bytes().lstrip().startswith(b"<?xml") and isinstance(svg, Path)
    assert viz.render(o, tmp_path / "forced.out", format="svg").read_bytes().lstrip().startswith(b"<?xml")
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        viz.render(o, tmp_path / "n.pdf")
    assert not (tmp_path / "n.pdf").exists()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(png.stat().st_mode) == 0o666 & ~mask


def test_renderer_discovery_prefers_system_dot_then_graphviz_pure(monkeypatch):
    pure = viz.renderer.find_graphviz_pure()
    assert pure is not None and Path(pure).name.startswith("graphviz-pure")
    assert Path(pure).parent == Path(sys.executable).parent  # the one pip installed with this package
    monkeypatch.delenv("CHAINRULE_DOT", raising=False)
    monkeypatch.setattr(viz.renderer, "find_dot", lambda: "/usr/bin/dot")
    assert viz.find_renderer() == "/usr/bin/dot"
    monkeypatch.setattr(viz.renderer, "find_dot", lambda: None)
    assert viz.find_renderer() == pure
    monkeypatch.setattr(viz.renderer, "find_dot", lambda: "/usr/bin/dot")
    monkeypatch.setenv("CHAINRULE_DOT", "graphviz-pure")
    assert viz.find_renderer() == pure
    with pytest.raises(ValueError, match="renderer must be one of dot, graphviz-pure"):
        viz.find_renderer("neato")


def test_no_renderer_is_a_runtime_error_naming_both_ways_to_get_one(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAINRULE_DOT", raising=False)
    monkeypatch.setattr(viz.renderer, "find_dot", lambda: None)
    monkeypatch.setattr(viz.renderer, "find_graphviz_pure", lambda: None)
    with pytest.raises(RuntimeError) as error:
        viz.render(neuron()["o"], tmp_path / "n.svg")
    assert "`dot`" in str(error.value) and "pip install graphviz-pure" in str(error.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="pip install graphviz-pure"):
        viz.find_renderer("graphviz-pure")


def test_a_slow_renderer_hits_the_time_limit_and_leaves_no_file(tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 20\n")
    slow.chmod(0o755)
    out = tmp_path / "pictures"
    out.mkdir()
    started = time.monotonic()
    with pytest.raises(TimeoutError) as error:
        viz.render(neuron()["o"], out / "n.svg", renderer=str(slow), timeout=0.5)
    assert time.monotonic() - started < 10
    assert "0.5 s limit" in str(error.value) and "10 nodes" in str(error.value)
    assert list(out.iterdir()) == []


def test_the_time_limit_message_suggests_what_is_left_to_try(tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 20\n")
    slow.chmod(0o755)

    def message(root, **kwargs):
        with pytest.raises(TimeoutError) as error:
            viz.render(root, tmp_path / "g.svg", renderer=str(slow), timeout=0.3, **kwargs)
        return str(error.value)

    loss = mlp()
    plain = message(loss)
    assert "collapse='neuron'" in plain and "collapse='layer'" in plain and "larger timeout" in plain
    by_neuron = message(loss, collapse="neuron")
    assert "collapse='layer'" in by_neuron and "collapse='neuron'" not in by_neuron and "larger timeout" in by_neuron
    by_layer = message(loss, collapse="layer")
    assert "already drawn with collapse='layer'" in by_layer and "smaller graph" in by_layer
    assert "larger timeout" in by_layer and "or collapse=" not in by_layer and "with collapse='neuron'" not in by_layer
    with pytest.raises(TimeoutError) as error:
        viz.backward_steps(neuron()["o"], tmp_path / "s.html", renderer=str(slow), timeout=0.3)
    assert "smaller graph" in str(error.value) and "collapse='" not in str(error.value)
    assert not (tmp_path / "g.svg").exists() and not (tmp_path / "s.html").exists()


def test_a_png_the_renderer_scaled_down_is_said_with_a_warning(tmp_path):
    """dot shrinks a PNG too large for cairo and says so only on stderr; other notes there (fonts) stay quiet."""
    shrinking = tmp_path / "shrinking-dot"
    shrinking.write_text(
        "#!/bin/sh\ncat >/dev/null\n"
        "echo 'Warning: no value for width of non-ASCII character 226. Falling back to width of space' >&2\n"
        "echo 'dot: graph is too large for cairo-renderer bitmaps. Scaling by 0.148105 to fit' >&2\n"
        "printf 'PNG'\n"
    )
    shrinking.chmod(0o755)
    expected = (r"shrinking-dot drew the graph smaller than asked: dot: graph is too large for cairo-renderer "
                r"bitmaps\. Scaling by 0\.148105 to fit; an SVG keeps every detail")
    with pytest.warns(RuntimeWarning, match=expected):
        viz.render(neuron()["o"], tmp_path / "n.png", renderer=str(shrinking))
    quiet = tmp_path / "quiet-dot"
    quiet.write_text("#!/bin/sh\ncat >/dev/null\necho 'Warning: no value for width of non-ASCII character 226' >&2\n"
                     "printf '<svg/>'\n")
    quiet.chmod(0o755)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.render(neuron()["o"], tmp_path / "n.svg", renderer=str(quiet))


def test_a_failing_renderer_is_a_runtime_error_and_leaves_no_file(tmp_path):
    broken = tmp_path / "broken-dot"
    broken.write_text("#!/bin/sh\necho 'Error: something broke' >&2\nexit 3\n")
    broken.chmod(0o755)
    out = tmp_path / "pictures"
    out.mkdir()
    with pytest.raises(RuntimeError, match="something broke"):
        viz.render(neuron()["o"], out / "n.svg", renderer=str(broken))
    assert list(out.iterdir()) == []


def test_collapsed_graphs_are_redrawn_without_merged_edges_if_the_renderer_trips_on_them(tmp_path):
    picky = tmp_path / "picky-dot"
    picky.write_text(
        "#!/bin/sh\n"
        "input=$(cat)\n"
        'case "$input" in *concentrate*) echo "Error: trouble with concentrate" >&2; exit 1;; esac\n'
        f'printf "%s" "$input" | exec "{viz.renderer.find_graphviz_pure()}" "$@"\n'
    )
    picky.chmod(0o755)
    text = viz.render(mlp(), tmp_path / "layer.svg", collapse="layer", renderer=str(picky)).read_text("utf-8")
    assert "layers.1" in text
    with pytest.raises(RuntimeError, match="trouble with concentrate"):
        viz.renderer.run_renderer(viz.draw_graph(mlp(), collapse="layer").source, "svg", renderer=str(picky))


def test_renderer_warnings_do_not_reach_the_user(tmp_path, capfd):
    viz.render(neuron()["o"], tmp_path / "n.svg", renderer="graphviz-pure")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_show_saves_png_as_png_and_svg_as_svg(tmp_path):
    image = viz.show(neuron()["o"], renderer="graphviz-pure")
    assert image.save(tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.save(tmp_path / "g.svg").read_text("utf-8") == image.svg
    assert image.save(tmp_path / "g.picture", format="png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError) as error:
        image.save(tmp_path / "g.pdf")
    pdf = str(tmp_path / "g.pdf")
    assert str(error.value) == f"cannot tell the image format from {pdf!r}: the name must end in .svg or .png"
    with pytest.raises(ValueError) as error:
        viz.GraphImage("<svg></svg>").save(tmp_path / "only.png")
    assert str(error.value) == (
        f"cannot save {str(tmp_path / 'only.png')!r} as PNG: this GraphImage holds only SVG; save it as .svg, "
        f"or draw it with viz.render"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.picture", "g.png", "g.svg"]


def test_a_missing_folder_is_named_before_anything_is_drawn(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("nothing is rendered before the folder is checked")

    monkeypatch.setattr(viz.renderer, "run_renderer", never)
    target = tmp_path / "missing" / "n.svg"
    expected = f"cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist"
    with pytest.raises(FileNotFoundError) as error:
        viz.render(neuron()["o"], target)
    assert str(error.value) == expected
    with pytest.raises(FileNotFoundError) as error:
        viz.GraphImage("<svg></svg>").save(target)
    assert str(error.value) == expected
    assert list(tmp_path.iterdir()) == []


def test_a_picture_under_a_file_says_the_folder_is_not_one(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    target = tmp_path / "notes.txt" / "n.svg"
    with pytest.raises(FileNotFoundError) as error:
        viz.render(neuron()["o"], target)
    assert str(error.value) == f"cannot write {str(target)!r}: the folder {str(target.parent)!r} is not a folder"


def test_render_bytes_takes_svg_or_png_in_any_case_and_names_another_format():
    assert viz.renderer.render_bytes(neuron()["o"], "PNG").startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="format must be one of svg, png; got 'pdf'"):
        viz.renderer.render_bytes(neuron()["o"], "pdf")
    with pytest.raises(TypeError, match="format must be one of svg, png; got NoneType None"):
        viz.renderer.render_bytes(neuron()["o"], None)


def test_an_unwritable_folder_names_the_picture_not_a_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "n.svg"

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    data = viz.renderer.render_bytes(neuron()["o"], "svg")
    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(PermissionError) as error:
        viz.renderer.write_atomic(target, data)
    assert str(error.value) == f"[Errno 13] Permission denied: {str(target)!r}"


def test_a_bad_chainrule_dot_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DOT", "neato")
    with pytest.raises(ValueError) as error:
        viz.render(neuron()["o"], tmp_path / "n.svg")
    assert str(error.value) == (
        "the environment variable CHAINRULE_DOT must be one of dot, graphviz-pure or a path to a program; got 'neato'"
    )


def test_show_displays_inline_in_jupyter_as_svg_only():
    image = viz.show(neuron()["o"], renderer="graphviz-pure")
    assert "<svg" in image._repr_svg_() and "0.7071" in image._repr_svg_()
    assert not hasattr(image, "_repr_html_")  # one copy of the picture per notebook output, not two
    from IPython.core import formatters
    data, _ = formatters.DisplayFormatter().format(image)
    assert sorted(data) == ["image/svg+xml", "text/plain"]  # what Jupyter stores and GitHub shows
    assert "0.7071" in data["image/svg+xml"] and data["text/plain"].startswith("<GraphImage")


def test_inline_svg_drops_prolog_doctype_comments_and_namespaces():
    raw = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n "http://www.w3.org/x.dtd">\n'
        '<!-- Generated -->\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<g id="node1"><a xlink:href="#node1" xlink:title="t"><text>x</text></a></g></svg>'
    )
    text = inline(raw, "s3-")
    assert text.startswith("<svg>") and "http" not in text and "<!--" not in text
    assert 'id="s3-node1"' in text and 'href="#s3-node1"' in text and "xlink" not in text


def test_inline_svg_leaves_a_labels_text_as_written():
    """Only attributes are rewritten: "url(#x)" or "xlink:title=" written in a label stay in the stepper's pages."""
    x = Value(2.0, label='url(#x) xlink:title=a href="#b"')
    out = x * 3
    out.backward()
    text = inline(viz.draw_graph(out).pipe(format="svg").decode(), "s2-")
    assert 'url(#x) xlink:title=a href=&quot;#b&quot;' in text
    assert "s2-x" not in text and "s2-b" not in text and "data-title=a" not in text


def test_a_label_that_is_not_text_is_refused_by_name():
    x = Value(2.0, label="x")
    x.label = 7  # a plain attribute: micrograd's code sets labels so
    expected = r"node labels must be text \(a str\), got int 7 on a leaf: write v.label = '7'"
    with pytest.raises(TypeError, match=expected):
        viz.draw_graph(x * 3)
    y = x * 3
    x.label, y.label = "x", None
    with pytest.raises(TypeError, match=r"got NoneType None on a node of op '\*'"):
        viz.draw_graph(y)


# --- tensors ---


def test_tensor_graphs_draw_shape_dtype_and_summaries(tmp_path):
    a = autograd.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="a")
    w = autograd.Tensor(np.arange(12.0).reshape(2, 6), requires_grad=True, label="w")
    out = ((a @ w) * 3).sum()
    out.label = "out"
    out.backward()
    source = viz.draw_graph(out).source
    assert "(2, 2) float64" in source and "(2, 6) float64" in source
    assert "[[1, 2], [3, 4]]" in source
    assert "mean 5.5 \u00b7 min 0 \u00b7 max 11" in source
    assert "g @ b\u1d40" in source and "a\u1d40 @ g" in source  # the engine's text for a matmul's local gradient
    assert "\u00d7 3" in source
    text = viz.render(out, tmp_path / "t.svg", renderer="graphviz-pure").read_text("utf-8")
    assert "(2, 6) float64" in text
    with pytest.raises(ValueError, match="scalar Value graphs"):
        viz.backward_steps(out, tmp_path / "t.html")
    assert not (tmp_path / "t.html").exists()


# --- the stepper ---


def test_the_stepper_stops_at_60_nodes_by_default_as_its_page_grows_with_their_square(tmp_path):
    node = Value(1.0, label="x")
    for _ in range(60):
        node = node * 1.5
    expected = r"the graph has 61 value nodes; .* stops at max_nodes=60 \(its page grows with the square of the nodes\)"
    with pytest.raises(ValueError, match=expected):
        viz.backward_steps(node, tmp_path / "long.html")
    assert not (tmp_path / "long.html").exists()
    short = Value(1.0, label="x")
    for _ in range(59):
        short = short * 1.5
    assert viz.backward_steps(short, tmp_path / "short.html").stat().st_size < 12_000_000  # about 10 MB


def test_the_stepper_shows_labels_as_written_and_writes_a_label_utf_8_cannot_hold(tmp_path):
    x = Value(2.0, label="x\ud800\x00\x1b")
    out = x * 3
    page = viz.backward_steps(out, tmp_path / "s.html").read_text("utf-8")
    assert "\x00" not in page and "\x1b" not in page
    assert "grad(x\\ud800\\x00\\x1b) = " in page


def test_the_stepper_refuses_a_value_computed_under_no_grad_as_backward_does(tmp_path):
    x = Value(2.0, label="x")
    with autograd.no_grad():
        y = x * 3
    with pytest.raises(RuntimeError, match="backward_steps of a Value that does not require grad: it is a constant"):
        viz.backward_steps(y, tmp_path / "s.html")
    with pytest.raises(RuntimeError, match="backward\\(\\) on a Value that does not require grad"):
        y.backward()
    assert not (tmp_path / "s.html").exists()


def test_steps_match_the_engine_and_explain_the_chain_rule():
    v = neuron()
    o = v["o"]
    steps = compute_steps(o)
    order = topological_order(o)
    assert [s.node for s in steps] == list(reversed(order))
    for step in steps:
        assert step.grad == step.node.grad, step.node.label
    x1 = next(s for s in steps if s.node is v["x1"])
    assert x1.formula == ("grad(x1) = grad(x1*w1) \u00b7 \u2202(x1*w1)/\u2202x1 = 0.5 \u00b7 (\u22123) = \u22121.5")
    assert steps[0].formula == "grad(o) = do/do = 1"
    b = next(s for s in steps if s.node is v["b"])
    assert b.formula == "grad(b) = grad(n) \u00b7 \u2202n/\u2202b = 0.5 \u00b7 1 = 0.5"


def test_a_value_used_twice_gets_one_product_per_use():
    x = Value(3.0, "x")
    y = x * x + x
    y.label = "y"
    y.backward()
    step = next(s for s in compute_steps(y) if s.node is x)
    assert step.grad == x.grad == 7.0
    assert len(step.terms) == 3
    assert "used 3 times" in step.note
    assert step.formula.endswith("= 1 \u00b7 1 + 1 \u00b7 3 + 1 \u00b7 3 = 7")


def test_a_constant_gets_a_step_but_no_gradient():
    x = Value(2.0, "x")
    out = autograd.sum([x, 1.0])
    out.backward()
    steps = compute_steps(out)
    assert len(steps) == 3
    constant = next(s for s in steps if isinstance(s.node, autograd.Constant))
    assert constant.grad is None and "no gradient" in constant.note
    assert next(s for s in steps if s.node is x).grad == x.grad == 1.0


def test_unlabelled_nodes_get_names_that_do_not_clash():
    x = Value(1.0, "v1")
    y = (x * 2).exp()
    names = names_for(topological_order(y))
    assert names[x] == "v1"
    assert sorted(names.values()) == ["v1", "v2", "v3"]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_stepper_page_is_self_contained_with_one_step_per_value_node(tmp_path, renderer):
    v = neuron()
    o = v["o"]
    path = viz.backward_steps(o, tmp_path / "steps.html", renderer=renderer)
    page = path.read_text(encoding="utf-8")
    order = topological_order(o)
    assert page.count('<section class="step"') == len(order) == 10
    assert not re.search(r"https?://", page)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and "xmlns" not in page
    assert page.count("<svg") == len(order)
    for needle in ('id="prev"', 'id="next"', 'type="range"', "ArrowRight", "ArrowLeft", "<script>"):
        assert needle in page
    assert "<script src" not in page and "<link" not in page
    assert "grad(x1) = grad(x1*w1) \u00b7 \u2202(x1*w1)/\u2202x1 = 0.5 \u00b7 (\u22123) = \u22121.5" in page
    sections = page.split('<section class="step"')[1:]
    x1_step = list(reversed(order)).index(v["x1"])
    x1 = ids(o)[v["x1"]]
    for k, section in enumerate(sections):
        drawn = node_texts(section)[x1]
        grad = drawn[drawn.index("grad") + 1 :]
        assert grad == (["\u22121.5"] if k >= x1_step else []), k  # blank until its step
        assert f'id="s{k}-' in section
    assert 'stroke="#ff8c00"' in sections[x1_step]
    boxes = [re.findall(r"<title>(n\d+)</title>\s*<polygon[^>]*points=\"([^\"]*)\"", s) for s in sections]
    assert all(b == boxes[0] for b in boxes)  # the layout stays put from step to step


def test_stepper_refuses_graphs_too_big_to_step_through(tmp_path):
    with pytest.raises(ValueError, match="one picture per node"):
        viz.backward_steps(mlp(), tmp_path / "big.html")
    assert not (tmp_path / "big.html").exists()


def test_a_page_or_picture_named_as_a_folder_is_refused_naming_it(tmp_path):
    folder = tmp_path / "out.svg"
    folder.mkdir()
    root = neuron()["o"]
    root.backward()
    writers = [
        lambda: viz.backward_steps(root, folder),
        lambda: viz.render(root, folder),
        lambda: viz.film(nn.Recorder(nn.MLP(2, [2, 1], seed=0), [[0.0, 1.0]], [0.0], "mse"), folder),
    ]
    for write in writers:
        with pytest.raises(IsADirectoryError, match=re.escape(f"cannot write {str(folder)!r}: it is a folder; give a "
                                                              f"file name")):
            write()
    assert list(folder.iterdir()) == []


def test_a_graph_whose_inputs_changed_after_it_was_built_is_not_drawn(tmp_path):
    w, x = Parameter(2.0, label="w"), Value(3.0, label="x")
    y = w * x
    y.backward()
    nn.SGD([w], lr=0.5).step()  # w is 2 - 0.5 · 3 = 0.5 now; y still holds 6
    message = (r"the graph is out of date: node \(op '\*'\) holds 6.0, but its inputs' numbers now give 1.5, since one "
               r"changed after the graph was built \(an optimizer step, a \.data assignment, an array changed in "
               r"place\); run the forward pass again and draw its new result")
    with pytest.raises(ValueError, match=message):
        viz.draw_graph(y)
    with pytest.raises(ValueError, match="the graph is out of date"):
        viz.backward_steps(y, str(tmp_path / "steps.html"))
    assert not (tmp_path / "steps.html").exists()
    assert "w" in viz.draw_graph(w * x).source  # the forward pass run again draws
    logged = w.log()
    w.data = -1.0
    with pytest.raises(ValueError, match=r"node \(op 'log'\) holds numbers its inputs no longer give: its op now "
                                         r"fails on them \(op 'log' needs a positive number, got -1.0\)"):
        viz.draw_graph(logged)


def test_the_stepper_names_nodes_that_share_a_label_apart():
    y = Value(1.0, label="x") * Value(2.0, label="x")
    order = topological_order(y)
    names = names_for(order)
    assert [names[node] for node in order] == ["x₁", "x₂", "v1"]
    notes = [step.note for step in compute_steps(y)]
    assert any("v1 = x₁ × x₂. x₂ is used once" in note for note in notes), notes
    model = nn.MLP(2, [2, 1], seed=0)
    order = topological_order(model([1.0, 2.0]))
    names = names_for(order)
    assert [names[node] for node in order if node.label == "b"] == ["b₁", "b₂", "b₃"]
    assert len(set(names.values())) == len(order)


def test_a_graph_with_an_op_of_ones_own_is_drawn_though_its_forward_is_random_or_unwritten():
    class Noisy(autograd.Op):
        name = "noisy"

        def forward(self, a):
            return a + random.random()

        def local_grads(self, out, a):
            return (1.0,)

    class Recorded(autograd.Op):  # only ever used through Value.record: no forward written
        name = "recorded"

        def local_grads(self, out, a):
            return (2.0,)

    x = Value(1.0, label="x")
    y = Value.record(Recorded(), 2.0, (Value.apply(Noisy(), x),))
    y.backward()
    assert "noisy" in viz.draw_graph(y).source and "recorded" in viz.draw_graph(y).source
    assert x.grad == 2.0


def test_an_out_of_date_graph_names_both_numbers_in_full():
    w, x = Parameter(3.0, label="w"), Value(1.0, label="x")
    y = w * x
    w.data -= 1e-9
    with pytest.raises(ValueError, match=r"holds 3\.0, but its inputs' numbers now give 2\.999999999,"):
        viz.draw_graph(y)


def test_an_op_of_ones_own_with_a_number_kept_aside_is_not_checked_either():
    class NoisyMul(autograd.Op):
        name = "noisy*"

        def forward(self, a, b):
            return a * b + random.random()

        def local_grads(self, out, a, b):
            return (b, a)

    from chainrule.autograd.scalar_ops import WithConstant

    y = Value.apply(WithConstant(NoisyMul(), 3.0, False), Value(2.0, label="x"))
    assert "noisy" in viz.draw_graph(y).source


@pytest.mark.parametrize(
    ("settings", "kind", "message"),
    [
        ({"show_grad": "no"}, TypeError, "show_grad must be True or False, got 'no'"),
        ({"max_nodes": float("nan")}, TypeError, "max_nodes must be a positive integer, got float nan"),
        ({"max_nodes": "5"}, TypeError, "max_nodes must be a positive integer, got str '5'"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive integer, got 0"),
        ({"rankdir": 3}, TypeError, "rankdir must be one of LR, TB, RL, BT; got int 3"),
        ({"collapse": 1}, TypeError, "collapse must be one of None, 'neuron', 'layer'; got int 1"),
        ({"format": 3}, TypeError, "format must be a Graphviz output format such as 'svg' or 'png'; got int 3"),
        ({"highlight": Value(5.0, label="elsewhere")}, ValueError,
         "highlight: 'elsewhere' is not in the graph drawn (the graph of the root given)"),
        ({"highlight": [1]}, TypeError, "highlight takes a node or a list of nodes (Values or Tensors), got [1]"),
        ({"highlight": True}, TypeError, "highlight takes a node or a list of nodes (Values or Tensors), got True"),
    ],
)
def test_draw_graph_checks_its_settings(settings, kind, message):
    with pytest.raises(kind, match=re.escape(message)):
        viz.draw_graph(Value(1.0, label="v") * 2, **settings)


def test_render_refuses_a_timeout_that_is_no_positive_number(tmp_path):
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds, got 0"):
        viz.render(Value(1.0) * 2, str(tmp_path / "g.svg"), timeout=0)
    with pytest.raises(TypeError, match="timeout must be a positive number of seconds, got str '5'"):
        viz.render(Value(1.0) * 2, str(tmp_path / "g.svg"), timeout="5")
    assert not list(tmp_path.iterdir())


def _tiny_recorder() -> nn.Recorder:
    return nn.Recorder(nn.MLP(2, [1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0], "mse")


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda o, d: viz.render(o, d / "a.svg", renderer=3), TypeError,
         "renderer must be one of dot, graphviz-pure, a path to a program, or None; got int 3"),
        (lambda o, d: viz.render(o, d / "a.svg", renderer=""), ValueError,
         "renderer must be one of dot, graphviz-pure, a path to a program, or None; got ''"),
        (lambda o, d: viz.render(o, d / "a.svg", colour="red"), TypeError,
         "render() got an unexpected keyword argument 'colour'; the drawing takes rankdir, show_grad, "),
        (lambda o, d: viz.show(o, size=3), TypeError, "show() got an unexpected keyword argument 'size'"),
        (lambda o, d: viz.render(o, d / "a.svg", format=3), TypeError, "format must be one of svg, png; got int 3"),
        (lambda o, d: viz.render(o, d, renderer="graphviz-pure"), IsADirectoryError,
         "it is a folder; give a file name"),
        (lambda o, d: viz.render(o, f"{d}/pic.svg/", renderer="graphviz-pure"), ValueError,
         "pic.svg/': it names a folder, not a file; give a file name"),
        (lambda o, d: viz.render(o, "", format="svg", renderer="graphviz-pure"), ValueError,
         "cannot write '': the path is empty; give a file name"),
        (lambda o, d: viz.backward_steps(o, d / "steps.svg"), ValueError,
         "backward_steps writes an HTML page: the name must end in .html, got "),
        (lambda o, d: viz.film(_tiny_recorder(), d / "film.png"),
         ValueError, "viz.film writes an HTML page: the name must end in .html, got "),
        (lambda o, d: viz.film(_tiny_recorder()).save(d / "f.svg"),
         ValueError, "Film.save writes an HTML page: the name must end in .html, got "),
        (lambda o, d: viz.backward_steps(o, d / "steps.html", max_nodes="3"), TypeError,
         "max_nodes must be a positive integer, got str '3'"),
        (lambda o, d: viz.backward_steps(o, d / "steps.html", max_nodes=0), ValueError,
         "max_nodes must be a positive integer, got 0"),
    ],
)
def test_drawing_functions_name_a_bad_argument_and_write_nothing(tmp_path, call, kind, message):
    with pytest.raises(kind, match=re.escape(message)):
        call(Value(2.0, label="x") * 3, tmp_path)
    assert not list(tmp_path.iterdir())


def test_an_upper_case_format_is_read_as_the_lower_case_one(tmp_path):
    path = viz.render(Value(2.0, label="x") * 3, tmp_path / "g.picture", format="SVG", renderer="graphviz-pure")
    assert path.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_a_films_title_must_be_text():
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match="Recorder: title must be a str, got int 5"):
        nn.Recorder(model, [[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0], "mse", title=5)
    recording = nn.Recorder(model, [[0.0, 1.0], [1.0, 0.0]], [0.0, 1.0], "mse").recording
    with pytest.raises(TypeError, match=r"viz\.film: title must be a str \(or None\), got int 5"):
        viz.film(recording, title=5)


def test_the_stepper_refuses_what_is_no_node(tmp_path):
    with pytest.raises(TypeError, match=r"expected the node a graph ends at \(a Value or Tensor\), got int"):
        viz.backward_steps(1, str(tmp_path / "steps.html"))
    assert not list(tmp_path.iterdir())


def every_tensor_op(dtype):
    """A loss through every op of the NumPy backend, with constants on either side, and its leaves."""
    from chainrule.autograd import Tensor, tensor_ops

    rng = np.random.default_rng(3)
    x = Tensor(rng.uniform(0.5, 1.5, (4, 3)), dtype=dtype, label="x", requires_grad=True)
    w = Tensor(rng.normal(size=(2, 3)), dtype=dtype, label="w", is_parameter=True)
    b = Tensor(rng.normal(size=2), dtype=dtype, label="b", is_parameter=True)
    c = np.asarray(rng.uniform(0.5, 1.5, (3, 3)), dtype=dtype)
    mixed = (x + 1.0) * (2.0 - x) / (x + 3.0) - x / 2.0 + (-x) ** 2 + 2.0 ** x + x ** (x * 0.5) + 1.5 / x
    product = mixed @ c + (c @ mixed.T.reshape(3, 4)).T + x.T.T[0:4, :] @ Tensor(c, dtype=dtype)
    shaped = (product / 30.0).exp().log().tanh().sigmoid().relu()
    picked = shaped[np.array([0, 2])].sum(axis=0) + shaped.mean(axis=1).max() + x.max(axis=0, keepdims=True)[0]
    layer = Tensor.apply(tensor_ops.Linear(tensor_ops.ReLU()), (x, w, b), x.data, w.data, b.data)
    bare = Tensor.apply(tensor_ops.Linear(), (x, w), x.data, w.data)
    logits = (layer + bare).softmax(axis=1) + (layer - bare).log_softmax(axis=0) + picked[:2]
    labels = nn.losses.cross_entropy(logits, [0, 1, 1, 0])
    rows = nn.losses.cross_entropy(logits * 2.0, np.eye(2)[[1, 0, 0, 1]])
    return labels + rows, (x, w, b)


def test_the_cross_entropy_edge_names_the_targets_its_gradient_subtracts():
    rows = np.array([[0.2, 0.3, 0.5]])
    for target, text in (([2], "(softmax - onehot) / N"), (rows, "(softmax · Σrows - rows) / N")):
        z = autograd.Tensor([[1.0, 2.0, 0.5]], requires_grad=True)
        loss = nn.losses.cross_entropy(z, target)
        loss.backward()
        assert f"∂ = {text}" in viz.draw_graph(loss).source
    softmax = np.exp(z.data) / np.exp(z.data).sum()
    np.testing.assert_allclose(z.grad, softmax * rows.sum() - rows, rtol=1e-6)  # float32, N = 1


def saved_by(fn):
    """What a tensor op keeps for its backward pass, by identity (an activation inside `Linear` too)."""
    if fn is None:
        return ()
    slots = [name for cls in type(fn).__mro__ for name in getattr(cls, "__slots__", ())]
    values = [getattr(fn, name, None) for name in slots]
    return tuple(saved_by(v) if hasattr(v, "recompute") else id(v) for v in values)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_tensor_op_run_again_gives_its_data_and_leaves_the_graph_as_it_was(dtype):
    loss, leaves = every_tensor_op(dtype)
    order = topological_order(loss)
    ops = {node.op for node in order if node.parents}
    assert len(ops) >= 22, sorted(ops)
    for node in order:
        np.testing.assert_array_equal(node.recomputed(), node.data, err_msg=node.op)
    loss.backward()
    before = [leaf.grad.copy() for leaf in leaves]
    kept = [saved_by(node._fn) for node in order]
    viz.draw_graph(loss)  # runs every op again, on copies of the ops
    assert [saved_by(node._fn) for node in order] == kept
    for leaf in leaves:
        leaf.zero_grad()
    loss.backward()  # the ops' saved arrays are as they were: the same gradients
    for leaf, grad in zip(leaves, before):
        np.testing.assert_array_equal(leaf.grad, grad)


def test_a_tensor_graph_whose_weights_changed_after_it_was_built_is_not_drawn():
    model = nn.MLP(2, [3, 2], seed=0, backend="numpy", dtype="float64")
    X, y = np.array([[0.0, 1.0], [1.0, 0.5]]), np.array([0, 1])
    loss = nn.losses.cross_entropy(model(X), y)
    loss.backward()
    viz.draw_graph(loss)
    nn.SGD(model.parameters(), lr=0.5).step()  # moves the weights in place; the graph keeps its old results
    message = (r"the graph is out of date: node \(op 'relu∘linear' in layers.0\) holds [-0-9.e]+ at \(\d+, \d+\), but "
               r"its inputs' numbers now give [-0-9.e]+ there, since one changed after the graph was built")
    with pytest.raises(ValueError, match=message):
        viz.draw_graph(loss)
    fresh = nn.losses.cross_entropy(model(X), y)
    viz.draw_graph(fresh)
    model.layers[1].bias.data = model.layers[1].bias.data + 1.0  # a new array: the op still holds the old one
    with pytest.raises(ValueError, match=r"node \(op 'linear' in layers.1\) holds .* at \(0, 0\)"):
        viz.draw_graph(fresh)
    model.layers[0].weight.data = np.zeros((5, 5))
    failing = (r"node \(op 'relu∘linear' in layers.0\) holds numbers its inputs no longer give: its op now fails on "
               r"them \(op 'linear': inputs \(2, 2\) do not fit weight \(5, 5\) and bias \(3,\)\), since one changed")
    with pytest.raises(ValueError, match=failing):
        viz.draw_graph(fresh)


def test_a_tensor_op_of_ones_own_is_not_run_again():
    from chainrule.autograd import Tensor, tensor_ops

    class Shift(tensor_ops.Function):
        name = "shift"

        def forward(self, a):
            return a + random.random()

        def vjp(self, grad, needs):
            return (grad,)

        def local_grads(self):
            return (1.0,)

    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    y = Tensor.apply(Shift(), (x,), x.data)
    assert y.recomputed() is None
    x.data += 5.0
    assert "shift" in viz.draw_graph(y).source


def test_a_small_entry_that_changed_beside_a_large_one_is_caught_and_a_float32_one_shown_as_float32():
    """A stale softmax whose smallest entry moved 0.3% (visible at four digits) next to one near 1."""
    from chainrule.autograd import Tensor

    z = Tensor([10.0, 0.0, -2.0, 1.0], dtype="float64", requires_grad=True, is_parameter=True)
    p = z.softmax()
    z.data -= [0.0, 0.0, 0.0, 3e-3]
    with pytest.raises(ValueError, match=r"node \(op 'softmax'\) holds 0.000123388\d* at \(3,\), but its inputs' "
                                         r"numbers now give 0.000123018\d* there"):
        viz.draw_graph(p)
    w = Tensor(0.1, dtype="float32", requires_grad=True, is_parameter=True)
    tripled = w * 3.0
    w.data += 1.0  # 0-d: no entry to name; float32: as short as float32 prints, not 0.30000001192092896
    with pytest.raises(ValueError, match=r"node \(op '\*'\) holds 0.3, but its inputs' numbers now give 3.3000002, "):
        viz.draw_graph(tripled)


def test_a_user_activation_inside_a_linear_op_is_not_run_again_and_bare_numbers_as_data_are_caught():
    from chainrule.autograd import Tensor, tensor_ops

    class Noisy(tensor_ops.ElementwiseUnary):
        __slots__ = ()
        name = "noisy"

        def compute(self, a):
            return a + random.random()

        def local(self):
            return 1.0

    x = Tensor(np.ones((2, 3)))
    w = Tensor(np.ones((2, 3)), requires_grad=True, is_parameter=True)
    y = Tensor.apply(tensor_ops.Linear(Noisy()), (x, w), x.data, w.data)
    assert y.recomputed() is None and "noisy" in viz.draw_graph(y).source
    model = nn.MLP(4, [3, 2], seed=0, backend="numpy")
    loss = nn.losses.cross_entropy(model(np.ones((2, 4))), [0, 1])
    model.layers[0].bias.data = 0.0  # a bare number: the op now fails on it
    with pytest.raises(ValueError, match=r"node \(op 'relu∘linear' in layers.0\) holds numbers its inputs no longer "
                                         r"give: its op now fails on them"):
        viz.draw_graph(loss)


def test_a_graph_too_big_to_draw_is_refused_before_it_is_run_again(monkeypatch):
    from chainrule.autograd import Tensor

    node = Tensor(np.ones(3), requires_grad=True)
    for _ in range(30):
        node = node * 1.5
    monkeypatch.setattr(Tensor, "recomputed", lambda self: pytest.fail("ran the graph again"))
    with pytest.raises(ValueError, match="value nodes"):
        viz.draw_graph(node, max_nodes=10)


def test_a_picture_or_page_path_that_is_no_str_or_pathlike_is_named():
    y = Value(2.0, label="x") * 3.0
    y.backward()
    recorder = nn.Recorder(nn.MLP(2, [2, 1], seed=0), [[0.0, 1.0]], [0.0], "mse")
    writers = (lambda: viz.render(y, 5), lambda: viz.backward_steps(y, b"steps.html"), lambda: viz.film(recorder, 7))
    for write in writers:
        with pytest.raises(TypeError, match=r"a file path must be a str or a pathlib.Path, got (int 5|int 7|bytes "
                                            r"b'steps.html')$"):
            write()


def test_pages_check_their_folder_before_they_are_made(tmp_path, monkeypatch):
    import importlib

    film_module = importlib.import_module("chainrule.viz.film")  # the module, not the function viz.film
    steps_module = importlib.import_module("chainrule.viz.steps")

    monkeypatch.setattr(film_module, "_payload", lambda *args: pytest.fail("made the film first"))
    monkeypatch.setattr(steps_module, "steps_html", lambda *args, **kwargs: pytest.fail("drew the steps first"))
    recorder = nn.Recorder(nn.MLP(2, [2, 1], seed=0), [[0.0, 1.0]], [0.0], "mse")
    missing = tmp_path / "missing" / "page.html"
    with pytest.raises(FileNotFoundError, match="the folder .* does not exist"):
        viz.film(recorder, missing)
    with pytest.raises(FileNotFoundError, match="the folder .* does not exist"):
        viz.backward_steps(Value(2.0) * 3.0, missing)


def test_a_graph_whose_changed_input_left_every_result_as_it_was_is_not_drawn_either():
    a, b = Value(3.0, "a"), Value(0.0, "b")
    p = a * b
    p.backward()
    a.data = 5.0  # p is still 0, but the edge b -> * would show 5 while b's gradient, 3, came from a = 3
    with pytest.raises(ValueError, match=r"the graph is out of date: 'a' was 3\.0 at the previous backward pass "
                                         r"through this graph and is 5\.0 now; run the forward pass again"):
        viz.draw_graph(p)
    a.data = 3.0
    assert "∂ = 3" in viz.draw_graph(p).source  # back as it was: drawn, with b's local derivative a = 3


def test_a_tensor_graph_whose_weight_a_step_changed_without_changing_a_result_is_not_drawn():
    a = autograd.Tensor(np.zeros(2), requires_grad=True, label="a")
    w = autograd.Tensor(np.array([3.0, 1.0]), requires_grad=True, is_parameter=True, label="w")
    y = (a * w).sum()
    y.backward()
    nn.SGD([w], lr=0.5, weight_decay=1.0).step()  # w -> [1.5, 0.5]; a * w is still 0
    with pytest.raises(ValueError, match=r"the graph is out of date: an optimizer step changed 'w' in place after op "
                                         r"'\*' read it"):
        viz.draw_graph(y)


@pytest.mark.parametrize("max_nodes", [5, 1000])
def test_the_stepper_refuses_a_tensor_graph_before_any_other_advice(tmp_path, max_nodes):
    x = autograd.Tensor(np.ones((3, 2)), requires_grad=True)
    total = ((x * 2).exp() + x).sum()  # more nodes than 5
    with autograd.no_grad():
        constant = x * 2
    for root in (total, constant):
        with pytest.raises(ValueError, match="backward_steps draws scalar Value graphs; this graph holds Tensors"):
            viz.backward_steps(root, tmp_path / "steps.html", max_nodes=max_nodes)
        with pytest.raises(ValueError, match="backward_steps draws scalar Value graphs"):
            compute_steps(root)
    assert not list(tmp_path.iterdir())


def test_a_steps_note_names_the_operand_it_explains_among_many():
    neuron = nn.Neuron(3, "linear", seed=0)
    x = [Value(v, f"x{i}") for i, v in enumerate([1.0, 2.0, 3.0])]
    out = neuron(x)
    out.label = "out"
    for step in compute_steps(out):
        if step.node in x or step.node in neuron.w or step.node is neuron.b:
            name = step.node.label or names_for(topological_order(out))[step.node]
            operands = step.note.split("(", 1)[1].split(")", 1)[0].split(", ")
            assert name in operands, step.note


def test_a_label_too_long_for_dot_is_drawn_shortened_by_both_renderers(tmp_path):
    for label in ("A" * 17_000, "&" * 3_300):
        o = Value(2.0, label) * 3
        for renderer in ("dot", "graphviz-pure"):
            if renderer == "dot" and shutil.which("dot") is None:
                continue
            svg = viz.render(o, tmp_path / "long.svg", renderer=renderer).read_text(encoding="utf-8")
            shown = max(ET.fromstring(svg).itertext(), key=len)
            assert shown == label[:250] + "\u2026" + label[-249:]


def test_a_format_graphviz_pure_cannot_write_is_refused_naming_the_ones_it_can(without_system_graphviz):
    digraph = viz.draw_dot(neuron()["o"], format="pdf")
    message = "format 'pdf' needs Graphviz's `dot` (install Graphviz so that it is on PATH): graphviz-pure, the " \
              "renderer found here, writes canon, dot"
    with pytest.raises(ValueError, match=re.escape(message)):
        digraph.pipe()
    assert digraph.pipe(format="svg").lstrip().startswith(b"<")


def test_summaries_give_the_mean_of_numbers_whose_sum_overflows_and_nan_for_both_infinities_quietly():
    import warnings

    from chainrule.viz.style import signal

    huge = autograd.Tensor(np.full(5, 1e308), requires_grad=True)
    assert summary(huge.data) == "mean 1e308 \u00b7 min 1e308 \u00b7 max 1e308"
    assert signal(np.full(5, 1e308)) == pytest.approx(1e308)
    largest = np.finfo(np.float64).max
    assert summary(np.full(11, largest)) == "mean 1.798e308 \u00b7 min 1.798e308 \u00b7 max 1.798e308"
    both = np.array([np.inf, -np.inf, 1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert summary(both) == "mean nan \u00b7 min \u2212\u221e \u00b7 max \u221e"
        assert signal(both) is None
        viz.draw_graph(autograd.Tensor(both, requires_grad=True).sum())


def test_collapse_layer_draws_a_layer_called_on_its_own_as_one_box():
    layer = nn.Layer(3, 4, seed=0)
    out = autograd.sum(layer([Value(1.0, "x0"), Value(2.0, "x1"), Value(3.0, "x2")]))
    out.backward()
    boxes = [n for n in dot_statements(viz.draw_graph(out, collapse="layer").source)[0] if n.startswith("g")]
    assert len(boxes) == 1 and "<B>layer</B>" in viz.draw_graph(out, collapse="layer").source
    neurons = [n for n in dot_statements(viz.draw_graph(out, collapse="neuron").source)[0] if n.startswith("g")]
    assert len(neurons) == 4


def test_a_scope_name_too_long_for_dot_is_drawn_shortened(tmp_path):
    name = "layer&" * 3000
    with autograd.scope(name):
        out = Value(2.0, "x") * 3
    renderers = ["graphviz-pure"] + (["dot"] if shutil.which("dot") else [])
    for renderer in renderers:
        svg = viz.render(out, tmp_path / "scope.svg", renderer=renderer, collapse="layer").read_text(encoding="utf-8")
        assert name[:250] + "\u2026" + name[-249:] in "".join(ET.fromstring(svg).itertext())


def test_a_picture_is_not_written_over_a_write_protected_file_and_takes_the_longest_names(tmp_path, write_protect):
    kept = tmp_path / "graph.svg"
    kept.write_bytes(b"kept")
    write_protect(kept)
    with pytest.raises(PermissionError, match=re.escape(f"[Errno 13] Permission denied: {str(kept)!r}")):
        viz.render(Value(2.0, "x") * 3, kept, renderer="graphviz-pure")
    assert kept.read_bytes() == b"kept" and sorted(p.name for p in tmp_path.iterdir()) == ["graph.svg"]
    longest = tmp_path / ("g" * 251 + ".svg")  # 255 bytes
    assert viz.render(Value(2.0, "x") * 3, longest, renderer="graphviz-pure").read_text().lstrip().startswith("<")
    page = tmp_path / ("f" * 250 + ".html")
    viz.film(_tiny_recorder()).save(page)
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_render_to_an_outfile_that_is_the_source_is_refused_unless_asked_and_the_picture_is_kept(tmp_path):
    o = neuron()["o"]
    same = tmp_path / "same.gv"
    with pytest.raises(ValueError, match=r"outfile 'same.gv' must be different from input file 'same.gv' \(pass "
                                         r"overwrite_source=True to override\)"):
        viz.draw_dot(o).render(outfile=same, cleanup=True)
    assert list(tmp_path.iterdir()) == []
    rendered = viz.draw_dot(o).render(outfile=same, cleanup=True, overwrite_source=True)
    assert rendered == str(same) and "bb=" in same.read_text("utf-8")  # the laid-out graph, not the plain source
    with pytest.raises(ValueError, match="overwrite_source cannot be combined with raise_if_result_exists"):
        viz.draw_dot(o).render(outfile=tmp_path / "n.svg", overwrite_source=True, raise_if_result_exists=True)


def test_a_path_given_as_renderer_is_the_program_there_even_when_named_as_one_on_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("mydot", "dot"):
        (tmp_path / name).write_text("#!/bin/sh\nexit 1\n")
        (tmp_path / name).chmod(0o755)
        assert viz.find_renderer(Path(name)) == str(tmp_path / name)
        assert viz.find_renderer(f"./{name}") == str(tmp_path / name)
    with pytest.raises(RuntimeError, match="renderer 'missing' is not an executable file"):
        viz.find_renderer(Path("missing"))


def test_a_time_limit_on_a_graph_made_outside_modules_does_not_suggest_collapsing_it(tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 20\n")
    slow.chmod(0o755)
    x = Value(0.5, label="x")
    y = x
    for _ in range(5):
        y = y * x
    y.backward()
    for draw in (lambda: viz.render(y, tmp_path / "y.svg", renderer=str(slow), timeout=0.3),
                 lambda: viz.render(y, tmp_path / "y.svg", renderer=str(slow), timeout=0.3, collapse="neuron")):
        with pytest.raises(TimeoutError) as error:
            draw()
        assert "collapse= would merge nothing" in str(error.value) and "collapse='" not in str(error.value)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_the_cap_on_placement_passes_leaves_an_ordinary_graph_as_it_was(renderer):
    """Placement passes are capped (``nslimit``) so that one value feeding many ops does not take minutes to
    lay out; a network's graph needs fewer passes than the cap and is drawn as without it."""
    source = viz.draw_dot(mlp(sizes=(2, 4, 4, 1))).source
    assert "nslimit=5" in source
    uncapped = source.replace("nslimit=5", "")
    capped_svg = viz.renderer.run_renderer(source, "svg", renderer=renderer)
    assert capped_svg == viz.renderer.run_renderer(uncapped, "svg", renderer=renderer)


def test_an_op_whose_name_is_no_text_is_named_when_drawn(tmp_path):
    class Double(autograd.Op):
        name = 2

        def forward(self, a):
            return 2 * a

        def local_grads(self, out, a):
            return (2.0,)

    y = Value.record(Double(), 2.0, (Value(1.0, label="x"),))
    y.backward()
    message = r"op names must be text \(a str\), got int 2 as the name of an op"
    with pytest.raises(TypeError, match=message):
        viz.draw_graph(y)
    with pytest.raises(TypeError, match=message):
        viz.backward_steps(y, tmp_path / "s.html")
    assert not (tmp_path / "s.html").exists()


def test_a_powers_exponent_is_drawn_as_every_other_number():
    from chainrule.viz.text import op_text

    x = Value(2.0, label="x")
    shown = [op_text(x**exponent) for exponent in (2, 1e-5, 2**0.5, float("inf"), -1, -2.5)]
    assert shown == ["^2", "^1e\u22125", "^1.414", "^\u221e", "^\u22121", "^\u22122.5"]


def test_a_path_holding_a_nul_character_is_named():
    expected = "a file path cannot hold a NUL character ('\\0'), got 'a\\x00.svg'"
    with pytest.raises(ValueError, match=re.escape(expected)):
        viz.render(neuron()["o"], "a\0.svg")
    with pytest.raises(ValueError, match="a file path cannot hold a NUL character"):
        nn.MLP(2, [1]).save("m\0.npz")
