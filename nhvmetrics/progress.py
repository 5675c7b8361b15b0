"""Showing that long work is going on, without noise when it is quick.

:func:`working` wraps one step of a command (reading and checking an export, computing,
writing a sample). A step that ends within ``delay`` seconds (2 by default) prints nothing. A
longer one shows, on a terminal, a rich spinner with the step and the time it has taken; off a
terminal (a scheduled job, a pipe) it prints one plain log line when it has run ``delay``
seconds and one when it ends, so a log shows what took the time. Everything goes to stderr
through the output guard, like every other line the tool prints.

The environment variable ``NHVMETRICS_PROGRESS_DELAY`` sets the delay in seconds (a large value
keeps a job's log to the commands' own lines; the test suite sets it so that timings on a busy
machine never change what a command prints).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

DELAY = 2.0
DELAY_ENV = "NHVMETRICS_PROGRESS_DELAY"


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get(DELAY_ENV, DELAY)))
    except ValueError:
        return DELAY


@contextmanager
def working(
    label: str, *, delay: float | None = None, interactive: bool | None = None
) -> Iterator[None]:
    """Run the body; if it takes longer than ``delay`` seconds, say that ``label`` is going on."""
    from nhvmetrics.io.guard import clean_text, echo

    delay = _delay() if delay is None else delay
    tty = sys.stderr.isatty() if interactive is None else interactive
    started = time.monotonic()
    shown = threading.Event()
    lock = threading.Lock()
    status: list[Any] = []
    text = clean_text(label)

    def show() -> None:
        with lock:
            if done.is_set():
                return
            shown.set()
            if tty:
                from rich.console import Console

                console = Console(stderr=True, highlight=False)
                s = console.status(f"{text} …", spinner="dots")
                s.start()
                status.append(s)
            else:
                echo(f"nhvmetrics: {text} …", err=True)

    done = threading.Event()
    timer = threading.Timer(delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            timer.cancel()
            for s in status:
                s.stop()
        if shown.is_set():
            echo(f"nhvmetrics: {text}: done in {time.monotonic() - started:.1f} s", err=True)
