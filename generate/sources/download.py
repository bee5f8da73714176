"""Downloads through pooch, resumed where a cut connection left them, with a progress bar.

pooch streams each download to a temporary file and moves it into place only when complete.
Its stock downloader starts over after a failure; ours keeps what arrived in `FILE.part` and
asks the server for the rest (an HTTP Range request), so a cut connection costs only the bytes
in flight, within one run or across runs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pooch
import requests

from generate.errors import AtlasError
from generate.sources.catalog import Source
from generate.progress import progress_bar

CACHE_ENV = "NEURON_ATLAS_CACHE"  # where downloads and unpacked sources go
OFFLINE_ENV = "NEURON_ATLAS_OFFLINE"  # 1: never download (also --offline)
TIMEOUT = (15.0, 60.0)  # seconds to connect, and to wait for the next bytes
STALLS = 4  # attempts in a row that receive nothing before a download gives up
CHUNK = 1 << 16
# A connection refused, cut or silent: worth another attempt once some bytes have arrived.
CUT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class Unavailable(AtlasError):
    """A file that cannot be had now: downloads are off, or the network failed (as opposed to
    a file refused by its hash)."""


def cache_root() -> Path:
    """The user's cache folder for this project (NEURON_ATLAS_CACHE overrides it)."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path(pooch.os_cache("neuron-atlas"))


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


class ResumingDownloader:
    """A pooch downloader: `FILE.part` keeps the bytes received so far, and each attempt asks
    for the rest. Gives up at once when the first attempt receives nothing (no network, no
    server), and after STALLS attempts in a row that receive nothing once bytes have flowed."""

    def __init__(self, part: Path, progress: bool = True, stalls: int = STALLS):
        self.part, self.progress, self.stalls = part, progress, stalls

    def __call__(self, url: str, output_file: str, pooch_instance=None, check_only: bool = False) -> None:
        """pooch's downloader signature; `check_only` (pooch's availability probe) is never asked here."""
        stalled, flowed = 0, False
        while True:
            before = self._have()
            try:
                self._continue(url)
                break
            except CUT as exc:
                progressed = self._have() > before
                flowed, stalled = flowed or progressed, 0 if progressed else stalled + 1
                if not flowed or stalled >= self.stalls:
                    kept = "; what arrived is kept and the next run resumes it" if self._have() else ""
                    raise Unavailable(f"could not download {url}: {_reason(exc)}{kept}") from None
                time.sleep(min(2 ** stalled, 30))
            except requests.HTTPError as exc:
                raise Unavailable(f"could not download {url}: {_reason(exc)}") from None
        os.replace(self.part, output_file)

    def _have(self) -> int:
        return self.part.stat().st_size if self.part.exists() else 0

    def _continue(self, url: str) -> None:
        """One request for the bytes not yet received, appended to the part file."""
        have = self._have()
        headers = {"Accept-Encoding": "identity"}  # byte ranges count stored bytes, not decoded ones
        if have:
            headers["Range"] = f"bytes={have}-"
        with requests.get(url, headers=headers, stream=True, timeout=TIMEOUT) as response:
            if response.status_code == 416 and _total_of(response) == have:
                return  # everything had arrived: only the confirmation was lost
            if response.status_code == 416:
                self.part.unlink()  # a stale part of some other version of the file
                return self._continue(url)
            response.raise_for_status()
            if response.status_code != 206:
                have = 0  # the server ignored the range: start over
            length = int(response.headers.get("Content-Length", 0))
            with open(self.part, "ab" if have else "wb") as out, \
                    progress_bar(total=have + length if length else None, initial=have, unit="B", unit_scale=True,
                                 unit_divisor=1024, desc=Path(self.part.name).stem, disable=not self.progress,
                                 file=sys.stderr, dynamic_ncols=True) as bar:
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))


def _total_of(response: requests.Response) -> int | None:
    """The full size from a `Content-Range: bytes */SIZE` header."""
    total = response.headers.get("Content-Range", "").rpartition("/")[2]
    return int(total) if total.isdigit() else None


def _reason(exc: Exception) -> str:
    """The cause in a few words ("Failed to resolve 'host' (...)", "HTTP 404 Not Found")."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}"
    inner = exc
    for _ in range(4):  # requests' error -> urllib3's -> the socket's
        nested = getattr(inner, "reason", None) or next(
            (arg for arg in reversed(inner.args) if isinstance(arg, Exception)), None)
        if not isinstance(nested, Exception):
            break
        inner = nested
    return str(inner).split("): ", 1)[-1][:200] or type(inner).__name__  # without "HTTPConnection(...): "


def download(source: Source, folder: Path, progress: bool = True) -> Path:
    """The source's file in `folder`, downloaded unless it is already there."""
    pooch.get_logger().setLevel("WARNING")  # the progress bar and our own lines say what happens
    fetcher = pooch.create(path=folder, base_url="", registry={source.file: None}, urls={source.file: source.url})
    downloader = ResumingDownloader(folder / f"{source.file}.part", progress)
    try:
        return Path(fetcher.fetch(source.file, downloader=downloader))
    except requests.RequestException as exc:  # a malformed URL or an unexpected answer
        raise Unavailable(f"could not download {source.url}: {_reason(exc)}") from None
    except OSError as exc:
        raise AtlasError(f"could not save {source.file} into {folder}: {exc.strerror or exc}") from None
