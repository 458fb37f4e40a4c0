"""Pictures of backpropagation: the computational graph with data, gradients and local derivatives.

`draw_graph` (alias `draw_dot`, with micrograd's arguments) builds the picture as a
`PortableDigraph` (a `graphviz.Digraph` that renders without system Graphviz), `render`
writes it as SVG or PNG, `show` displays it in Jupyter and `backward_steps` writes an HTML
page that walks through the backward pass one chain-rule step at a time.
"""

from .digraph import PortableDigraph
from .dot import draw_dot, draw_graph
from .jupyter import GraphImage, show
from .renderer import find_renderer, render
from .steps import backward_steps

__all__ = [
    "GraphImage",
    "PortableDigraph",
    "backward_steps",
    "draw_dot",
    "draw_graph",
    "find_renderer",
    "render",
    "show",
]
