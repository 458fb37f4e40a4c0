"""Writing a file all or nothing: a temporary file beside it, renamed into place, with a plain ``open()``'s permissions.

`viz` keeps a small writer of its own (`viz.renderer.write_atomic`): `nn` and `viz` do not
import each other, and writing files is no job for `autograd`, the one package both build on.
"""

from __future__ import annotations

import math
import os
import reprlib
import secrets
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_END_RECORD = b"PK\x05\x06"  # a zip archive's end of central directory record, 22 bytes and a comment


def file_path(path: object) -> Path:
    """`path` as a Path; TypeError naming it for anything but a str or an os.PathLike (pathlib's own message
    names neither the value nor what it should have been)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"a file path must be a str or a pathlib.Path, got {type(path).__name__} {reprlib.repr(path)}")
    if "\0" in str(os.fspath(path)):  # the system's own error, "embedded null byte", names no path
        raise ValueError(f"a file path cannot hold a NUL character ('\\0'), got {os.fspath(path)!r}")
    return Path(path)


def named_file(path: object, action: str) -> Path:
    """`path` as a Path, once its last part is known to name a file: a path ending in a separator, "." or ".."
    names a folder (IsADirectoryError if there is one, else ValueError), which pathlib would quietly drop:
    ``Path("runs/")`` is ``Path("runs")``. `action` says what was to be done ("write", "load")."""
    target = file_path(path)
    text = os.fspath(path)
    if not text:
        raise ValueError(f"cannot {action} '': the path is empty; give a file name")
    if os.path.basename(text) in ("", ".", ".."):
        error = IsADirectoryError if target.is_dir() else ValueError
        raise error(f"cannot {action} {text!r}: it names a folder, not a file; give a file name")
    return target


def check_folder(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path, once the folder it goes into is known to exist (else FileNotFoundError naming the folder)
    and `path` is known not to be a folder itself (IsADirectoryError, or ValueError for a name ending in a
    separator)."""
    target = named_file(path, "write")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {str(target)!r}: it is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(f"cannot write {str(target)!r}: the folder {str(folder)!r} {what}")
    return target


def write_atomic(path: str | os.PathLike[str], contents: bytes | Callable[[BinaryIO], object]) -> Path:
    """Write `contents` (bytes, or a function writing to a binary stream) to a temporary file in `path`'s
    folder, then rename it to `path`.

    Readers see no file or the whole one; any failure, Ctrl-C included, removes the temporary
    file, and an error names `path`, never the temporary file. A new file gets the permissions
    ``open(path, "w")`` would give (the user's umask applies); an existing one keeps its own, and a
    symbolic link stays a link to the file written.
    """
    target = check_folder(path)
    written = Path(os.path.realpath(target)) if target.is_symlink() else target  # through a link, as open() writes
    try:
        mode = written.stat().st_mode & 0o777
    except OSError:
        mode = None
    if mode is not None and not os.access(written, os.W_OK):  # os.replace needs only the folder's permission
        try:  # the error open() would give: a protected file's, a read-only file system's
            os.close(os.open(written, os.O_WRONLY))
        except OSError as error:
            raise _naming(error, target) from None
    temporary = written.with_name(f".chainrule-{secrets.token_hex(8)}.tmp")  # short: any name that fits, fits
    try:
        descriptor = os.open(temporary, _FLAGS, 0o666)  # the umask applies, as for open()
    except OSError as error:
        raise _naming(error, target) from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            if isinstance(contents, bytes):
                stream.write(contents)
            else:
                contents(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, written)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename is not None:
            raise _naming(error, target) from None
        raise
    return target


def npz_path(path: str | os.PathLike[str]) -> Path:
    """Where `save_npz` writes `path`: as given when it ends in ``.npz`` (any case), else with ``.npz`` added."""
    target = file_path(path)
    return target if target.suffix.lower() == ".npz" else target.with_name(target.name + ".npz")


def save_npz(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], what: str) -> Path:
    """Write `arrays` (a model's or an optimizer's state dict, `what` it is) to an ``.npz`` file with
    `write_atomic`, adding ``.npz`` to a name without it; returns the path written."""
    if named_file(path, f"save the {what} to").is_dir():
        raise IsADirectoryError(f"cannot save the {what} to {str(path)!r}: it is a folder; give a file name")
    target = npz_path(path)
    check_folder(target)
    return write_atomic(target, lambda stream: _write_npz(stream, arrays))


def _write_npz(stream: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """`arrays` as the ``.npz`` archive ``np.savez`` writes, whatever their names: savez would take a key
    ``file`` or ``allow_pickle`` for its own argument (the one an error, the other lost without a word)."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def declared_members(path: Path) -> int | None:
    """How many members the zip archive at `path` says it holds in its end record, or None if it cannot tell.

    A damaged central directory can hide members from `zipfile`, which lists what it could read and never
    compares the count with this one."""
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        stream.seek(max(0, stream.tell() - 22 - 0xFFFF))  # the record and the longest comment it may have
        tail = stream.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < 22:
        return None
    total = int.from_bytes(tail[at + 10 : at + 12], "little")
    return None if total == 0xFFFF else total  # 0xFFFF: the count is in a zip64 record


def claims_more_than_it_holds(path: Path) -> bool:
    """Whether a member of the .npz at `path` has a header claiming more numbers than its bytes hold: a damaged or
    crafted file, which NumPy would try to allocate room for (terabytes, from a few hundred bytes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = read_header(member)
                    if math.prod(shape) * dtype.itemsize > _most_bytes(info, path) - member.tell():
                        return True
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError):
        return True  # not an npz NumPy reads either
    return False


def _most_bytes(info: zipfile.ZipInfo, path: Path) -> int:
    """The most bytes a zip member can unpack to: what its directory says, bounded by what its compressed bytes can
    give (a directory is easily forged; deflate packs at most 1032 bytes into one, storing packs none)."""
    packed = min(info.compress_size, path.stat().st_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return min(info.file_size, packed)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return min(info.file_size, 1032 * packed + 1032)
    return info.file_size


def _naming(error: OSError, target: Path) -> OSError:
    """The same error about `target` instead of the temporary file."""
    return type(error)(error.errno, error.strerror, str(target))
