"""What was fetched: one JSON file in the cache records, per source, the SHA-256 of the file
as first downloaded, and every later file must match it (trust on first use). Sources with
a published hash are checked against that as well."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from generate.errors import AtlasError
from generate.sources.catalog import Source

LEDGER = "registry.json"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Fetched:
    """A source as it was downloaded: for `data list`, the Reproduce block and the Methods page."""

    name: str
    url: str
    file: str
    sha256: str
    bytes: int
    fetched: str  # UTC date and time of the first download
    published_hash: str | None = None  # also checked, when the publisher gives one


def read_ledger(root: Path) -> dict[str, Fetched]:
    path = root / LEDGER
    if not path.is_file():
        return {}
    try:
        return {name: Fetched(**entry) for name, entry in json.loads(path.read_text()).items()}
    except (ValueError, TypeError) as exc:
        raise AtlasError(f"{path} is damaged ({exc}); move it away to start a new record of downloads") from None


def record(root: Path, entry: Fetched) -> None:
    """Add or keep an entry; written to a temporary file and renamed, so never half written."""
    entries = {name: asdict(e) for name, e in read_ledger(root).items()}
    entries[entry.name] = asdict(entry)
    handle, temporary = tempfile.mkstemp(dir=root, prefix=f".{LEDGER}.")
    with os.fdopen(handle, "w") as out:
        json.dump(entries, out, indent=2, sort_keys=True)
    os.replace(temporary, root / LEDGER)


def _hasher(algorithm: str, size: int):
    if algorithm == "gitblob":  # git hash-object: SHA-1 of a "blob <size>\0" header and the bytes
        hasher = hashlib.sha1()
        hasher.update(f"blob {size}\0".encode())
        return hasher
    return hashlib.new(algorithm)


def digests(path: Path, algorithms: set[str]) -> dict[str, str]:
    """Hex digests of a file for every algorithm, in one pass over it."""
    size = path.stat().st_size
    hashers = {algorithm: _hasher(algorithm, size) for algorithm in algorithms}
    with open(path, "rb") as data:
        for chunk in iter(lambda: data.read(CHUNK), b""):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}


def verify(path: Path, source: Source, root: Path) -> Fetched:
    """Check a downloaded file against the published hash and the recorded one; the entry to
    record. A mismatch raises AtlasError: the file is refused, never unpacked."""
    recorded = read_ledger(root).get(source.name)
    algorithm, published = source.published_hash.split(":") if source.published_hash else ("sha256", None)
    found = digests(path, {"sha256", algorithm})
    if published and found[algorithm] != published.lower():
        raise AtlasError(f"refused {path.name} from {source.url}: its {algorithm} is {found[algorithm]}, "
                         f"the publisher's is {published}; the file was deleted")
    if recorded and found["sha256"] != recorded.sha256:
        raise AtlasError(f"refused {path.name} from {source.url}: its SHA-256 is {found['sha256']}, not "
                         f"{recorded.sha256} as recorded on {recorded.fetched}; the file was deleted (remove "
                         f"'{source.name}' from {root / LEDGER} to accept a changed file)")
    return recorded or Fetched(name=source.name, url=source.url, file=source.file, sha256=found["sha256"],
                               bytes=path.stat().st_size, fetched=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               published_hash=source.published_hash)
