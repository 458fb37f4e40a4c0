"""Finding a Graphviz renderer and running it: system `dot` if present, else the pip-installed `graphviz-pure`.

Rendering is a subprocess with a time limit, so a huge graph fails with a clear message
instead of hanging; its stderr (graphviz-pure's font warnings) is kept away from the user.
"""

from __future__ import annotations

import math
import numbers
import os
import reprlib
import secrets
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any

RENDERERS = ("dot", "graphviz-pure")
FORMATS = {".svg": "svg", ".png": "png"}
ENV_VAR = "CHAINRULE_DOT"
DEFAULT_TIMEOUT = 60.0
PNG_DPI = 144
LARGE = 300
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _exe(name: str) -> str:
    return name + ".exe" if os.name == "nt" else name


PURE_FORMATS = (
    "canon", "dot", "dot_json", "gv", "jpe", "jpeg", "jpg", "json", "json0", "plain", "plain-ext", "png", "svg",
    "xdot", "xdot1.2", "xdot1.4", "xdot_json",
)
"""The output formats graphviz-pure writes (no pdf, gif or ps, which need Graphviz's own `dot`)."""


def find_graphviz_pure() -> str | None:
    """The `graphviz-pure` installed with this package (next to the interpreter), else one on PATH."""
    folders = [Path(sys.executable).parent]
    scripts = sysconfig.get_path("scripts")
    if scripts:
        folders.append(Path(scripts))
    for folder in folders:
        candidate = folder / _exe("graphviz-pure")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("graphviz-pure")


def find_dot() -> str | None:
    """The system Graphviz `dot` on PATH, if any."""
    return shutil.which("dot")


def find_renderer(renderer: str | None = None) -> str:
    """The renderer program to run: `renderer`, else $CHAINRULE_DOT, else `dot`, else `graphviz-pure`.

    `renderer` is "dot", "graphviz-pure" or a path to a dot-compatible program (a `Path` is always one:
    ``Path("./dot")`` is the program in this folder, which pathlib shows as ``dot``).
    """
    given_path = isinstance(renderer, os.PathLike)
    if renderer is not None:
        if not isinstance(renderer, (str, os.PathLike)):
            raise TypeError(
                f"renderer must be one of {', '.join(RENDERERS)}, a path to a program, or None; got "
                f"{type(renderer).__name__} {renderer!r}"
            )
        renderer = os.fspath(renderer)
        if not renderer:
            raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, a path to a program, or None; got ''")
    choice = renderer or os.environ.get(ENV_VAR) or None
    if choice is None:
        found = find_dot() or find_graphviz_pure()
        if found is None:
            raise RuntimeError(
                "no Graphviz renderer found: install Graphviz so that `dot` is on PATH "
                "(apt install graphviz, brew install graphviz, ...), or `pip install graphviz-pure`"
            )
        return found
    if given_path:
        return _program_at(choice)
    if choice == "dot":
        found = find_dot()
        if found is None:
            raise RuntimeError("renderer 'dot' asked for, but Graphviz's `dot` is not on PATH: install Graphviz")
        return found
    if choice == "graphviz-pure":
        found = find_graphviz_pure()
        if found is None:
            raise RuntimeError("renderer 'graphviz-pure' asked for, but it is not installed: pip install graphviz-pure")
        return found
    if os.sep in choice or (os.altsep and os.altsep in choice):
        return _program_at(choice)
    if renderer is None:
        raise ValueError(
            f"the environment variable {ENV_VAR} must be one of {', '.join(RENDERERS)} or a path to a program; "
            f"got {choice!r}"
        )
    raise ValueError(f"renderer must be one of {', '.join(RENDERERS)}, a path to a program, or None; got {choice!r}")


def _program_at(path: str) -> str:
    """`path` to a renderer program, made absolute (a bare name would be looked up on PATH when run)."""
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(f"renderer {path!r} is not an executable file")
    return os.path.abspath(path)


