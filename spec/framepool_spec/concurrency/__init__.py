"""Concurrent agreement: real-thread histories and controlled schedules, checked against the model.

* ``programs``: the test programs, the pool interface they drive, the recorder.
* ``linearizability``: the Wing & Gong / Lowe checker against ``PoolModel``.
* ``threads``: runs a program on real threads (repeats; race vs logic bug; deadlock by timeout).
* ``preemption``: where the explorer may preempt a thread besides lock operations: before
  any line or shared-state instruction of the pool's own code (``sys.settrace``).
* ``schedules``: a controlled scheduler exploring interleavings, preemption-bounded, at those
  yield points; the standard programs; the exploration passes.
* ``suite``: ``run_concurrent_conformance``, what ``run_conformance(threads=N)`` calls.
"""

from framepool_spec.concurrency.linearizability import CheckResult, Outcome, check_history
from framepool_spec.concurrency.programs import (
    Acquire,
    AutoTune,
    CheckGC,
    Cleanup,
    Close,
    ConcurrentPool,
    FakeClock,
    GetOrCreate,
    PoolFactory,
    Program,
    ProgramShape,
    Release,
    ReleasePrefix,
    Resize,
    Stats,
    programs,
)
from framepool_spec.concurrency.schedules import DEEP_PASSES, DEFAULT_PASSES, ExplorationPass
from framepool_spec.concurrency.suite import ConcurrentSummary, run_concurrent_conformance
from framepool_spec.concurrency.threads import (
    ConcurrencyFailure,
    Verdict,
    check_program,
    find_failure,
    run_linearizability,
)

__all__ = [
    "DEEP_PASSES", "DEFAULT_PASSES", "Acquire", "AutoTune", "CheckGC", "CheckResult", "Cleanup", "Close",
    "ConcurrencyFailure", "ConcurrentPool", "ConcurrentSummary", "ExplorationPass", "FakeClock", "GetOrCreate", "Outcome", "PoolFactory", "Program",
    "ProgramShape", "Release", "ReleasePrefix", "Resize", "Stats", "Verdict", "check_history", "check_program",
    "find_failure", "programs", "run_concurrent_conformance", "run_linearizability",
]
