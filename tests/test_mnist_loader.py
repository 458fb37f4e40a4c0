"""nn.data.load_mnist: parsing the shared copy, rejecting damaged files, downloading from mirrors.

The real files come from $CHAINRULE_DATA/mnist (conftest.py defaults it to ../shared/data).
Downloads only ever talk to http.server instances on 127.0.0.1 started here.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import re
import shutil
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pytest

from chainrule.nn.data import load_mnist
from chainrule.nn.data import mnist as mnist_module

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
GZ_NAMES = tuple(name + ".gz" for name in NAMES)
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_LABELS_SHA = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
TEST_IMAGES_SHA = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def shared_dir() -> Path:
    """The shared MNIST folder; skipped when absent locally, but a failure on CI."""
    folder = Path(os.environ["CHAINRULE_DATA"]) / "mnist"
    if not all((folder / name).is_file() for name in GZ_NAMES):
        message = f"the MNIST files are not in {folder} (set CHAINRULE_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="module")
def idx(shared_dir: Path) -> Callable[[str], bytes]:
    """The decompressed IDX bytes of a shared file, by name without .gz (decompressed once)."""

    @functools.cache
    def payload(name: str) -> bytes:
        return gzip.decompress((shared_dir / (name + ".gz")).read_bytes())

    return payload


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def populate(folder: Path, source: Path, skip: tuple[str, ...] = ()) -> None:
    """Copy the shared .gz files (except those named in ``skip``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        if name not in skip:
            shutil.copyfile(source / (name + ".gz"), folder / (name + ".gz"))


def listing(folder: Path) -> list[str]:
    """Everything in ``folder``, hidden temporary files included."""
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending requests for 127.0.0.1 to a proxy configured in the environment."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def file_server(directory: Path) -> type[http.server.BaseHTTPRequestHandler]:
    return functools.partial(QuietFiles, directory=str(directory))  # type: ignore[return-value]


def cutting_server(body: bytes, *, send_length: bool) -> type[http.server.BaseHTTPRequestHandler]:
    """A server that sends half of ``body`` and closes the connection (HTTP/1.0, so close ends the reply)."""

    class Cutting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            if send_length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Cutting


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run ``handler`` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def good_mirror(shared_dir: Path) -> Iterator[str]:
    """A mirror serving the shared .gz files (read-only) from 127.0.0.1."""
    with serving(file_server(shared_dir)) as url:
        yield url


@pytest.fixture
def serve() -> Iterator[Callable[[type[http.server.BaseHTTPRequestHandler]], str]]:
    """Start extra servers for one test; all are stopped at its end."""
    with ExitStack() as stack:
        yield lambda handler: stack.enter_context(serving(handler))


@pytest.fixture
def dead_mirror() -> Iterator[str]:
    """A 127.0.0.1 port that refuses connections (bound, never listening, held for the whole test)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mnist/"


# --------------------------------------------------------------------------- the real files


def test_shapes_dtypes_and_range(mnist: tuple[np.ndarray, ...]) -> None:
    X_train, y_train, X_test, y_test = mnist
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0
        assert X.flags.c_contiguous and X.flags.writeable
    assert set(np.unique(X_test * 255).round()) <= set(range(256))


def test_label_counts_and_mean_pixel(mnist: tuple[np.ndarray, ...]) -> None:
    X_train, y_train, _, y_test = mnist
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS
    assert X_train.mean(dtype=np.float64) == pytest.approx(33.318 / 255, abs=1e-3 / 255)


def test_root_argument_wins_over_the_environment_and_flatten_false(
    mnist: tuple[np.ndarray, ...], shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "nothing-here"))
    X_train, y_train, X_test, y_test = load_mnist(root=shared_dir, download=False, flatten=False)
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert np.array_equal(X_train.reshape(60000, 784), mnist[0])
    assert np.array_equal(X_test.reshape(10000, 784), mnist[2])
    assert np.array_equal(y_train, mnist[1]) and np.array_equal(y_test, mnist[3])


def test_ungzipped_idx_files_are_accepted(
    mnist: tuple[np.ndarray, ...], idx: Callable[[str], bytes], tmp_path: Path
) -> None:
    for name in NAMES:
        (tmp_path / name).write_bytes(idx(name))
    loaded = load_mnist(root=tmp_path, download=False)
    for got, expected in zip(loaded, mnist, strict=True):
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


# --------------------------------------------------------------------------- missing files


def test_offline_without_files_names_folder_files_and_variable(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(root=tmp_path, download=False)
    message = str(info.value)
    for fragment in (str(tmp_path), "CHAINRULE_DATA", "download=False", *GZ_NAMES):
        assert fragment in message
    assert listing(tmp_path) == []


@pytest.mark.parametrize("download", [False, True])
def test_a_folder_in_place_of_a_file_is_named_whether_or_not_downloads_are_allowed(
    tmp_path: Path, download: bool
) -> None:
    (tmp_path / "t10k-labels-idx1-ubyte.gz").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        load_mnist(root=tmp_path, download=download, mirrors=["http://127.0.0.1:9/"], timeout=1)
    where = tmp_path / "t10k-labels-idx1-ubyte.gz"
    assert str(info.value) == f"{where} is a folder, not MNIST's file t10k-labels-idx1-ubyte.gz: move it away"


def test_default_folder_is_chainrule_data_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "mnist")):
        load_mnist(download=False)


def test_default_folder_without_variable_is_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / ".cache" / "chainrule" / "mnist")):
        load_mnist(download=False)


def test_a_timeout_must_be_a_positive_number(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="timeout must be a number of seconds, got 'x'"):
        load_mnist(root=tmp_path, download=False, timeout="x")
    largest = f"{threading.TIMEOUT_MAX:g}"
    for timeout in (0, float("inf"), 1e300, float("nan")):  # beyond threading.TIMEOUT_MAX the socket overflows
        expected = f"timeout must be a positive number of seconds up to {largest}, got {timeout!r}"
        with pytest.raises(ValueError, match=re.escape(expected)):
            load_mnist(root=tmp_path, download=False, timeout=timeout)


def test_an_empty_root_is_refused_not_read_as_the_working_folder() -> None:
    with pytest.raises(ValueError, match=re.escape("root is an empty string: pass MNIST's folder ('.' for the working "
                                                   "one), or None for the default")):
        load_mnist(root="")


@pytest.mark.parametrize("flag", ["download", "flatten", "progress"])
def test_the_switches_must_be_true_or_false(tmp_path: Path, flag: str) -> None:
    with pytest.raises(TypeError, match=f"{flag} must be True or False, got 'no'"):  # "no" would count as True
        load_mnist(root=tmp_path, **{flag: "no"})


def test_only_the_missing_file_is_reported(shared_dir: Path, tmp_path: Path) -> None:
    populate(tmp_path, shared_dir, skip=("t10k-labels-idx1-ubyte",))
    with pytest.raises(FileNotFoundError, match=r"missing in .*: t10k-labels-idx1-ubyte\.gz \(download=False\)"):
        load_mnist(root=tmp_path, download=False)


# --------------------------------------------------------------------------- damaged files


def _labels_with_magic(payload: bytes) -> bytes:
    return (2051).to_bytes(4, "big") + payload[4:]


def _labels_with_count(payload: bytes) -> bytes:
    return payload[:4] + (59999).to_bytes(4, "big") + payload[8:-1]


def _labels_modified(payload: bytes) -> bytes:
    data = bytearray(payload)
    data[8] = (data[8] + 1) % 10  # still a digit: only the checksum can tell
    return bytes(data)


def _bad_crc(data: bytes) -> bytes:
    return data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:]


# (file name written, bytes from the train-labels IDX payload, fragments the message must contain)
DAMAGED = {
    "wrong magic": (".gz", lambda p: gz(_labels_with_magic(p)), ["wrong magic number 2051", "expected 2049"]),
    "truncated gzip": (".gz", lambda p: gz(p)[: len(gz(p)) // 2], ["is truncated", "gzip stream ends early"]),
    "truncated idx": ("", lambda p: p[:-100], ["is truncated", "59908 bytes, expected 60008"]),
    "truncated header": ("", lambda p: p[:6], ["is truncated", "header"]),
    "trailing bytes": ("", lambda p: p + b"\0\0\0", ["3 unexpected bytes"]),
    "wrong count": (".gz", lambda p: gz(_labels_with_count(p)), ["shape (59999,)", "expected (60000,)"]),
    "not gzip": (".gz", lambda p: b"<html>404 Not Found</html>", ["is not a gzip file", "not 1f8b"]),
    "ungzipped named .gz": (".gz", lambda p: p, ["is not a gzip file", "drop the .gz"]),
    "gzip named without .gz": ("", lambda p: gz(p), ["is gzip-compressed", "rename it to train-labels-idx1-ubyte.gz"]),
    "bad gzip crc": (".gz", lambda p: _bad_crc(gz(p)), ["is a corrupt gzip file", "CRC"]),
    "modified label": (".gz", lambda p: gz(_labels_modified(p)), ["SHA-256", f"expected {TRAIN_LABELS_SHA}"]),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_damaged_file_is_a_value_error_saying_what_is_wrong(
    case: str, shared_dir: Path, idx: Callable[[str], bytes], tmp_path: Path, dead_mirror: str
) -> None:
    suffix, make, fragments = DAMAGED[case]
    populate(tmp_path, shared_dir, skip=("train-labels-idx1-ubyte",))
    damaged = tmp_path / ("train-labels-idx1-ubyte" + suffix)
    data = make(idx("train-labels-idx1-ubyte"))
    damaged.write_bytes(data)
    with pytest.raises(ValueError) as info:
        # download=True: an existing bad file is reported, never silently replaced
        load_mnist(root=tmp_path, download=True, mirrors=[dead_mirror], timeout=5)
    message = str(info.value)
    assert str(damaged) in message
    for fragment in fragments:
        assert fragment in message
    if case != "modified label":
        assert "SHA-256" not in message  # structure is checked first and named
    assert damaged.read_bytes() == data


def test_one_changed_pixel_fails_the_checksum(shared_dir: Path, idx: Callable[[str], bytes], tmp_path: Path) -> None:
    populate(tmp_path, shared_dir, skip=("t10k-images-idx3-ubyte",))
    pixels = bytearray(idx("t10k-images-idx3-ubyte"))
    pixels[16 + 5000] ^= 0x01
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(pixels)
    actual = hashlib.sha256(pixels).hexdigest()
    expected = rf"t10k-images-idx3-ubyte is not the original.* {actual}, expected {TEST_IMAGES_SHA}"
    with pytest.raises(ValueError, match=expected):
        load_mnist(root=tmp_path, download=False)


# --------------------------------------------------------------------------- downloading


def test_download_into_an_empty_folder(
    mnist: tuple[np.ndarray, ...], shared_dir: Path, good_mirror: str, tmp_path: Path
) -> None:
    target = tmp_path / "new" / "mnist"
    loaded = load_mnist(root=target, mirrors=[good_mirror], progress=False, timeout=5)
    assert listing(target) == sorted(GZ_NAMES)  # and no temporary files
    for name in GZ_NAMES:
        assert (target / name).read_bytes() == (shared_dir / name).read_bytes()
    for got, expected in zip(loaded, mnist, strict=True):
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_failing_mirrors_are_skipped(
    mnist: tuple[np.ndarray, ...],
    shared_dir: Path,
    idx: Callable[[str], bytes],
    good_mirror: str,
    dead_mirror: str,
    serve: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "train-labels-idx1-ubyte.gz").write_bytes(gz(_labels_modified(idx("train-labels-idx1-ubyte"))))
    corrupt_mirror = serve(file_server(bad_dir))
    not_found_mirror = good_mirror + "no/such/folder"
    target = tmp_path / "target"
    populate(target, shared_dir, skip=("train-labels-idx1-ubyte",))
    # the module attribute is the default list
    monkeypatch.setattr(mnist_module, "MIRRORS", [dead_mirror, not_found_mirror, corrupt_mirror, good_mirror])
    _, y_train, _, _ = load_mnist(root=target, progress=False, timeout=5)
    assert np.array_equal(y_train, mnist[1])
    assert listing(target) == sorted(GZ_NAMES)


@pytest.mark.parametrize("send_length", [True, False], ids=["short-of-content-length", "no-content-length"])
def test_interrupted_download_leaves_nothing(
    send_length: bool, shared_dir: Path, serve: Callable[..., str], tmp_path: Path
) -> None:
    body = (shared_dir / "train-labels-idx1-ubyte.gz").read_bytes()
    url = serve(cutting_server(body, send_length=send_length))
    target = tmp_path / "mnist"
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(root=target, mirrors=[url], progress=False, timeout=5)
    expected = "download interrupted" if send_length else "gzip stream ends early"
    assert expected in str(info.value)
    assert listing(target) == []


@pytest.mark.parametrize("case", ["modified label", "not gzip", "wrong magic"])
def test_bad_copy_on_the_only_mirror_is_not_saved(
    case: str, idx: Callable[[str], bytes], serve: Callable[..., str], tmp_path: Path
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "train-labels-idx1-ubyte.gz").write_bytes(DAMAGED[case][1](idx("train-labels-idx1-ubyte")))
    url = serve(file_server(served))
    target = tmp_path / "mnist"
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(root=target, mirrors=[url], progress=False, timeout=5)
    message = str(info.value)
    assert f"{url}train-labels-idx1-ubyte.gz: ValueError" in message
    for fragment in DAMAGED[case][2]:
        assert fragment in message
    assert listing(target) == []


def test_every_mirror_failing_names_the_file_each_failure_and_the_way_out(
    good_mirror: str, dead_mirror: str, tmp_path: Path
) -> None:
    not_found_mirror = good_mirror + "missing/"
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(root=tmp_path, mirrors=[dead_mirror, not_found_mirror], progress=False, timeout=5)
    message = str(info.value)
    assert "could not download train-labels-idx1-ubyte.gz" in message
    assert f"{dead_mirror}train-labels-idx1-ubyte.gz: URLError" in message and "refused" in message
    assert f"{not_found_mirror}train-labels-idx1-ubyte.gz: HTTPError: HTTP Error 404" in message
    for fragment in (str(tmp_path), "CHAINRULE_DATA", *GZ_NAMES):
        assert fragment in message
    assert listing(tmp_path) == []


def test_no_mirrors_at_all(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no mirrors configured"):
        load_mnist(root=tmp_path, mirrors=[])


def test_a_single_string_is_not_a_mirror_list(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        load_mnist(root=tmp_path, mirrors="http://127.0.0.1:9/")


@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()])
def test_failed_write_removes_the_temporary_file(
    error: BaseException, good_mirror: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: str, dst: str) -> None:
        assert Path(src).name.startswith(".chainrule-") and Path(src).exists()
        raise error

    monkeypatch.setattr(mnist_module.os, "replace", failing_replace)
    with pytest.raises(type(error)):  # a local disk problem is not a mirror failure: it propagates as is
        load_mnist(root=tmp_path, mirrors=[good_mirror], progress=False, timeout=5)
    assert listing(tmp_path) == []


def test_transparently_decompressed_download_is_saved_as_plain_idx(
    mnist: tuple[np.ndarray, ...],
    shared_dir: Path,
    idx: Callable[[str], bytes],
    serve: Callable[..., str],
    tmp_path: Path,
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    payload = idx("train-labels-idx1-ubyte")
    (served / "train-labels-idx1-ubyte.gz").write_bytes(payload)  # what a decompressing server would send
    url = serve(file_server(served))
    target = tmp_path / "mnist"
    populate(target, shared_dir, skip=("train-labels-idx1-ubyte",))
    _, y_train, _, _ = load_mnist(root=target, mirrors=[url], progress=False, timeout=5)
    assert np.array_equal(y_train, mnist[1])
    assert (target / "train-labels-idx1-ubyte").read_bytes() == payload
    assert listing(target) == sorted([*GZ_NAMES[:1], *GZ_NAMES[2:], "train-labels-idx1-ubyte"])


def test_downloaded_files_get_the_users_permissions(shared_dir: Path, good_mirror: str, tmp_path: Path) -> None:
    populate(tmp_path, shared_dir, skip=("t10k-labels-idx1-ubyte",))
    previous = os.umask(0o022)
    try:
        load_mnist(root=tmp_path, mirrors=[good_mirror], progress=False, timeout=5)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "t10k-labels-idx1-ubyte.gz").stat().st_mode) == 0o644


@pytest.mark.parametrize("progress", [True, None])
def test_progress_bar_only_when_asked_or_on_a_tty(
    progress: bool | None, shared_dir: Path, good_mirror: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(tmp_path, shared_dir, skip=("t10k-labels-idx1-ubyte",))
    load_mnist(root=tmp_path, mirrors=[good_mirror], progress=progress, timeout=5)
    err = capsys.readouterr().err
    assert ("t10k-labels-idx1-ubyte.gz" in err) is bool(progress)  # pytest's captured stderr is not a TTY


@pytest.mark.parametrize("progress", [True, None])
def test_a_download_with_stderr_closed_shows_no_bar_and_loads(
    progress: bool | None, shared_dir: Path, good_mirror: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(tmp_path, shared_dir, skip=("t10k-labels-idx1-ubyte",))
    monkeypatch.setattr(sys, "stderr", None)  # pythonw, or a command run with 2>&-
    labels = load_mnist(root=tmp_path, mirrors=[good_mirror], progress=progress, timeout=5)[3]
    name = "t10k-labels-idx1-ubyte.gz"
    assert (tmp_path / name).read_bytes() == (shared_dir / name).read_bytes()
    assert labels.shape == (10000,)


@pytest.mark.parametrize("from_variable", [False, True])
def test_a_home_of_no_user_or_a_nul_byte_is_named_before_any_download(
    from_variable: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = "~nosuchuser0x/data"
    what = re.escape(f"$CHAINRULE_DATA ({given!r})" if from_variable else f"root {given!r}")
    if from_variable:
        monkeypatch.setenv("CHAINRULE_DATA", given)
    with pytest.raises(ValueError, match=f"^{what} starts with '~nosuchuser0x', the home of no user on this machine$"):
        load_mnist(None if from_variable else given, mirrors=["http://127.0.0.1:9/"], timeout=0.5)
    if not from_variable:  # no environment variable can hold a NUL byte
        given = f"{tmp_path}/a\0b"
        expected = f"a file path cannot hold a NUL character ('\\0'), got {given!r}"
        with pytest.raises(ValueError, match=re.escape(expected)):
            load_mnist(given, mirrors=["http://127.0.0.1:9/"], timeout=0.5)


def test_a_data_folder_that_is_a_file_is_named_before_any_download(tmp_path: Path, monkeypatch) -> None:
    plain_file = tmp_path / "data"
    plain_file.write_text("not a folder")
    monkeypatch.setenv("CHAINRULE_DATA", str(plain_file))
    with pytest.raises(NotADirectoryError, match=rf"MNIST's folder {plain_file}/mnist \(from \$CHAINRULE_DATA\) "
                                                  rf"cannot exist: {plain_file} is a file, not a folder"):
        load_mnist(mirrors=["http://127.0.0.1:9/"], timeout=0.5)


def test_mirrors_must_be_strings(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"mirrors must be base URLs \(strings\), got \[None\]"):
        load_mnist(tmp_path, mirrors=[None])


def test_mirrors_that_are_no_sequence_are_refused_naming_them(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="mirrors must be a sequence of base URLs, got int 5"):
        load_mnist(tmp_path, mirrors=5)


def test_chainrule_data_naming_the_mnist_folder_itself_is_named_before_any_download(
    shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINRULE_DATA", str(shared_dir))
    message = (
        f"MNIST's files are in $CHAINRULE_DATA itself ({shared_dir}), but are read from its mnist/ subfolder: "
        f"set CHAINRULE_DATA={shared_dir.parent}"
    )
    with pytest.raises(FileNotFoundError, match=re.escape(message)):
        load_mnist(mirrors=["http://127.0.0.1:9/never-asked/"])
    assert not (shared_dir / "mnist").exists()
    digits = tmp_path / "digits"  # a folder of another name: setting its parent would not find them
    digits.mkdir()
    for name in GZ_NAMES:
        (digits / name).symlink_to(shared_dir / name)
    monkeypatch.setenv("CHAINRULE_DATA", str(digits))
    with pytest.raises(FileNotFoundError, match=re.escape(f"subfolder: move them into {digits / 'mnist'}")):
        load_mnist(mirrors=["http://127.0.0.1:9/never-asked/"])


@pytest.mark.parametrize("progress", [False, True])
def test_a_download_leaves_no_thread_behind(progress: bool, shared_dir: Path, good_mirror: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """tqdm starts a monitor thread for each bar, a hidden one too, and keeps it after the bar closes."""
    import threading

    import tqdm

    if tqdm.tqdm.monitor is not None:  # left by another library's bar earlier in this process
        tqdm.tqdm.monitor.exit()
        tqdm.tqdm.monitor = None
    populate(tmp_path, shared_dir, skip=("t10k-labels-idx1-ubyte",))
    load_mnist(root=tmp_path, mirrors=[good_mirror], progress=progress, timeout=5)
    assert "tqdm_monitor" not in {thread.name for thread in threading.enumerate()}
