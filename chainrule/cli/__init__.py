"""The `chainrule` command line: it sits on top of `chainrule.autograd`, `chainrule.nn` and `chainrule.viz`."""

from .main import main

__all__ = ["main"]
