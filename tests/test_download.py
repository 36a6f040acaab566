"""dlkit.datasets download cache, against a local HTTP server on 127.0.0.1 (never the real network)."""
import gzip
import hashlib
import http.server
import io
import socket
import struct
import threading
from urllib.parse import urlparse

import numpy as np
import pytest

from dlkit.datasets import DatasetDownloadError, load_fashion_mnist, load_mnist
from dlkit.datasets.download import fetch, get_base_url, get_cache_dir
from dlkit.datasets.mnist import FASHION_MNIST_REGISTRY, MNIST_REGISTRY


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def no_real_network(monkeypatch, tmp_path):
    """Defaults point nowhere useful, and any HTTP request to a non-local host fails the test."""
    import requests

    monkeypatch.setenv("DLKIT_DATA_URL", closed_port_url())
    monkeypatch.setenv("DLKIT_DATA", str(tmp_path / "env-cache"))
    real_get = requests.get

    def guarded_get(url, *args, **kwargs):
        assert urlparse(url).hostname == "127.0.0.1", f"test tried to reach {url}"
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(requests, "get", guarded_get)


class Server:
    """Serves ``files`` {name: bytes}; ``truncate`` {name: n} sends only n bytes of a full-length reply."""

    def __init__(self):
        self.files, self.truncate, self.requests = {}, {}, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                outer.requests.append(name)
                if name not in outer.files:
                    self.send_error(404)
                    return
                data = outer.files[name]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: outer.truncate.get(name, len(data))])
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


@pytest.fixture
def server():
    srv = Server()
    assert urlparse(srv.url).hostname == "127.0.0.1"
    yield srv
    srv.stop()


def fake_mnist_bytes(seed=0):
    rng = np.random.default_rng(seed)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue(), arrays


