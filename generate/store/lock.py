"""One writer at a time per store.

A run that computes takes `<store>/.lock` (an exclusive `flock`, which the kernel drops when the
process ends however it ends) and writes its pid, host and start time into it. A second run
on the same store says who holds it and waits. A lock file still naming a run when it is
taken again was left by a run that was killed: it is cleared with a note.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO, Iterator

from generate.store.stage_store import write_error

LOCK_NAME = ".lock"


def _holder(handle: IO[str]) -> dict | None:
    """Who the lock file names, or None when it is empty (released cleanly) or unreadable."""
    handle.seek(0)
    try:
        holder = json.loads(handle.read() or "null")
    except json.JSONDecodeError:
        return None
    return holder if isinstance(holder, dict) else None


def describe(holder: dict | None) -> str:
    if not holder:
        return "another run"
    return f"run {holder.get('pid')} on {holder.get('host')} (since {holder.get('since')})"


@contextlib.contextmanager
def store_lock(root: Path, purpose: str = "compute") -> Iterator[None]:
    """Hold the store's lock for the duration; waits (saying so) while another run holds it."""
    path = Path(root) / LOCK_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")
    except OSError as exc:
        raise write_error(path, exc) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"note: {describe(_holder(handle))} holds the store {root}; waiting for it to finish "
                  f"(Ctrl-C stops this run)", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        stale = _holder(handle)
        if stale:
            print(f"note: cleared the lock of {describe(stale)}, which ended without releasing it "
                  f"(killed?)", file=sys.stderr)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose,
              "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        try:
            handle.truncate(0)
            handle.write(json.dumps(me))
            handle.flush()
        except OSError as exc:
            fcntl.flock(handle, fcntl.LOCK_UN)
            raise write_error(path, exc) from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.truncate(0)  # empty: released cleanly (the file stays, so waiters share it)
                handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
