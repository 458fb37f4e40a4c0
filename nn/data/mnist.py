"""MNIST: the four standard IDX files, checked and parsed into NumPy arrays.

`load_mnist` finds the files in a folder (``root``, else ``$CHAINRULE_DATA/mnist``,
else ``~/.cache/chainrule/mnist``), downloads the missing ones from public mirrors
when allowed, and returns float32 pixels in [0, 1] and int64 labels.

Why so careful for a teaching library: a model trained on a silently damaged
dataset gives plausible but wrong numbers, which is the worst kind of bug to
show a student. So every file, downloaded or not, goes through the same gate
before a single pixel is returned:

1. gzip decoding (``.gz`` files), so a non-gzip or cut-off archive is named as such;
2. the IDX header: magic number, dimensions, and a payload exactly as long as the
   header says, so a truncated or wrong file is reported as "truncated" or
   "wrong magic" rather than as an opaque checksum failure;
3. the SHA-256 of the decompressed IDX bytes against the published table, so a
   file that is structurally fine but modified (one flipped pixel) never loads.

The decompressed bytes are hashed and then parsed in place (no second
decompression, no on-disk cache besides the original files).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import numbers
import os
import struct
import sys
import threading
import urllib.request
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..files import file_path, write_atomic
from ..init import check_flag
from ..progress import ProgressBar

__all__ = ["ENV_VAR", "MIRRORS", "load_mnist"]

ENV_VAR = "CHAINRULE_DATA"
"""Environment variable naming a data folder; MNIST is looked for in its ``mnist`` subfolder."""

MIRRORS: Sequence[str] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
"""Base URLs tried in order for each missing file (``base + "train-images-idx3-ubyte.gz"``).

Read at call time, so assigning a new list to ``nn.data.mnist.MIRRORS`` (or passing
``mirrors=`` to `load_mnist`) redirects downloads, e.g. to a local server in tests.
Any scheme urllib understands works, including ``file://``.
"""

DEFAULT_TIMEOUT = 30.0
"""Seconds a download may wait for the connection or for the next chunk of data."""

_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_LABEL_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_IMAGE_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions


@dataclass(frozen=True)
class _IDXFile:
    """One of the four MNIST files: its name (without ``.gz``), header and checksum."""

    name: str
    magic: int
    shape: tuple[int, ...]
    sha256: str  # of the decompressed IDX bytes, header included

    @property
    def gz_name(self) -> str:
        return self.name + ".gz"

    @property
    def kind(self) -> str:
        return "labels" if self.magic == _LABEL_MAGIC else "images"


TRAINING_IMAGES = 60000
"""How many images MNIST's training set has."""

