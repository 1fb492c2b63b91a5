"""Letting a waiting thread (the window's) have the GIL during long background work.

*Measured* (perf on CPython's take_gil/drop_gil, in the publish benchmark): a background thread
that lets go of the GIL only for an instant (``time.sleep(0)``, or SQLite between rows) takes it
straight back; the window's thread, woken each time, mostly finds it taken again, and its 5 ms
wait for a forced switch starts over: it waited up to 19 ms, and the window stalled 40-78 ms
while a pull stored posts. A real sleep, however short, hands the GIL over.
"""

from __future__ import annotations

import threading
import time

#: CPU time (s) a background thread may run before it sleeps.
YIELD_EVERY_CPU = 0.005
#: How long (s) it then sleeps: enough for a waiting thread to wake and take the GIL.
YIELD_FOR = 0.0003

_marks = threading.local()  # each thread's CPU time at its last yield


def yield_if_due(every: float = YIELD_EVERY_CPU, sleep_for: float = YIELD_FOR) -> bool:
    """Sleep ``sleep_for`` when this thread has used ``every`` seconds of CPU since its last
    sleep here; True when it slept. CPU time, not wall time: time spent waiting (for a server,
    for the disk) is not counted."""
    cpu = time.thread_time()
    last = getattr(_marks, "cpu", None)
    if last is None:
        _marks.cpu = cpu
        return False
    if cpu - last < every:
        return False
    time.sleep(sleep_for)
    _marks.cpu = time.thread_time()
    return True
