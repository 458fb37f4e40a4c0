"""Graphviz SVG made fit to sit inside an HTML page: no XML prolog, DOCTYPE, comments, namespaces or URLs."""

from __future__ import annotations

import re

_PROLOG = re.compile(r"<\?xml.*?\?>\s*", re.DOTALL)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\s*", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
# Each pattern ends in an attribute's opening quote, which a label's text never holds (it is written &quot;):
# "url(#x)" or "xlink:title=" written in a label stay as written.
_XLINK = re.compile(r'\bxlink:(\w+)="')
_ID = re.compile(r'\bid="([^"]*)"')
_REF = re.compile(r'(="url\(#|\bhref="#)')


def inline(svg: str, id_prefix: str = "") -> str:
    """`svg` as an inline ``<svg>`` element for HTML5, which needs no namespace declarations.

    `id_prefix` keeps element ids unique when a page holds several pictures.
    """
    text = _PROLOG.sub("", svg)
    text = _DOCTYPE.sub("", text)
    text = _COMMENT.sub("", text)
    text = _NAMESPACE.sub("", text)
    text = _XLINK.sub(lambda m: 'href="' if m.group(1) == "href" else f'data-{m.group(1)}="', text)
    if id_prefix:
        text = _ID.sub(lambda m: f'id="{id_prefix}{m.group(1)}"', text)
        text = _REF.sub(lambda m: m.group(1) + id_prefix, text)
    return text.strip()
