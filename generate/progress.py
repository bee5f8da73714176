"""Progress bars for long work: tqdm's bar with ETA in a terminal; elsewhere (CI logs,
`make atlas > log`) one plain line per bar every few seconds instead of a carriage-return stream."""

from __future__ import annotations

import io
import sys
from typing import Any, Iterable, TextIO

from tqdm import tqdm

LOG_INTERVAL = 5.0  # seconds between two lines of a bar outside a terminal


class _Lines(io.TextIOBase):
    """A stream that turns tqdm's in-place redraws into whole lines: carriage returns and the
    blank padding that erases a bar are dropped, every drawn bar ends with a newline."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def _terminal(stream: Any) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False


def progress_bar(iterable: Iterable | None = None, **kwargs: Any) -> tqdm:
    """A tqdm bar (same arguments) that suits where it is printed. `disable=None` keeps tqdm's
    meaning: no bar at all outside a terminal."""
    stream = kwargs.pop("file", None) or sys.stderr
    if _terminal(stream):
        return tqdm(iterable, file=stream, **kwargs)
    kwargs.pop("dynamic_ncols", None)  # a log has no width to follow
    kwargs.setdefault("mininterval", LOG_INTERVAL)
    kwargs.setdefault("ascii", True)
    kwargs.setdefault("bar_format", "{l_bar}{bar:24}{r_bar}")
    return tqdm(iterable, file=_Lines(stream), **kwargs)
