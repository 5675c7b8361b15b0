"""One user-facing error type and the exit codes of the command line."""

from __future__ import annotations

from nhvmetrics.io.guard import clean_value

EXIT_OK = 0
EXIT_INVALID = 1  # the data, or a definition, failed validation
EXIT_USAGE = 2  # usage error or unreadable input


class NhvError(Exception):
    """An error meant for the user: one sentence that says what went wrong and what to do.

    The command line prints ``str(error)`` to stderr and exits with ``exit_code``;
    it never shows a traceback for these.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        # a file named after a patient, or a value quoted from the data, must not be echoed,
        # nor a control character from the data reach the terminal, nor the lone surrogates of a
        # file name that is not valid UTF-8 (the guard shows them as U+FFFD)
        super().__init__(clean_value(str(message)))
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(NhvError):
    """An input file that cannot be read (exit 2)."""

    exit_code = EXIT_USAGE


class DefinitionError(NhvError):
    """A schema or indicator definition file that is not valid (exit 1)."""

    exit_code = EXIT_INVALID
