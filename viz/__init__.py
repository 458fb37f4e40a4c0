"""Pictures of backpropagation: the computational graph with data, gradients and local derivatives.

`draw_graph` (alias `draw_dot`, with micrograd's arguments) builds the picture as a
`PortableDigraph` (a `graphviz.Digraph` that renders without system Graphviz), `render`
writes it as SVG or PNG, `show` displays it in Jupyter and `backward_steps` writes an HTML
page that walks through the backward pass one chain-rule step at a time. `film` plays a
training run recorded by `chainrule.nn.Recorder` as one self-contained HTML page (inline in
Jupyter).
"""

from .digraph import PortableDigraph
from .dot import draw_dot, draw_graph
from .film import Film, film
from .jupyter import GraphImage, show
from .renderer import find_renderer, render
from .steps import backward_steps

__all__ = [
    "Film",
    "GraphImage",
    "PortableDigraph",
    "backward_steps",
    "draw_dot",
    "draw_graph",
    "film",
    "find_renderer",
    "render",
    "show",
]