def timeout_advice(collapse: str | None, made_in_modules: bool = True) -> str:
    """What to try when drawing a graph with this `collapse` took too long: the next coarser drawing, if any
    (none for a graph with no value `made_in_modules`: collapsing merges only what nn's modules made)."""
    if not made_in_modules:
        return (
            "pass a larger timeout, or draw a smaller graph (no value here was made inside an nn module, so "
            "collapse= would merge nothing; a value that feeds many ops gives many long edges, slow to lay out)"
        )
    if collapse is None:
        return "pass a larger timeout, or draw it with collapse='neuron' or collapse='layer'"
    if collapse == "neuron":
        return "pass a larger timeout, or draw it with collapse='layer' (one box per layer)"
    return (
        f"it is already drawn with collapse={collapse!r}, the coarsest there is: pass a larger timeout, "
        f"or draw a smaller graph (fewer or narrower layers, fewer samples)"
    )


def run_renderer(
    source: str,
    fmt: str,
    *,
    renderer: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    nodes: int = 0,
    advice: str | None = None,
) -> bytes:
    """`source` (DOT text) rendered to `fmt` ("svg" or "png") by the chosen renderer, within `timeout` seconds.

    `advice` ends the message of the TimeoutError raised when the time runs out (by default,
    to pass a larger timeout or to collapse the graph).
    """
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a positive number of seconds, got {type(timeout).__name__} {timeout!r}")
    if not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    program = find_renderer(renderer)
    if Path(program).name.startswith("graphviz-pure") and fmt not in PURE_FORMATS:
        raise ValueError(
            f"format {fmt!r} needs Graphviz's `dot` (install Graphviz so that it is on PATH): graphviz-pure, the "
            f"renderer found here, writes {', '.join(PURE_FORMATS)}"
        )
    command = [program, f"-T{fmt}"]
    if fmt == "png":
        command.append(f"-Gdpi={PNG_DPI if nodes <= LARGE else 72}")
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"rendering a graph of {nodes} nodes with {Path(program).name} took longer than the {timeout:g} s limit; "
            f"{advice or timeout_advice(None)}"
        ) from None
    except OSError as error:
        raise RuntimeError(f"could not run the renderer {program}: {error}") from None
    if done.returncode != 0 or not done.stdout:
        errors = [
            line.strip()
            for line in done.stderr.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.lstrip().startswith("Warning")
        ]
        detail = errors[0] if errors else f"exit status {done.returncode}"
        raise RuntimeError(f"{Path(program).name} failed to render the graph: {detail}")
    shrunk = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if "scaling" in line.lower()]
    if shrunk:  # dot scales a PNG too large for cairo down to fit, and says so only on stderr (other notes are noise)
        warnings.warn(
            f"{Path(program).name} drew the graph smaller than asked: {shrunk[0]}; an SVG keeps every detail",
            RuntimeWarning,
            stacklevel=2,
        )
    return done.stdout


def format_of(path: str | os.PathLike[str], format: str | None = None) -> str:  # noqa: A002 - the documented name
    """The image format, "svg" or "png": `format` if given, else the one the file's suffix names."""
    if format is not None:
        return check_format(format)
    suffix = file_path(path).suffix.lower()
    if suffix not in FORMATS:
        wanted = " or ".join(FORMATS)
        raise ValueError(f"cannot tell the image format from {str(path)!r}: the name must end in {wanted}")
    return FORMATS[suffix]


def check_format(format: object) -> str:  # noqa: A002 - the documented name
    """`format` in lower case if it names an image format chainrule writes ("svg" or "png", any case)."""
    if not isinstance(format, str):
        raise TypeError(f"format must be one of {', '.join(FORMATS.values())}; got {type(format).__name__} {format!r}")
    if format.lower() not in FORMATS.values():
        raise ValueError(f"format must be one of {', '.join(FORMATS.values())}; got {format!r}")
    return format.lower()


