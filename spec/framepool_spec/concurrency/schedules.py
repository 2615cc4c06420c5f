"""Deterministic schedule exploration: preemption at lock operations and inside the pool.

The pool under test is built with ``lock_factory=scheduler.lock``: every lock
it makes is a :class:`CoopLock`. The program's threads are real threads, but
only one runs at a time: each waits on its own semaphore, and at every *yield
point* the running thread asks the scheduler who runs next and hands over.
Yield points are: before a lock acquisition, after a lock release and, with a
``granularity`` finer than ``"locks"``, inside the pool's own code (see
:mod:`~framepool_spec.concurrency.preemption`: before every line, or before
every instruction that touches shared state). A thread waiting for a held lock
is not runnable; when no thread is runnable but some have not finished, that
is a deadlock.

Where more than one thread could run, the scheduler makes a *choice*: option 0
is to keep running the current thread (when it can), the others follow in
thread order. A switch away from a thread that could have gone on is a
*preemption*; once ``preemption_bound`` are used, the current thread keeps
running, and a yield point costs only its trace callback. A schedule is the
list of choices made, written ``"0*41.1.0.2"`` (``0*41``: 41 zeros; trailing
zeros are dropped, since every choice past the list is 0): replaying those
choices gives the same execution (the program and the pool are deterministic:
the clock is fake, and only one thread runs at a time). :func:`explore`
enumerates every schedule within the bound, depth first.

A task is done when its thread has *ended*, not when its body returns: what the pool
does in a thread's teardown (a pool with thread caches flushes them there, from a
thread-local's destructor) is part of the task. Its lock operations are yield points
like the body's; its code is not traced (see :meth:`Scheduler.run`). The
linearizability checker places each worker's exit between its last response and the
final phase.

Lock granularity is complete for a pool that keeps its lock discipline (code
between two lock operations then touches only data no other thread can touch
at that moment); a pool that breaks it has races between lock operations,
which only the finer granularities can show. A fine yield point is no choice
while the running thread holds every lock the pool made (see
:meth:`Scheduler.fine_yield_point`), and once the preemption bound is reached
the threads run untraced. What the passes cost on the standard programs and
the real pool (measured on the 2-core development machine, shared, so +-50%;
a schedule costs 3-8 ms, half of it building a fresh pool; the first table is
the 9 programs without thread caches, before the 3 with them were added)::

    granularity  bound   schedules per program              all      seconds
    locks        2       42 136 136 174 136 24 136 136 306   1,288    5
    locks        3       (program 8 alone: 1,760)            5,328    31
    lines        1       (150 ... 303)                       1,366    10
    opcodes      1       362 260 351 218 290 254 227 290 692 2,944    14
    opcodes      2       program 0 alone: 16,880, ~2 min     ~10^5+   hours

    the 12 standard programs (3 with thread caches: programs 1, 3, 5):
    locks        2       42 222 136 234 136 144 174 136 24 136 136 306   1,826   9
    opcodes      1       376 678 265 466 350 321 220 298 262 230 298 698 4,462   21

Opcode granularity under bound 2 grows with the square of a program's yield
points, so the default run (``DEFAULT_PASSES``) is lock granularity under
bound 2 plus opcode granularity under bound 1 (~30 s): every single preemption
anywhere in the pool's code, and every pair at lock operations. ``-m deep``
(``DEEP_PASSES``) adds a preemption to each, samples opcode granularity under
bound 2, and explores the larger thread-cache programs of
:func:`thorough_programs`. Every broken variant of ``tests/broken_concurrent.py``
fails within 15 s of the default run (most within 5 s).

Each schedule's recorded history goes to the linearizability checker, so the
per-operation results and the final counts must fit some sequential order of
the reference model, whose invariants must hold.
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType

from framepool_spec.concurrency.linearizability import CheckResult, check_history
from framepool_spec.concurrency.preemption import Granularity, PoolCode, Preemption
from framepool_spec.concurrency.programs import (
    FINAL_THREAD,
    PREFIX_THREAD,
    ConcurrentPool,
    Entry,
    FakeClock,
    Op,
    PoolFactory,
    Program,
    Recorder,
    Stats,
    describe_history,
    run_op,
    run_sequential,
    tokenize,
)
from framepool_spec.config import FrameType, PoolConfig


class ScheduleAborted(BaseException):
    """Unwinds a thread of an abandoned run (deadlock, step limit). Not an Exception: pool code
    that catches Exception must not swallow it."""


class ReplayMismatch(ScheduleAborted):
    """A replayed schedule asked for a choice that does not exist at that point."""


class _Task:
    def __init__(self, scheduler: Scheduler, index: int) -> None:
        self.scheduler = scheduler
        self.index = index
        self.wake = threading.Semaphore(0)
        self.done = False
        self.exiting = False
        """Its body returned: its thread's teardown runs (thread-exit hooks of the pool)."""
        self.blocked_on: CoopLock | None = None
        self.held = 0  # how many of the scheduler's locks this task holds