# From ../shared/data/mnist/README.md; identical to the original IDX files on the mirrors.
_TRAIN_IMAGES = _IDXFile(
    "train-images-idx3-ubyte",
    _IMAGE_MAGIC,
    (TRAINING_IMAGES, 28, 28),
    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
)
_TRAIN_LABELS = _IDXFile(
    "train-labels-idx1-ubyte",
    _LABEL_MAGIC,
    (TRAINING_IMAGES,),
    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
)
_TEST_IMAGES = _IDXFile(
    "t10k-images-idx3-ubyte",
    _IMAGE_MAGIC,
    (10000, 28, 28),
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
)
_TEST_LABELS = _IDXFile(
    "t10k-labels-idx1-ubyte",
    _LABEL_MAGIC,
    (10000,),
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
)
# Smallest first: a damaged small file is reported before 47 MB of pixels are decompressed.
_FILES = (_TRAIN_LABELS, _TEST_LABELS, _TEST_IMAGES, _TRAIN_IMAGES)
_STANDARD_ORDER = (_TRAIN_IMAGES, _TRAIN_LABELS, _TEST_IMAGES, _TEST_LABELS)


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    flatten: bool = True,
    *,
    mirrors: Sequence[str] | None = None,
    progress: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]:
    """Load MNIST as ``(X_train, y_train, X_test, y_test)``.

    Pixels are float32 in [0, 1] (``k / 255``), of shape (60000, 784) and (10000, 784),
    or (N, 28, 28) with ``flatten=False``; labels are int64 digits 0-9.

    Args:
        root: folder holding the four files. Default: ``$CHAINRULE_DATA/mnist`` when that
            variable is set, else ``~/.cache/chainrule/mnist``.
        download: fetch missing files from `MIRRORS` (never replaces a file that exists).
        flatten: return each image as a row of 784 pixels instead of a 28x28 array.
        mirrors: base URLs to try in order instead of the module-level `MIRRORS`.
        progress: show a tqdm bar while downloading; None (default) shows it only on a TTY.
        timeout: seconds to wait for a connection or for more data from a mirror.

    Each file may be gzip-compressed (``train-images-idx3-ubyte.gz``, as on the mirrors)
    or plain IDX (the same name without ``.gz``); if both exist the ``.gz`` one is used.

    Raises:
        FileNotFoundError: files are missing and ``download=False``, or no mirror delivered
            a valid copy (the message lists the folder, the four file names, what each
            mirror answered, and the `CHAINRULE_DATA` variable).
        ValueError: a file is not valid gzip, is truncated, has the wrong IDX header, or
            its decompressed SHA-256 differs from the published one. The file is left
            alone: delete it (and allow downloading) to fetch a fresh copy. Also for an empty
            ``root`` string, which would read as the working folder.
        NotADirectoryError: the folder cannot exist, as a file stands where it or a folder above it
            would be (``$CHAINRULE_DATA`` naming a file, say).
        TypeError: ``mirrors`` is a single string or anything but a sequence of URL strings,
            ``timeout`` is not a number (ValueError if it is not positive, or too large for a socket), or ``download``,
            ``flatten`` or ``progress`` is not True or False (or None for ``progress``).
    """
    if isinstance(mirrors, (str, bytes)):
        raise TypeError(f"mirrors must be a sequence of base URLs, not a single string: {mirrors!r}")
    if mirrors is not None and not isinstance(mirrors, Iterable):
        raise TypeError(f"mirrors must be a sequence of base URLs, got {type(mirrors).__name__} {mirrors!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a number of seconds, got {timeout!r}")
    if not 0 < timeout <= threading.TIMEOUT_MAX:  # beyond it the socket raises an OverflowError naming no timeout
        raise ValueError(
            f"timeout must be a positive number of seconds up to {threading.TIMEOUT_MAX:g}, got {timeout!r}"
        )
    check_flag("download", download)
    check_flag("flatten", flatten)
    if progress is not None:
        check_flag("progress", progress)
    mirrors = None if mirrors is None else list(mirrors)
    if mirrors is not None and not all(isinstance(base, str) for base in mirrors):
        raise TypeError(f"mirrors must be base URLs (strings), got {mirrors!r}")
    folder = _resolve_folder(root)
    blocking = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if blocking is not None and not blocking.is_dir():
        source = f" (from ${ENV_VAR})" if root is None and os.environ.get(ENV_VAR) else ""
        raise NotADirectoryError(f"MNIST's folder {folder}{source} cannot exist: {blocking} is a file, not a folder")

    payloads: dict[str, bytes] = {}
    found: dict[str, Path] = {}
    missing: list[_IDXFile] = []
    for spec in _FILES:
        path = _find(folder, spec)
        if path is None:
            missing.append(spec)
        else:
            found[spec.name] = path
    base = os.environ.get(ENV_VAR)
    if missing and root is None and base and all(_find(folder.parent, spec) for spec in missing):
        fix = (f"set {ENV_VAR}={folder.parent.parent}" if folder.parent.name == "mnist" else
               f"move them into {folder}")
        raise FileNotFoundError(  # rather than download them again into the mnist/ subfolder
            f"MNIST's files are in ${ENV_VAR} itself ({folder.parent}), but are read from its mnist/ subfolder: {fix}"
        )
    for spec in missing:
        for name in (spec.gz_name, spec.name):
            if (folder / name).is_dir():
                raise IsADirectoryError(f"{folder / name} is a folder, not MNIST's file {name}: move it away")
    if missing:
        if not download:
            names = ", ".join(spec.gz_name for spec in _STANDARD_ORDER if spec in missing)
            raise FileNotFoundError(f"MNIST files missing in {folder}: {names} (download=False). {_where_hint(folder)}")
        urls = list(MIRRORS if mirrors is None else mirrors)
        for spec in missing:
            payloads[spec.name] = _download(spec, folder, urls, progress=progress, timeout=timeout)

    for spec in _FILES:
        if spec.name not in payloads:
            path = found[spec.name]
            payloads[spec.name] = _verify(path.read_bytes(), spec, str(path), gzipped=path.suffix == ".gz")

    train_images = _images(payloads.pop(_TRAIN_IMAGES.name), flatten)
    train_labels = _labels(payloads.pop(_TRAIN_LABELS.name))
    test_images = _images(payloads.pop(_TEST_IMAGES.name), flatten)
    test_labels = _labels(payloads.pop(_TEST_LABELS.name))
    return train_images, train_labels, test_images, test_labels


