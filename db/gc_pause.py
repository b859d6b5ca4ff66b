"""Holding off Python's cyclic garbage collector, process-wide and re-entrantly.

Two users. Loaders that build hundreds of thousands of records with no cycles (the
collector would otherwise walk all of them every few thousand allocations). And the
GUI's background jobs: a collection triggered in a pool thread may free a Qt object
left in a reference cycle by a closed window, and Qt objects must die in the thread that
owns them — CI once crashed exactly there ("Garbage-collecting" in a pool thread). While
any pause is held the collector waits; the next allocation after the last one ends runs
it in whichever thread allocates, which for the GUI is the GUI thread once jobs are done.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holds = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection until every ``gc_paused`` block, in any thread, has ended."""
    global _holds, _was_enabled
    with _lock:
        if _holds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holds += 1
    try:
        yield
    finally:
        with _lock:
            _holds -= 1
            if _holds == 0 and _was_enabled:
                gc.enable()
