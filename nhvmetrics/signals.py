"""Clean stops: SIGTERM and SIGHUP (what ``timeout``, cron and systemd send) end a run the way
Ctrl-C does.

While :func:`stop_cleanly` is active, either signal raises :class:`Terminated` in the main thread.
It is a ``BaseException`` (like ``KeyboardInterrupt``), so no ``except Exception`` swallows it:
the atomic writer (:mod:`nhvmetrics.io.atomic`) removes its temporary file and leaves the
previous output as it was, the batch runner writes its run summary saying so, and the command
line prints one line and exits with 128 + the signal number (143 for SIGTERM, 129 for SIGHUP),
as a shell does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: the signals turned into :class:`Terminated` (SIGHUP does not exist on Windows)
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None
)


class Terminated(BaseException):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        self.name = signal.Signals(self.signum).name
        super().__init__(f"terminated by {self.name}")

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number."""
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def stop_cleanly() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` inside the block; restore the previous
    handlers afterwards. Outside the main thread (where Python cannot set handlers) it does
    nothing. A signal that is ignored when the block starts (``nohup`` ignores SIGHUP) stays
    ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal the caller ignores stays ignored (``nohup`` ignores SIGHUP on purpose)
    previous = {s: h for s in STOP_SIGNALS if (h := signal.getsignal(s)) is not signal.SIG_IGN}
    for s in previous:
        signal.signal(s, _raise)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)


def describe_stop(exc: BaseException) -> str:
    """``terminated by SIGTERM`` / ``interrupted (Ctrl-C)``, for messages and the run summary."""
    if isinstance(exc, Terminated):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return type(exc).__name__