# --------------------------------------------------------------------------- locating


def _resolve_folder(root: str | os.PathLike[str] | None) -> Path:
    """``root``, else ``$CHAINRULE_DATA/mnist``, else ``~/.cache/chainrule/mnist`` (``~`` expanded)."""
    if isinstance(root, str) and not root:  # an unset setting, say: Path("") would be the working folder
        raise ValueError(
            "root is an empty string: pass MNIST's folder ('.' for the working one), or None for the default"
        )
    if root is not None:
        return _expanded(file_path(root), f"root {str(root)!r}")
    base = os.environ.get(ENV_VAR)
    if base:
        return _expanded(Path(base), f"${ENV_VAR} ({base!r})") / "mnist"
    return Path.home() / ".cache" / "chainrule" / "mnist"


def _expanded(path: Path, what: str) -> Path:
    """`path` with ``~`` expanded; ValueError naming `what` for a ``~user`` of no user. (`file_path` names a NUL
    byte in a root given; no environment variable can hold one.)"""
    try:
        return path.expanduser()
    except RuntimeError:  # pathlib's "Could not determine home directory."
        raise ValueError(f"{what} starts with {path.parts[0]!r}, the home of no user on this machine") from None


def _find(folder: Path, spec: _IDXFile) -> Path | None:
    """The file on disk for ``spec``: the ``.gz`` one if present, else the plain IDX one."""
    for name in (spec.gz_name, spec.name):
        path = folder / name
        if path.is_file():
            return path
    return None


def _where_hint(folder: Path) -> str:
    """How to make the files available: the part every "not found" message shares."""
    names = ", ".join(spec.gz_name for spec in _STANDARD_ORDER)
    return (
        f"MNIST needs the four files {names} (or the same names without .gz, un-gzipped) in {folder}. "
        f"Copy them there, or set the environment variable {ENV_VAR} to a folder whose mnist/ subfolder holds them."
    )


# --------------------------------------------------------------------------- checking


def _verify(data: bytes, spec: _IDXFile, source: str, *, gzipped: bool) -> bytes:
    """The IDX bytes of ``data`` once they pass every check, else a ValueError naming ``source``.

    Structure first (gzip stream, magic number, dimensions, exact length), then the
    checksum, so the message says what is actually wrong with a damaged file.
    """
    payload = _gunzip(data, source) if gzipped else data
    if not gzipped and payload[:2] == _GZIP_MAGIC:
        raise ValueError(f"{source} is gzip-compressed but its name has no .gz: rename it to {spec.gz_name}")
    _check_structure(payload, spec, source)
    actual = hashlib.sha256(payload).hexdigest()
    if actual != spec.sha256:
        raise ValueError(
            f"{source} is not the original MNIST {spec.name}: the SHA-256 of its decompressed contents is "
            f"{actual}, expected {spec.sha256}. The file was modified or damaged; delete it to download a fresh copy."
        )
    return payload


def _gunzip(data: bytes, source: str) -> bytes:
    """Decompress a gzip file, turning the several ways gzip can fail into one ValueError."""
    if data[:2] != _GZIP_MAGIC:
        hint = ""
        if len(data) >= 4 and int.from_bytes(data[:4], "big") in (_LABEL_MAGIC, _IMAGE_MAGIC):
            hint = " (it looks like un-gzipped IDX: drop the .gz from its name)"
        raise ValueError(f"{source} is not a gzip file: it starts with {data[:4].hex() or 'nothing'}, not 1f8b{hint}")
    try:
        return gzip.decompress(data)
    except EOFError as error:
        raise ValueError(f"{source} is truncated: the gzip stream ends early ({error})") from error
    except (gzip.BadGzipFile, zlib.error) as error:
        raise ValueError(f"{source} is a corrupt gzip file: {error}") from error


