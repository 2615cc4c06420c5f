"""Row 1: a warm pooled frame (acquire + release through the manager) against a new one.

The baseline constructs the frame the pool hands out directly and drops it. A second
row measures, in the same interleaved rounds, the floor of any pool of these frames in
this interpreter: a bare free list that pops a frame, resets it and pushes it back (no
lock, no counts, no links, no checks). Its
class and constructor are looked up at run time, on a frame from the manager the
VM builds, so the row follows the frame through a redesign: every constructor
parameter without a default gets the value the pool would give it (the frame
type, the frame's attribute of that name, or the current clock reading).
"""

from __future__ import annotations

import functools
import gc
import inspect
import statistics
import time
from collections.abc import Callable

from framepool.bench.options import Settings
from framepool.bench.rows import Direction, Row
from framepool.evm.vm import VM
from framepool.frame import PooledFrame
from framepool.manager import FramePoolManager, monotonic_ms
from framepool_spec.config import FrameType, PoolConfig

TARGET = 0.40
"""60% less frame allocation time."""

ROW = "frame allocation time, warm pooled/new"
FLOOR_ROW = "frame allocation time, floor: bare free list/new"


class ConstructorUnknown(Exception):
    """A constructor parameter the bench cannot supply a value for."""


def _argument(parameter: inspect.Parameter, frame: PooledFrame) -> object:
    annotation = parameter.annotation
    name = parameter.name
    if annotation in (FrameType, "FrameType") or name == "frame_type":
        return FrameType.CALL
    for attribute in (name, f"_{name}"):
        if hasattr(frame, attribute):
            return getattr(frame, attribute)
    if annotation in (int, "int"):
        return monotonic_ms()
    raise ConstructorUnknown(
        f"cannot build {type(frame).__name__} directly: no value for parameter {name!r} ({annotation})"
    )


def direct_constructor(frame: PooledFrame) -> Callable[[], object]:
    """Construct a frame like ``frame`` (a CALL frame), bypassing the pool."""
    frame_class: Callable[..., object] = type(frame)
    positional: list[object] = []
    keywords: dict[str, object] = {}
    for parameter in inspect.signature(frame_class).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is not parameter.empty:
            continue
        value = _argument(parameter, frame)
        if parameter.kind is parameter.POSITIONAL_ONLY:
            positional.append(value)
        else:
            keywords[parameter.name] = value
    return functools.partial(frame_class, *positional, **keywords)


def _pooled_loop(manager: FramePoolManager, parent: PooledFrame) -> Callable[[int], None]:
    get_or_create, release, call = manager.get_or_create, manager.release, FrameType.CALL

    def loop(count: int) -> None:
        for _ in range(count):
            release(get_or_create(call, parent))

    return loop


def _direct_loop(construct: Callable[[], object]) -> Callable[[int], None]:
    def loop(count: int) -> None:
        for _ in range(count):
            construct()

    return loop


def _floor_loop(frames: list[PooledFrame]) -> Callable[[int], None]:
    pop, push = frames.pop, frames.append

    def loop(count: int) -> None:
        for _ in range(count):
            frame = pop()
            frame.reset()
            push(frame)

    return loop


def _time(loop: Callable[[int], None], count: int) -> int:
    gc.collect()
    start = time.process_time_ns()
    loop(count)
    return time.process_time_ns() - start


def frame_allocation(settings: Settings) -> list[Row]:
    manager = VM(PoolConfig.high_performance()).manager
    parent = manager.acquire(FrameType.REGULAR)
    probe = manager.get_or_create(FrameType.CALL, parent)
    try:
        construct = direct_constructor(probe)
    except ConstructorUnknown as exc:
        return [Row(name, None, TARGET, Direction.AT_MOST, str(exc)) for name in (ROW, FLOOR_ROW)]
    finally:
        manager.release(probe)
    spare = construct()
    assert isinstance(spare, PooledFrame)
    loops = {
        "pooled": _pooled_loop(manager, parent),
        "floor": _floor_loop([spare]),
        "direct": _direct_loop(construct),
    }
    for loop in loops.values():  # warm: the class's idle frames and the code paths
        loop(settings.alloc_frames)
    ratios: dict[str, list[float]] = {"pooled": [], "floor": []}
    total = dict.fromkeys(loops, 0)
    order = list(loops)
    for _ in range(settings.alloc_rounds):
        order = order[1:] + order[:1]  # rotate, so load that comes and goes hits each alike
        ns = {name: _time(loops[name], settings.alloc_frames) for name in order}
        for name in ratios:
            ratios[name].append(ns[name] / ns["direct"])
        for name in ns:
            total[name] += ns[name]
    frames = settings.alloc_frames * settings.alloc_rounds
    manager.release(parent)
    rounds = f"median of {settings.alloc_rounds} interleaved rounds of {settings.alloc_frames}"
    direct = f"{type(probe).__name__}(...) and drop {total['direct'] / frames:.0f} ns"
    return [
        Row(
            ROW, statistics.median(ratios["pooled"]), TARGET, Direction.AT_MOST,
            f"{rounds}: get_or_create(CALL, parent) + release {total['pooled'] / frames:.0f} ns, {direct}",
        ),
        Row(
            FLOOR_ROW, statistics.median(ratios["floor"]), TARGET, Direction.AT_MOST,
            f"{rounds}: pop + reset() + push {total['floor'] / frames:.0f} ns, {direct}; "
            "what no pool of these frames can beat here",
        ),
    ]