class CoopLock:
    """A lock whose acquire and release are yield points of its scheduler."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self.owner: _Task | str | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        sched = self._scheduler
        task = sched.running_task()
        if task is None:
            # The main thread, between controlled phases: nothing else runs.
            if self.owner is not None:
                raise RuntimeError("a CoopLock is held outside the controlled run")
            self.owner = "main"
            return True
        if task.exiting and sched.aborting:
            # The teardown of a thread of an abandoned run (see Scheduler.run): it must not
            # raise, and nothing it does is checked, so the lock is taken as it is.
            self.owner = task
            return True
        sched.yield_point(task)
        if self.owner is not None:
            if not blocking:
                return False
            task.blocked_on = self
            sched.block(task)  # resumes only once this lock is free (or the run is abandoned)
            task.blocked_on = None
        self.owner = task
        task.held += 1
        return True

    def release(self) -> None:
        sched = self._scheduler
        if self.owner is None:
            if sched.aborting:
                return  # taken as it was by an abandoned run's teardown (see acquire)
            raise RuntimeError("release of an unlocked CoopLock")
        if isinstance(self.owner, _Task):
            self.owner.held -= 1
        self.owner = None
        task = sched.running_task()
        if task is not None and not sched.aborting:
            sched.yield_point(task)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class Scheduler:
    """Runs tasks one at a time, choosing at yield points from ``choices`` (then option 0)."""

    def __init__(
        self, n: int, choices: Sequence[int] = (), *, preemption_bound: int = 2,
        preemption: Preemption | None = None, max_steps: int = 1_000_000,
    ) -> None:
        self.tasks = [_Task(self, i) for i in range(n)]
        self._choices = list(choices)
        self._pos = 0
        self.trace: list[tuple[int, int]] = []  # (choice, number of options) per choice point
        self.preemption_bound = preemption_bound
        self.preemptions = 0
        self.preemption = preemption  # None: yield points at lock operations only
        self.locks_made = 0
        self.current: _Task | None = None
        self.aborting = False
        self.deadlock = False
        self.abort_reason = ""
        self.steps = 0
        self.max_steps = max_steps
        self._finished = threading.Event()
        self._task_of_thread: dict[int, _Task] = {}  # by threading.get_ident()

    def lock(self) -> CoopLock:
        self.locks_made += 1
        return CoopLock(self)

    def running_task(self) -> _Task | None:
        """The task the calling thread runs (None: the main thread, or a stranger)."""
        return self._task_of_thread.get(threading.get_ident())

    # ---- choosing --------------------------------------------------------------------

    def _runnable(self, task: _Task) -> bool:
        return not task.done and (task.blocked_on is None or task.blocked_on.owner is None)

    def _choose(self) -> _Task | None:
        cur = self.current if self.current is not None and self._runnable(self.current) else None
        others = [t for t in self.tasks if t is not cur and self._runnable(t)]
        options = ([cur] if cur is not None else []) + others
        if not options:
            return None
        if cur is not None and self.preemptions >= self.preemption_bound:
            options = [cur]
        if len(options) == 1:
            pick = options[0]
        else:
            if self._pos < len(self._choices):
                c = self._choices[self._pos]
                if not 0 <= c < len(options):
                    self.aborting = True
                    self.abort_reason = (
                        f"replay mismatch: choice {self._pos} is {c} but only {len(options)} "
                        "options exist (a different program, pool or bound?)"
                    )
                    raise ReplayMismatch(self.abort_reason)
            else:
                c = 0
            self._pos += 1
            self.trace.append((c, len(options)))
            pick = options[c]
        if cur is not None and pick is not cur:
            self.preemptions += 1
        return pick

    def _hand_over(self, me: _Task, nxt: _Task) -> None:
        self.current = nxt
        nxt.wake.release()
        me.wake.acquire()
        self._check_aborting(me)

    def _check_aborting(self, me: _Task) -> None:
        """Unwind ``me`` if the run is abandoned -- unless it is in its thread's teardown,
        where an exception would only be reported as unraisable: that goes on, unchecked."""
        if self.aborting and not me.exiting:
            raise ScheduleAborted(self.abort_reason)

    # ---- called by the running task ----------------------------------------------------

    def yield_point(self, me: _Task) -> None:
        if self.aborting:
            self._check_aborting(me)
            return
        self.steps += 1
        if self.steps > self.max_steps:
            self._abort(me, f"step limit {self.max_steps} reached (livelock?)")
            return
        if self.preemptions >= self.preemption_bound:
            return  # no preemption left: the running thread goes on, there is nothing to choose
        nxt = self._choose()
        assert nxt is not None  # ``me`` is runnable
        if nxt is not me:
            self._hand_over(me, nxt)

    def fine_yield_point(self, me: _Task) -> bool:
        """A yield point inside the pool's code (see ``preemption``). Returns False once none
        can be a choice any more (the preemption bound is reached): tracing may stop.

        Not a choice while ``me`` holds every lock the pool made (an *exclusive section*, say a
        statistics snapshot under all locks): the others can then only run lock-free code,
        and a race between that code and this section is explored from the lock-free side,
        which has its own yield points. (What is given up: splitting both sides at once.
        What is gained: a snapshot's thousands of instructions are not each a choice.)
        """
        if self.preemptions >= self.preemption_bound:
            return False
        if me.held == self.locks_made and me.held:
            return True
        self.yield_point(me)
        return True

    def block(self, me: _Task) -> None:
        """``me`` waits for a held lock: run somebody else (or detect a deadlock)."""
        if self.aborting:  # an abandoned run's teardown (the only task that runs then)
            return
        nxt = self._choose()
        if nxt is None:
            self.deadlock = True
            self._abort(me, "deadlock: every live thread waits for a lock")
            return
        if nxt is not me:
            self._hand_over(me, nxt)

    def _abort(self, me: _Task, reason: str) -> None:
        self.aborting = True
        self.abort_reason = reason
        self._check_aborting(me)

    def _finish(self, me: _Task) -> None:
        me.done = True
        if self.aborting:
            # Unwind the others one at a time (each raises ScheduleAborted when woken).
            rest = [t for t in self.tasks if not t.done]
            if rest:
                self.current = rest[0]
                rest[0].wake.release()
            else:
                self._finished.set()
            return
        nxt = self._choose()
        if nxt is not None:
            self.current = nxt
            nxt.wake.release()
        elif any(not t.done for t in self.tasks):
            self.deadlock = True
            self.aborting = True
            self.abort_reason = "deadlock: every live thread waits for a lock"
            rest = [t for t in self.tasks if not t.done]
            self.current = rest[0]
            rest[0].wake.release()
        else:
            self._finished.set()

    # ---- driving -----------------------------------------------------------------------

    def run(self, bodies: Sequence[object], join_timeout: float = 30.0) -> None:
        """Run ``bodies`` (callables) as the tasks, one at a time, until all finish or abort.

        Each task runs on a thread of its own, and is done when that thread has *ended*:
        what the pool does in the thread's teardown (a pool with thread caches flushes
        them there, from a thread-local's destructor) is part of the task, after its
        body. Its lock operations are yield points as in the body; its code is not
        traced (no finer yield points). So a second thread, the task's *keeper*, starts
        the task's thread, waits for it to end, and only then lets another task run.
        """
        assert len(bodies) == len(self.tasks)
        ready = threading.Semaphore(0)

        def main(task: _Task, body: object) -> None:
            try:
                task.wake.acquire()
                if self.aborting:
                    raise ScheduleAborted(self.abort_reason)
                assert callable(body)
                if self.preemption is not None and self.preemption.traces:
                    sys.settrace(self.preemption.tracer(functools.partial(self.fine_yield_point, task)))
                body()
            except ScheduleAborted:
                pass  # (raised in a trace function, it has also switched tracing off)
            finally:
                sys.settrace(None)
                task.exiting = True

        def keeper(task: _Task, body: object) -> None:
            thread = threading.Thread(target=main, args=(task, body), daemon=True,
                                      name=f"sched-{task.index}")
            thread.start()
            assert thread.ident is not None
            # Every task's thread is registered before any task runs, and no thread starts
            # while they run: a thread id is not reused before it is unregistered.
            self._task_of_thread[thread.ident] = task
            ready.release()
            thread.join()
            del self._task_of_thread[thread.ident]
            self._finish(task)

        threads = [
            threading.Thread(target=keeper, args=(t, b), daemon=True, name=f"sched-keeper-{t.index}")
            for t, b in zip(self.tasks, bodies)
        ]
        for th in threads:
            th.start()
        for _ in threads:
            ready.acquire()
        try:
            first = self._choose()
        except ReplayMismatch:
            first = self.tasks[0]  # every task unwinds at once: aborting is set
        if first is None:
            return
        self.current = first
        first.wake.release()
        if not self._finished.wait(join_timeout):
            raise RuntimeError("controlled run did not finish: a thread blocked outside the scheduler")
        for th in threads:
            th.join(join_timeout)

    @property
    def schedule_id(self) -> str:
        return format_schedule([c for c, _ in self.trace])


def format_schedule(choices: Sequence[int]) -> str:
    """``[0, 0, 0, 1, 0, 2, 0, 0]`` -> ``"0*3.1.0.2"``: runs of zeros counted, trailing ones dropped."""
    out: list[str] = []
    zeros = 0
    for c in choices:
        if c == 0:
            zeros += 1
            continue
        if zeros:
            out.append("0" if zeros == 1 else f"0*{zeros}")
            zeros = 0
        out.append(str(c))
    return ".".join(out)


def parse_schedule(schedule_id: str) -> list[int]:
    """The choices a schedule id stands for (``format_schedule`` backwards)."""
    out: list[int] = []
    for item in schedule_id.split(".") if schedule_id else ():
        choice, star, times = item.partition("*")
        out.extend([int(choice)] * (int(times) if star else 1))
    return out


# ---- running and exploring ---------------------------------------------------------------


@dataclass
class ScheduleRun:
    schedule_id: str
    trace: list[tuple[int, int]]
    history: list[Entry]
    deadlock: bool
    aborted: str
    crashed: list[str]
    check: CheckResult | None

    @property
    def failed(self) -> bool:
        return bool(self.deadlock or self.aborted or self.crashed) or (
            self.check is not None and not self.check.ok
        )

    def summary(self) -> str:
        if self.deadlock:
            return "deadlock"
        if self.aborted:
            return f"aborted: {self.aborted}"
        if self.crashed:
            return "crash: " + "; ".join(self.crashed)
        assert self.check is not None
        return f"linearizability {self.check.outcome.value}"


def _prepared(
    factory: PoolFactory, program: Program, sched: Scheduler
) -> tuple[ConcurrentPool, Recorder, list[object]]:
    """A pool built with the scheduler's locks, after the program's prefix (and its slots)."""
    clock = FakeClock(0)
    pool = factory(program.config, clock=clock, lock_factory=sched.lock)
    recorder = Recorder()
    clock.now = program.prefix_time
    prefix_slots = run_sequential(pool, program.prefix, PREFIX_THREAD, clock.now, recorder)
    clock.now = program.concurrent_time
    return pool, recorder, prefix_slots


def pool_code_of(factory: PoolFactory, program: Program) -> PoolCode:
    """The pool's own code, as seen after the prefix: what a run of ``program`` traces."""
    pool, recorder, _ = _prepared(factory, program, Scheduler(len(program.threads)))
    return PoolCode.of(pool, *(e.result for e in recorder.entries))


def run_schedule(
    factory: PoolFactory,
    program: Program,
    choices: Sequence[int] | str = (),
    *,
    preemption_bound: int = 1,
    granularity: Granularity = "opcodes",
    check: bool = True,
    time_budget: float = 10.0,
    pool_code: PoolCode | None = None,
) -> ScheduleRun:
    """Run ``program`` once under the schedule ``choices`` (then option 0 at every later choice).

    ``pool_code`` (what :func:`pool_code_of` returns for this factory and program) saves
    working it out again; :func:`explore` passes it.
    """
    if isinstance(choices, str):
        choices = parse_schedule(choices)
    sched = Scheduler(len(program.threads), choices, preemption_bound=preemption_bound)
    pool, recorder, prefix_slots = _prepared(factory, program, sched)
    code: PoolCode | None = None
    if granularity != "locks":
        # A copy: frames handed out during this run may add code to it, and the next run
        # must start from the same code, or its schedule ids would not replay.
        code = (pool_code.copy() if pool_code is not None
                else PoolCode.of(pool, *(e.result for e in recorder.entries)))
    sched.preemption = Preemption(granularity, code) if code is not None else None
    crashed: list[str] = []

    def body_of(t: int) -> object:
        def body() -> None:
            slots: list[object] = []
            try:
                for index, op in enumerate(program.threads[t]):
                    run_op(pool, op, slots, t, index, program.concurrent_time, recorder,
                           prefix_slots)
                    if code is not None:
                        code.note(slots[-1])  # the frame it handed out, if any
            except ScheduleAborted:
                raise
            except BaseException as exc:  # noqa: BLE001 -- reported
                crashed.append(f"thread {t}: {type(exc).__name__}: {exc}")
        return body

    sched.run([body_of(t) for t in range(len(program.threads))])
    aborted = sched.abort_reason if sched.aborting and not sched.deadlock else ""
    result: CheckResult | None = None
    if not sched.aborting:
        run_op(pool, Stats(), [], FINAL_THREAD, 0, program.concurrent_time, recorder)
    history = tokenize(recorder.entries)
    if check and not sched.aborting and not crashed:
        result = check_history(program.config, history, time_budget=time_budget)
    return ScheduleRun(sched.schedule_id, sched.trace, history, sched.deadlock, aborted, crashed,
                       result)


@dataclass
class Exploration:
    program: Program
    preemption_bound: int
    granularity: Granularity
    schedules: int = 0
    complete: bool = False
    failures: list[ScheduleRun] = field(default_factory=list)
    seconds: float = 0.0
    max_history: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def report(self) -> str:
        head = (f"{self.schedules} schedules explored (preemption bound {self.preemption_bound}, "
                f"{self.granularity} granularity, "
                f"{'complete' if self.complete else 'stopped early'}) in {self.seconds:.2f}s")
        if not self.failures:
            return "ok: " + head
        f = self.failures[0]
        lines = [f"SCHEDULE FAILURE: {f.summary()} under schedule {f.schedule_id!r}; {head}"]
        if f.check is not None:
            lines.append(f.check.report())
        else:
            lines.append("history:")
            lines.append(describe_history(f.history))
        lines.append("replay with:")
        lines.append("  from framepool_spec.concurrency import *")
        lines.append("  from framepool_spec.concurrency.schedules import run_schedule")
        lines.append("  program = " + self.program.source().replace("\n", "\n  "))
        lines.append(f"  run = run_schedule(<factory>, program, {f.schedule_id!r}, "
                     f"preemption_bound={self.preemption_bound}, "
                     f"granularity={self.granularity!r})")
        return "\n".join(lines)


def explore(
    factory: PoolFactory,
    program: Program,
    *,
    preemption_bound: int = 1,
    granularity: Granularity = "opcodes",
    max_schedules: int | None = None,
    stop_on_failure: bool = True,
    time_budget: float = 10.0,
) -> Exploration:
    """Every schedule of ``program`` with at most ``preemption_bound`` preemptions, depth first."""
    started = time.monotonic()
    result = Exploration(program, preemption_bound, granularity)
    code = pool_code_of(factory, program) if granularity != "locks" else None
    prefix: list[int] = []
    seen_histories: dict[tuple[object, ...], bool] = {}
    while True:
        run = run_schedule(factory, program, prefix, preemption_bound=preemption_bound,
                           granularity=granularity, check=False, pool_code=code)
        # Many schedules record the same history; check each distinct one once.
        key = tuple((e.thread, e.index, e.invoke, e.response, e.kind, repr(e.value), e.arg)
                    for e in run.history)
        if not (run.deadlock or run.aborted or run.crashed):
            if key not in seen_histories:
                run.check = check_history(program.config, run.history, time_budget=time_budget)
                seen_histories[key] = run.check.ok
            elif not seen_histories[key]:
                run.check = check_history(program.config, run.history, time_budget=time_budget)
        result.schedules += 1
        result.max_history = max(result.max_history, len(run.history))
        if run.failed:
            result.failures.append(run)
            if stop_on_failure:
                break
        nxt = next_schedule(run.trace)
        if nxt is None:
            result.complete = True
            break
        prefix = nxt
        if max_schedules is not None and result.schedules >= max_schedules:
            break
    result.seconds = time.monotonic() - started
    return result


@dataclass(frozen=True)
class ExplorationPass:
    """One way to explore a program: yield points of this granularity, this many preemptions."""

    granularity: Granularity
    preemption_bound: int
    max_schedules: int | None = None
    """Stop each program's exploration after this many schedules (None: explore them all)."""

    def __str__(self) -> str:
        cap = "" if self.max_schedules is None else f", first {self.max_schedules} schedules"
        return f"{self.granularity} granularity, preemption bound {self.preemption_bound}{cap}"


DEFAULT_PASSES = (ExplorationPass("locks", 2), ExplorationPass("opcodes", 1))
"""The default run: cheap lock-level schedules first (most bugs show there), then every
single preemption anywhere in the pool's code (see the module docstring for the costs)."""
DEEP_PASSES = (ExplorationPass("locks", 3), ExplorationPass("opcodes", 2, max_schedules=3_000))
"""``-m deep``: one more preemption in each pass. Opcode granularity under bound 2 is
quadratic in a program's yield points (the smallest standard program has 16,880 such
schedules), so it is sampled: the first 3,000 of each program, depth first."""


def explore_programs(
    factory: PoolFactory,
    programs: Sequence[Program],
    passes: Sequence[ExplorationPass] = DEFAULT_PASSES,
    *,
    max_schedules: int | None = None,
) -> list[Exploration]:
    """Explore every program under each pass in turn (all programs under the first pass, then
    under the next ...), until the first failure: that exploration is the last one returned."""
    done: list[Exploration] = []
    for each in passes:
        caps = [c for c in (each.max_schedules, max_schedules) if c is not None]
        for program in programs:
            result = explore(factory, program, preemption_bound=each.preemption_bound,
                             granularity=each.granularity, max_schedules=min(caps, default=None))
            done.append(result)
            if result.failed:
                return done
    return done


def next_schedule(trace: Sequence[tuple[int, int]]) -> list[int] | None:
    """The depth-first successor of a schedule: bump the last choice that has an untried option."""
    for i in range(len(trace) - 1, -1, -1):
        choice, options = trace[i]
        if choice + 1 < options:
            return [c for c, _ in itertools.islice(trace, i)] + [choice + 1]
    return None


# ---- a fixed suite of small programs --------------------------------------------------------


def standard_programs() -> list[Program]:
    """Small programs that race, two threads at a time, every pair of operations that touch
    the same counters. Explored exhaustively for every pool (``run_conformance(threads=...)``
    too), so each is as small as its race allows:

    0. two acquire/release pairs on a one-frame class: two acquisitions (a hit and a miss),
       two releases racing for the last idle slot;
    1. with thread caches (as 3 and 5: one class of two prefilled frames, caches of one
       frame): two acquisitions, each refilling its thread's cache from one shared list,
       and each thread's exit flushing its cache while the other runs;
    2. a snapshot must be atomic across classes: acquisitions in class 0, then class 1,
       against a snapshot (showing the second but not the first is not linearizable);
    3. with thread caches: an acquisition against a snapshot, which must see the counts of
       the thread's cache before, during and after that thread's exit;
    4. acquire/release against auto_tune;
    5. with thread caches: a cross-thread release (into the cache of the main thread, which
       took the frame out in the prefix and keeps another one cached: the cache is at its
       limit and flushes its coldest frame) against close, which must leave no cached frame;
    6. auto_tune against cleanup: two manager-wide operations taking all locks;
    7. acquire/release against a statistics snapshot;
    8. acquire/release against a shrinking resize;
    9. auto_tune against a resize up and down;
    10. acquire/release against a cleanup that finds an expired idle frame;
    11. a mixed program: hierarchy, resize to 0 and a GC pressure check.

    The order puts first the programs that show the most kinds of bugs, so that a broken
    pool fails early (:func:`explore_programs` stops at the first failure).
    """
    from framepool_spec.concurrency.programs import (
        Acquire,
        AutoTune,
        CheckGC,
        Cleanup,
        Close,
        GetOrCreate,
        Release,
        ReleasePrefix,
        Resize,
    )
    from framepool_spec.config import MAX_IDLE_MS

    one_class = PoolConfig(
        enable_size_classes=False, enable_auto_tuning=False, initial_pool_sizes=(1,),
        max_pool_sizes=(1,),
    )
    tuning = PoolConfig(
        enable_size_classes=False, enable_auto_tuning=True, initial_pool_sizes=(0,),
        max_pool_sizes=(4,),
    )
    two_classes = PoolConfig(
        enable_size_classes=True, enable_auto_tuning=False, initial_pool_sizes=(1, 1),
        max_pool_sizes=(1, 1),
    )
    classes = PoolConfig(
        enable_size_classes=True, enable_auto_tuning=True, enable_gc_integration=True,
        initial_pool_sizes=(1, 1), max_pool_sizes=(2, 2), gc_pressure_threshold=0.1,
    )
    r, c = FrameType.REGULAR, FrameType.CALL
    pair = (Acquire(r), Release(0))
    expired = MAX_IDLE_MS + 1  # the prefilled frame is idle for longer than cleanup allows
    return [
        Program(one_class, (), (pair, pair)),
        Program(CACHED, (), ((Acquire(r),), (Acquire(r),))),
        Program(two_classes, (), ((Acquire(r), Acquire(c)), (Stats(),))),
        Program(CACHED, (), ((Acquire(r),), (Stats(),))),
        Program(tuning, (Acquire(r),), (pair, (AutoTune(),))),
        Program(CACHED, (Acquire(r), Acquire(r), Release(0)), ((ReleasePrefix(1),), (Close(),))),
        Program(tuning, (Acquire(r),), ((AutoTune(),), (Cleanup(),))),
        Program(one_class, (), (pair, (Stats(),))),
        Program(one_class, (), (pair, (Resize(0, 0),))),
        Program(tuning, (Acquire(r),), ((AutoTune(),), (Resize(0, 4), Resize(0, 1)))),
        Program(one_class, (), (pair, (Cleanup(),)), 0, expired),
        Program(
            classes, (Acquire(c),),
            ((Acquire(c), GetOrCreate(r, 0), Release(1), Release(0)),
             (Acquire(r), Resize(1, 0), CheckGC())),
            0, 1,
        ),
    ]


CACHED = PoolConfig(
    enable_size_classes=False, enable_auto_tuning=False, initial_pool_sizes=(2,),
    max_pool_sizes=(2,), thread_cache_size=1,
)
"""The thread-cache programs' configuration: one class of two prefilled frames; each
thread's cache keeps one frame, and moves one at a time to and from the shared list."""


def thorough_programs() -> list[Program]:
    """The standard programs, and larger ones with thread caches for ``-m deep``: hits from a
    thread's own cache, releases at its limit, and drains by resize, auto_tune and cleanup
    against hand-outs, refills and a cross-thread release."""
    from framepool_spec.concurrency.programs import (
        Acquire,
        AutoTune,
        Cleanup,
        Release,
        ReleasePrefix,
        Resize,
    )
    from framepool_spec.config import MAX_IDLE_MS

    r = FrameType.REGULAR
    pair = (Acquire(r), Release(0))
    tuning = replace(CACHED, enable_auto_tuning=True, max_pool_sizes=(4,))
    return standard_programs() + [
        Program(CACHED, (), (pair + (Acquire(r),), pair)),
        Program(CACHED, (), ((Acquire(r), Acquire(r), Release(0), Release(1)), (Resize(0, 1),))),
        Program(CACHED, (Acquire(r),), ((Acquire(r), ReleasePrefix(0)), (Resize(0, 1),))),
        Program(tuning, (Acquire(r), Release(0)), ((Acquire(r), Acquire(r)), (AutoTune(),))),
        Program(CACHED, (Acquire(r), Release(0)), (pair, (Cleanup(),)), 0, MAX_IDLE_MS + 1),
    ]


def repeat_ops(ops: Sequence[Op], times: int) -> tuple[Op, ...]:
    """``ops`` run ``times`` times in a row (slots renumbered so each round uses its own frames)."""
    from framepool_spec.concurrency.programs import GetOrCreate, Release

    out: list[Op] = []
    for _ in range(times):
        base = len(out)
        for op in ops:
            if isinstance(op, Release):
                op = Release(op.slot + base)
            elif isinstance(op, GetOrCreate) and op.parent is not None:
                op = GetOrCreate(op.frame_type, op.parent + base)
            out.append(op)
    return tuple(out)


def contention_programs(times: int = 6) -> list[Program]:
    """The standard programs with every thread's list repeated: more chances per real-thread run
    for the threads to meet in the same window (for :mod:`threads`; the explorer needs no more)."""
    out = []
    for p in standard_programs():
        threads = tuple(repeat_ops(ops, times) for ops in p.threads)
        out.append(Program(p.config, p.prefix, threads, p.prefix_time, p.concurrent_time))
    return out