def files_in(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_good_download_then_cache_without_server(server, tmp_path):
    data, arrays = fake_mnist_bytes()
    server.files["mnist.npz"] = data
    cache = tmp_path / "cache"
    registry = {"mnist.npz": sha256(data)}
    (xtr, ytr), (xte, yte) = load_mnist(base_url=server.url, cache_dir=cache, registry=registry, progressbar=False)
    np.testing.assert_array_equal(xtr, arrays["x_train"])
    np.testing.assert_array_equal(yte, arrays["y_test"])
    assert xtr.dtype == np.uint8 and xtr.shape == (6, 28, 28)
    assert files_in(cache) == ["mnist.npz"]  # no temporary file left behind
    assert server.requests == ["mnist.npz"]
    server.stop()  # second call must come from the cache
    (xtr2, _), _ = load_mnist(base_url=server.url, cache_dir=cache, registry=registry, progressbar=False)
    np.testing.assert_array_equal(xtr2, xtr)
    assert server.requests == ["mnist.npz"]


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    data, _ = fake_mnist_bytes()
    server.files["mnist.npz"] = data
    cache = tmp_path / "cache"
    with pytest.raises(DatasetDownloadError) as err:
        load_mnist(base_url=server.url, cache_dir=cache, registry={"mnist.npz": sha256(b"other")},
                   progressbar=False)
    msg = str(err.value)
    assert "checksum" in msg and server.url + "mnist.npz" in msg and str(cache / "mnist.npz") in msg
    assert files_in(cache) == []


def test_truncated_transfer_leaves_nothing(server, tmp_path):
    data, _ = fake_mnist_bytes()
    server.files["mnist.npz"] = data
    server.truncate["mnist.npz"] = len(data) // 2  # Content-Length says more than is sent
    cache = tmp_path / "cache"
    with pytest.raises(DatasetDownloadError, match="truncated") as err:
        load_mnist(base_url=server.url, cache_dir=cache, registry={"mnist.npz": sha256(data)}, progressbar=False)
    assert str(cache / "mnist.npz") in str(err.value)
    assert files_in(cache) == []


def test_file_cut_in_half_on_server_fails_checksum(server, tmp_path):
    data, _ = fake_mnist_bytes()
    server.files["mnist.npz"] = data[: len(data) // 2]  # complete transfer of a truncated file
    cache = tmp_path / "cache"
    with pytest.raises(DatasetDownloadError, match="checksum"):
        load_mnist(base_url=server.url, cache_dir=cache, registry={"mnist.npz": sha256(data)}, progressbar=False)
    assert files_in(cache) == []


def test_server_down_message_names_url_and_manual_path(tmp_path):
    url = closed_port_url()
    cache = tmp_path / "cache"
    with pytest.raises(DatasetDownloadError) as err:
        load_mnist(base_url=url, cache_dir=cache, progressbar=False)
    msg = str(err.value)
    assert url + "mnist.npz" in msg
    assert str(cache / "mnist.npz") in msg and "by hand" in msg
    assert "could not connect" in msg
    assert MNIST_REGISTRY["mnist.npz"].split(":")[1] in msg  # tells the user the expected sha256
    assert files_in(cache) == []


def test_http_404(server, tmp_path):
    with pytest.raises(DatasetDownloadError, match="HTTP error"):
        load_mnist(base_url=server.url, cache_dir=tmp_path, registry={"mnist.npz": sha256(b"x")}, progressbar=False)
    assert files_in(tmp_path) == []


def test_corrupt_cached_file_is_redownloaded(server, tmp_path):
    data, arrays = fake_mnist_bytes()
    server.files["mnist.npz"] = data
    (tmp_path / "mnist.npz").write_bytes(b"garbage")
    (xtr, _), _ = load_mnist(base_url=server.url, cache_dir=tmp_path, registry={"mnist.npz": sha256(data)},
                             progressbar=False)
    np.testing.assert_array_equal(xtr, arrays["x_train"])
    assert server.requests == ["mnist.npz"]
    assert (tmp_path / "mnist.npz").read_bytes() == data


def test_corrupt_cached_file_removed_when_server_down(tmp_path):
    data, _ = fake_mnist_bytes()
    (tmp_path / "mnist.npz").write_bytes(b"garbage")
    with pytest.raises(DatasetDownloadError, match="wrong checksum and was deleted"):
        load_mnist(base_url=closed_port_url(), cache_dir=tmp_path, registry={"mnist.npz": sha256(data)},
                   progressbar=False)
    assert files_in(tmp_path) == []


def _idx_gz(array, magic):
    header = struct.pack(">" + "I" * (1 + array.ndim), magic, *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_from_fake_idx_files(server, tmp_path):
    rng = np.random.default_rng(0)
    parts = {"train-labels-idx1-ubyte.gz": (rng.integers(0, 10, 5), 2049),
             "train-images-idx3-ubyte.gz": (rng.integers(0, 256, (5, 28, 28)), 2051),
             "t10k-labels-idx1-ubyte.gz": (rng.integers(0, 10, 2), 2049),
             "t10k-images-idx3-ubyte.gz": (rng.integers(0, 256, (2, 28, 28)), 2051)}
    registry = {}
    for name, (arr, magic) in parts.items():
        server.files[name] = _idx_gz(arr, magic)
        registry[name] = sha256(server.files[name])
    (xtr, ytr), (xte, yte) = load_fashion_mnist(base_url=server.url, cache_dir=tmp_path, registry=registry,
                                                progressbar=False)
    assert xtr.shape == (5, 28, 28) and xte.shape == (2, 28, 28) and xtr.dtype == np.uint8
    np.testing.assert_array_equal(ytr, parts["train-labels-idx1-ubyte.gz"][0])
    np.testing.assert_array_equal(xte, parts["t10k-images-idx3-ubyte.gz"][0])
    assert files_in(tmp_path / "fashion-mnist") == sorted(parts)


def test_env_vars_and_fetch_defaults(server, tmp_path, monkeypatch):
    server.files["a.bin"] = b"hello"
    monkeypatch.setenv("DLKIT_DATA_URL", server.url.rstrip("/"))  # trailing slash is optional
    monkeypatch.setenv("DLKIT_DATA", str(tmp_path / "envcache"))
    assert get_base_url() == server.url and get_cache_dir() == tmp_path / "envcache"
    path = fetch("a.bin", {"a.bin": hashlib.sha256(b"hello").hexdigest()}, progressbar=True)  # bare hex = sha256
    assert path == tmp_path / "envcache" / "a.bin" and path.read_bytes() == b"hello"
    with pytest.raises(KeyError, match="unknown data file"):
        fetch("b.bin", {"a.bin": sha256(b"hello")})
    monkeypatch.delenv("DLKIT_DATA")
    assert "dlkit" in str(get_cache_dir())  # platformdirs user cache


def test_builtin_registries_are_sha256():
    for registry in (MNIST_REGISTRY, FASHION_MNIST_REGISTRY):
        for name, h in registry.items():
            alg, hexdigest = h.split(":")
            assert alg == "sha256" and len(hexdigest) == 64 and int(hexdigest, 16) >= 0, name


def test_registry_file_from_env_replaces_builtin_hashes(server, tmp_path, monkeypatch):
    data, arrays = fake_mnist_bytes(seed=3)
    server.files["mnist.npz"] = data
    with pytest.raises(DatasetDownloadError, match="checksum"):  # not the real file: the built-in hash rejects it
        load_mnist(base_url=server.url, cache_dir=tmp_path / "a", progressbar=False)
    assert files_in(tmp_path / "a") == []
    reg = tmp_path / "registry.json"
    reg.write_text('{"mnist.npz": "%s"}' % sha256(data))
    monkeypatch.setenv("DLKIT_DATA_REGISTRY", str(reg))
    (xtr, _), _ = load_mnist(base_url=server.url, cache_dir=tmp_path / "b", progressbar=False)
    np.testing.assert_array_equal(xtr, arrays["x_train"])
    reg.write_text("[1, 2]")
    with pytest.raises(DatasetDownloadError, match="DLKIT_DATA_REGISTRY.*JSON object"):
        load_mnist(base_url=server.url, cache_dir=tmp_path / "c", progressbar=False)
    monkeypatch.setenv("DLKIT_DATA_REGISTRY", str(tmp_path / "missing.json"))
    with pytest.raises(DatasetDownloadError, match="DLKIT_DATA_REGISTRY.*readable JSON file"):
        load_mnist(base_url=server.url, cache_dir=tmp_path / "d", progressbar=False)


def test_validation_split_is_one_stratified_sixth_of_training_and_stable(server, tmp_path):
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (600, 28, 28), dtype=np.uint8),
              "y_train": np.repeat(np.arange(10, dtype=np.uint8), 60),
              "x_test": rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 50, dtype=np.uint8)}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    server.files["mnist.npz"] = buf.getvalue()
    kw = dict(base_url=server.url, cache_dir=tmp_path, registry={"mnist.npz": sha256(buf.getvalue())},
              progressbar=False)
    (xtr, ytr), (xval, yval), (xte, yte) = load_mnist(validation=True, **kw)
    assert len(xtr) == 500 and len(xval) == 100 and np.bincount(yval).tolist() == [10] * 10
    np.testing.assert_array_equal(xte, arrays["x_test"])  # the test images are never moved
    rows = {r.tobytes() for r in arrays["x_train"]}
    assert {r.tobytes() for r in xtr} | {r.tobytes() for r in xval} == rows
    assert not {r.tobytes() for r in xtr} & {r.tobytes() for r in xval}
    (_, _), (xval2, _), _ = load_mnist(validation=True, **kw)
    np.testing.assert_array_equal(xval, xval2)  # the same split on every call
    with pytest.raises(TypeError, match="validation must be True or False"):
        load_mnist(validation="yes", **kw)