def file_path(path: object) -> Path:
    """`path` as a Path; TypeError naming it for anything but a str or an os.PathLike (as `nn.files.file_path`:
    `viz` and `nn` do not import each other)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"a file path must be a str or a pathlib.Path, got {type(path).__name__} {reprlib.repr(path)}")
    if "\0" in str(os.fspath(path)):  # the system's own error, "embedded null byte", names no path
        raise ValueError(f"a file path cannot hold a NUL character ('\\0'), got {os.fspath(path)!r}")
    return Path(path)


def check_folder(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path, once the folder it goes into is known to exist (else FileNotFoundError naming the folder)
    and `path` is known not to be a folder itself (IsADirectoryError; ValueError for a name ending in a separator,
    which pathlib would quietly drop, as `nn.files.named_file` refuses it)."""
    target = file_path(path)
    text = os.fspath(path)
    if not text:
        raise ValueError("cannot write '': the path is empty; give a file name")
    if os.path.basename(text) in ("", ".", "..") and not target.is_dir():
        raise ValueError(f"cannot write {text!r}: it names a folder, not a file; give a file name")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {str(target)!r}: it is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(f"cannot write {str(target)!r}: the folder {str(folder)!r} {what}")
    return target


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder, so a failure leaves no file.

    A new file gets the permissions ``open(path, "w")`` would give (the user's umask applies), an
    existing one keeps its own, a symbolic link stays a link to the file written, and an error names
    `path`, never the temporary file. (`nn` has
    the same small writer in `nn.files`: viz and nn do not import each other.)
    """
    target = check_folder(path)
    written = Path(os.path.realpath(target)) if target.is_symlink() else target  # through a link, as open() writes
    try:
        mode = written.stat().st_mode & 0o777
    except OSError:
        mode = None
    try:
        if mode is not None and not os.access(written, os.W_OK):  # os.replace needs only the folder's permission
            os.close(os.open(written, os.O_WRONLY))  # the error open() would give, if any
        temporary = written.with_name(f".chainrule-{secrets.token_hex(8)}.tmp")  # short: any name that fits, fits
        descriptor = os.open(temporary, _NEW_FILE, 0o666)  # the umask applies, as for open()
    except OSError as error:
        raise type(error)(error.errno, error.strerror, str(target)) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, written)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename is not None:
            raise type(error)(error.errno, error.strerror, str(target)) from None
        raise
    return target


def render_bytes(
    root: Any, fmt: str = "svg", *, renderer: str | None = None, timeout: float = DEFAULT_TIMEOUT, **draw_kwargs: Any
) -> bytes:
    """The picture of `root`'s graph as SVG or PNG bytes (`draw_kwargs` go to `draw_graph`)."""
    from .dot import build, check_draw_options  # dot's Digraph renders through this module: imported when needed

    fmt = check_format(fmt)
    check_draw_options("render_bytes", draw_kwargs)
    drawing = build(root, **draw_kwargs)
    return render_drawing(drawing, fmt, renderer=renderer, timeout=timeout, advice=drawing.digraph.advice)


def render_drawing(
    drawing: Any, fmt: str, *, renderer: str | None = None, timeout: float = DEFAULT_TIMEOUT, advice: str | None = None
) -> bytes:
    """A built drawing (`dot.build`) rendered to `fmt`.

    Merged edges (``concentrate``) are drawn one by one if the renderer trips on them.
    """
    digraph = drawing.digraph
    try:
        return run_renderer(digraph.source, fmt, renderer=renderer, timeout=timeout, nodes=drawing.nodes, advice=advice)
    except RuntimeError:
        if digraph.graph_attr.get("concentrate") != "true":
            raise
        del digraph.graph_attr["concentrate"]  # merged edges trip some Graphviz versions: draw them one by one
        return run_renderer(digraph.source, fmt, renderer=renderer, timeout=timeout, nodes=drawing.nodes, advice=advice)


def render(
    root: Any,
    path: str | os.PathLike[str],
    format: str | None = None,  # noqa: A002 - the documented name
    *,
    renderer: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    **draw_kwargs: Any,
) -> Path:
    """Draw `root`'s graph into `path` (SVG or PNG, from the suffix unless `format` is given); returns the path.

    `renderer` forces "dot" or "graphviz-pure"; a missing folder is reported before anything is
    drawn, and nothing is created if drawing or rendering fails.
    """
    from .dot import check_draw_options

    check_draw_options("render", draw_kwargs)
    check_folder(path)
    fmt = format_of(path, format)
    data = render_bytes(root, fmt, renderer=renderer, timeout=timeout, **draw_kwargs)
    return write_atomic(path, data)
