"""The `chainrule` command line: it sits on top of `autograd`, `nn` and `viz`."""

__version__ = "0.1.0"