def _check_structure(payload: bytes, spec: _IDXFile, source: str) -> None:
    """Check the IDX header (magic, dimensions) and that the data is exactly as long as it declares."""
    if len(payload) < 4:
        raise ValueError(f"{source} is truncated: {len(payload)} bytes, too short for an IDX header")
    magic = int.from_bytes(payload[:4], "big")
    if magic != spec.magic:
        raise ValueError(
            f"{source} has the wrong magic number {magic} (0x{magic:08x}): expected {spec.magic} "
            f"(0x{spec.magic:08x}) for IDX {spec.kind}"
        )
    header = 4 + 4 * len(spec.shape)
    if len(payload) < header:
        raise ValueError(f"{source} is truncated: {len(payload)} bytes, the IDX header alone takes {header}")
    shape = struct.unpack(f">{len(spec.shape)}I", payload[4:header])
    if shape != spec.shape:
        raise ValueError(f"{source} declares {spec.kind} of shape {shape}, expected {spec.shape} for {spec.name}")
    expected = header + math.prod(shape)
    if len(payload) < expected:
        raise ValueError(
            f"{source} is truncated: {len(payload)} bytes, expected {expected} for {spec.kind} of shape {shape}"
        )
    if len(payload) > expected:
        raise ValueError(
            f"{source} has {len(payload) - expected} unexpected bytes after the {expected} that "
            f"{spec.kind} of shape {shape} take"
        )


# --------------------------------------------------------------------------- parsing


def _images(payload: bytes, flatten: bool) -> NDArray[np.float32]:
    """Pixels k / 255 as float32: one pass from the (read-only) bytes into a fresh array."""
    count, rows, cols = struct.unpack(">3I", payload[4:16])
    pixels = np.frombuffer(payload, dtype=np.uint8, offset=16)
    pixels = pixels.reshape((count, rows * cols) if flatten else (count, rows, cols))
    out = np.empty(pixels.shape, dtype=np.float32)
    np.divide(pixels, np.float32(255), out=out)  # exact k/255, so 0 -> 0.0 and 255 -> 1.0
    return out


def _labels(payload: bytes) -> NDArray[np.int64]:
    """Labels as int64 (what indexing and cross-entropy expect)."""
    return np.frombuffer(payload, dtype=np.uint8, offset=8).astype(np.int64)


# --------------------------------------------------------------------------- downloading


def _download(spec: _IDXFile, folder: Path, mirrors: Sequence[str], *, progress: bool | None, timeout: float) -> bytes:
    """Fetch ``spec`` from the first mirror that delivers a valid copy; return its IDX bytes.

    The whole response is received and verified in memory before anything is written, so
    a broken connection or a bad copy never reaches the disk; a good copy is then written
    to a temporary file in ``folder`` and renamed into place (`nn.files.write_atomic`).
    Errors writing to ``folder`` (permissions, full disk) are not mirror failures and
    propagate at once.
    """
    failures: list[str] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + spec.gz_name
        try:
            data = _fetch(url, progress=progress, timeout=timeout)
            # Mirrors serve gzip, but a server that decompressed it on the fly still sent valid IDX.
            gzipped = data[:4] != spec.magic.to_bytes(4, "big")
            payload = _verify(data, spec, url, gzipped=gzipped)
        except (OSError, http.client.HTTPException, ValueError) as error:
            failures.append(f"  - {url}: {type(error).__name__}: {error}")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / (spec.gz_name if gzipped else spec.name), data)
        return payload
    tried = "\n".join(failures) if failures else "  (no mirrors configured: mirrors is empty)"
    raise FileNotFoundError(
        f"could not download {spec.gz_name} into {folder}; every mirror failed:\n{tried}\n{_where_hint(folder)}"
    )


def _fetch(url: str, *, progress: bool | None, timeout: float) -> bytes:
    """The body of ``url``, checked against Content-Length (urllib does not notice a short body)."""
    request = urllib.request.Request(url, headers={"User-Agent": "chainrule-mnist-loader (urllib)"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        header = response.headers.get("Content-Length")
        length = int(header) if header and header.strip().isdigit() else None
        chunks: list[bytes] = []
        received = 0
        # None: tqdm hides itself off a TTY; a closed stderr (2>&-) has no bar to show
        disable = True if sys.stderr is None else None if progress is None else not progress
        name = url.rsplit("/", 1)[-1]
        with ProgressBar(total=length, desc=name, unit="B", unit_scale=True, unit_divisor=1024, disable=disable) as bar:
            while chunk := response.read(_CHUNK):
                chunks.append(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if length is not None and received != length:
        raise ConnectionError(f"download interrupted: received {received} of {length} bytes")
    return b"".join(chunks)
