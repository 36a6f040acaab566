"""Download-once file cache for the data sets that are too big to ship (MNIST, Fashion-MNIST).

Files are fetched with pooch into a cache directory and checked against a known sha256:

- cache directory: ``cache_dir=`` argument, else the ``DLKIT_DATA`` environment variable, else
  ``platformdirs.user_cache_dir("dlkit")``;
- server: ``base_url=`` argument, else ``DLKIT_DATA_URL``, else the Keras mirror
  (``DEFAULT_BASE_URL``);
- hashes: the built-in registry of each loader; ``DLKIT_DATA_REGISTRY`` may name a JSON file
  ``{"file name": "sha256:<hex>"}`` whose entries replace them, for a server of your own that
  holds other files in the same formats (the book's CI serves small ones from 127.0.0.1).

pooch streams into a temporary file in the cache directory and moves it into place only once
the hash matches, so a failed, truncated or corrupted download never leaves a file behind.
A file already in the cache is re-hashed on every call; if it is corrupt it is deleted and
downloaded again. Every failure raises :class:`DatasetDownloadError` naming the URL, what
went wrong and the exact path where the file can be put by hand.
"""
import os
import sys
from pathlib import Path

__all__ = ["DatasetDownloadError", "DEFAULT_BASE_URL", "get_cache_dir", "get_base_url", "get_registry", "fetch"]

DEFAULT_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEFAULT_TIMEOUT = 30  # seconds without data before giving up


class DatasetDownloadError(RuntimeError):
    """A data file could not be downloaded or failed its checksum."""


def get_cache_dir(cache_dir=None):
    """The directory data files are cached in (see the module docstring); not created here."""
    if cache_dir is None:
        cache_dir = os.environ.get("DLKIT_DATA") or None
    if cache_dir is None:
        import platformdirs

        cache_dir = platformdirs.user_cache_dir("dlkit")
    return Path(cache_dir).expanduser()


def get_base_url(base_url=None):
    """The server URL files are downloaded from, always ending with ``/``."""
    if base_url is None:
        base_url = os.environ.get("DLKIT_DATA_URL") or DEFAULT_BASE_URL
    return base_url if base_url.endswith("/") else base_url + "/"


def get_registry(registry):
    """``registry`` with the entries of the JSON file named by ``DLKIT_DATA_REGISTRY`` (if set) replacing its own."""
    path = os.environ.get("DLKIT_DATA_REGISTRY")
    if not path:
        return registry
    import json

    try:
        extra = json.loads(Path(path).expanduser().read_text())
    except (OSError, ValueError) as exc:
        raise DatasetDownloadError(f"DLKIT_DATA_REGISTRY={path!r}: expected a readable JSON file "
                                   f'{{"file name": "sha256:<hex>"}}: {exc}') from exc
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise DatasetDownloadError(f"DLKIT_DATA_REGISTRY={path!r}: expected a JSON object mapping file names "
                                   "to hashes")
    return {**registry, **extra}


def _normalize_hash(known_hash):
    known_hash = str(known_hash).strip().lower()
    return known_hash if ":" in known_hash else "sha256:" + known_hash


def _hash_ok(path, known_hash):
    """True if the file at ``path`` has the hash ``"alg:hex"``."""
    import pooch

    alg, expected = known_hash.split(":", 1)
    return pooch.file_hash(str(path), alg=alg).lower() == expected


def _is_interactive():
    """True in a notebook / IPython kernel, the Python REPL, or a terminal."""
    if "ipykernel" in sys.modules or hasattr(sys, "ps1"):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _describe(exc):
    """A short, human explanation of a pooch/requests download failure."""
    import requests

    if isinstance(exc, ValueError) and "hash" in str(exc).lower():
        return "checksum mismatch: the downloaded file is corrupt or not the expected file. " + str(exc)
    if isinstance(exc, requests.exceptions.HTTPError):
        return f"the server answered with an HTTP error ({exc})"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return f"the transfer was cut off before the end of the file (truncated download: {exc})"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"the server did not answer in time ({exc})"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"could not connect to the server (it is down or this machine is offline: {exc})"
    return f"{type(exc).__name__}: {exc}"


def _manual_hint(url, path, known_hash):
    return (f"To install the file by hand, download {url} on a machine with internet access and save it "
            f"as {path} (directory {path.parent}, file name {path.name}); its {known_hash.split(':')[0]} "
            f"must be {known_hash.split(':')[-1]}. You can also set the DLKIT_DATA environment variable to "
            "another cache directory, or DLKIT_DATA_URL to another server.")


def fetch(name, registry, base_url=None, cache_dir=None, subdir=None, progressbar=None, timeout=DEFAULT_TIMEOUT):
    """Return the local path of data file ``name``, downloading it once if needed.

    registry: dict ``{file name: "sha256:<hex>"}`` (a bare hex string means sha256).
    base_url / cache_dir: see the module docstring; the file goes to
    ``cache_dir / subdir / name`` and is fetched from ``base_url + name``.
    progressbar: ``None`` shows a tqdm bar only in interactive sessions.
    Raises :class:`DatasetDownloadError` on any failure (never leaves a partial file).
    """
    import pooch
    import requests

    registry = get_registry(registry)
    if name not in registry:
        raise KeyError(f"unknown data file {name!r}; known files: {sorted(registry)}")
    known_hash = _normalize_hash(registry[name])
    url = get_base_url(base_url) + name
    folder = get_cache_dir(cache_dir)
    if subdir:
        folder = folder / subdir
    path = folder / name
    hint = _manual_hint(url, path, known_hash)

    note = ""
    if path.exists():
        if _hash_ok(path, known_hash):
            return path
        path.unlink()  # corrupt or outdated: never keep it; download a fresh copy
        note = f" (the cached copy {path} had the wrong checksum and was deleted)"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetDownloadError(f"Cannot create the cache directory {folder}: {exc}. {hint}") from exc

    if progressbar is None:
        progressbar = _is_interactive()
    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=timeout)
    try:
        pooch.retrieve(url, known_hash=known_hash, fname=name, path=folder, downloader=downloader)
    except (ValueError, OSError, requests.exceptions.RequestException) as exc:
        if path.exists() and not _hash_ok(path, known_hash):
            path.unlink()
        raise DatasetDownloadError(f"Failed to download {name} from {url}{note}: {_describe(exc)}. {hint}") from exc
    return path
