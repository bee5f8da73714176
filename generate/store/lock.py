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


def _acquire(path: Path) -> IO[str]:
    """The lock file, open and flock'ed; waits, saying who holds it. A lock file removed while
    this run waited (by a run that left the store empty) is not the lock any more: take anew."""
    noted = False
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")
        except OSError as exc:
            raise write_error(path, exc) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not noted:
                print(f"note: {describe(_holder(handle))} holds the store {path.parent}; waiting for it to "
                      f"finish (Ctrl-C stops this run)", file=sys.stderr)
                noted = True
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino:
                return handle
        except FileNotFoundError:
            pass  # removed meanwhile: open the new one
        handle.close()


@contextlib.contextmanager
def store_lock(root: Path, purpose: str = "compute") -> Iterator[None]:
    """Hold the store's lock for the duration; waits (saying so) while another run holds it.
    A store this run created and left empty (bad input stopped it) is removed again."""
    root = Path(root)
    created = not root.exists()
    path = root / LOCK_NAME
    with _acquire(path) as handle:
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
            raise write_error(path, exc) from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.truncate(0)  # empty: released cleanly
                handle.flush()
                if created and [p.name for p in root.iterdir()] == [LOCK_NAME]:
                    path.unlink()
                    root.rmdir()
            fcntl.flock(handle, fcntl.LOCK_UN)
