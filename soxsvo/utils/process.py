"""Child processes that end with their parent (Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, signum: int = signal.SIGTERM) -> None:
    """Have the kernel send this process ``signum`` when its parent ends.

    Why: a parent killed with ``kill -9`` (a job-worker supervisor, ``soxsvo ingest``) used to
    leave its children running, orphaned, for ever. ``parent``: the pid the caller forked
    from; if it has already ended (between the fork and this call), the signal is sent at
    once. Without it (a forkserver's child) only the kernel's notice is set up.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signum)
