"""Progress output: tqdm's bar in a terminal, whole lines every few seconds in a log."""

from __future__ import annotations

import io
import subprocess
import sys

from generate.progress import progress_bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_without_carriage_returns():
    log = io.StringIO()
    with progress_bar(total=4, desc="stage", unit="img", file=log, mininterval=0) as bar:
        for _ in range(4):
            bar.update(1)
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("stage:   0%") and lines[-1].startswith("stage: 100%")
    assert all(line.strip() for line in lines) and "4/4" in lines[-1]


def test_a_log_gets_a_line_every_few_seconds_not_every_update():
    log = io.StringIO()
    with progress_bar(total=1000, desc="stage", file=log) as bar:
        for _ in range(1000):
            bar.update(1)
    assert len(log.getvalue().splitlines()) <= 3  # the first, perhaps one more, and the last


def test_a_terminal_keeps_the_redrawn_bar():
    terminal = _Terminal()
    with progress_bar(total=2, desc="stage", file=terminal, mininterval=0) as bar:
        bar.update(2)
    assert "\r" in terminal.getvalue()


def test_no_bar_outside_a_terminal_when_asked():
    log = io.StringIO()
    with progress_bar(range(3), desc="checking", file=log, disable=None) as bar:
        list(bar)
    assert log.getvalue() == ""


def test_commands_print_no_deprecation_warnings():
    """pyparsing is pinned below the version whose deprecations matplotlib trips over on import."""
    code = "import matplotlib.pyplot, generate.data, generate.site.render, generate.cli"
    result = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, check=True)
    assert "Warning" not in result.stderr, result.stderr
