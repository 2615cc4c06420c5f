"""Rows 2, 2b, 3 and 6: EVM time pooled against unpooled (and what reuse alone saves), the hit
rate, and the management overhead."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from framepool.bench.floor import BareConstruction, BareFreeList
from framepool.bench.interleave import Timing, time_variants
from framepool.bench.options import Settings
from framepool.bench.rows import Direction, Row
from framepool.bench.variants import accepts_option, manager_like, pooled_vm, unpooled_vm, vm_with
from framepool.bench.workloads import Workload
from framepool.evm.vm import VM
from framepool_spec.config import PoolConfig

SPEED_TARGET = 1.02
"""The pooled VM is never slower than the unpooled one by more than 2% ..."""
CALL_HEAVY_TARGET = 0.85
"""... and at least 15% faster on call-heavy workloads."""
HIT_RATE_TARGET = 0.95
"""Hits per acquisition after the first transaction of a workload."""
OVERHEAD_TARGET = 1.03
"""Management (auto-tuning, event tracking) costs under 3%."""


def _spread(timing: Timing, variant: str, baseline: str) -> str:
    ratios = sorted(timing.ratios(variant, baseline))
    cpu = "/".join(f"{sum(timing.seconds[name]):.2f}" for name in (variant, baseline))
    return (
        f"{timing.transactions} tx; {len(ratios)} repetitions, ratios {ratios[0]:.3f}..{ratios[-1]:.3f}; "
        f"CPU s {cpu}"
    )


def floor_vm() -> VM:
    """A VM on the bare free list (``framepool.bench.floor``), built like the pooled one."""
    return VM(manager=manager_like(PoolConfig.high_performance(), BareFreeList))


def bare_vm() -> VM:
    """A VM that builds every frame with nothing around it (``framepool.bench.floor``)."""
    return VM(manager=manager_like(PoolConfig.high_performance(), BareConstruction))


def speed_and_hit_rate(workload: Workload, settings: Settings) -> tuple[list[Row], Row]:
    """Pooled against unpooled and the hit rate; on call-heavy workloads also a bare free
    list against bare construction (row 2b: what reuse alone saves, the most any pool of
    these frames could save here)."""
    variants: dict[str, Callable[[], VM]] = {"pooled": pooled_vm, "unpooled": unpooled_vm}
    if workload.call_heavy:
        variants.update(floor=floor_vm, bare=bare_vm)
    timing = time_variants(workload, variants, settings.repeats, settings.min_seconds)
    target = CALL_HEAVY_TARGET if workload.call_heavy else SPEED_TARGET
    speed = [
        Row(
            f"EVM CPU time pooled/unpooled: {workload.name}",
            timing.median_ratio("pooled", "unpooled"), target, Direction.AT_MOST,
            _spread(timing, "pooled", "unpooled"),
        )
    ]
    if workload.call_heavy:
        speed.append(
            Row(
                f"EVM CPU time, floor: bare free list/bare construction: {workload.name}",
                timing.median_ratio("floor", "bare"), target, Direction.AT_MOST,
                _spread(timing, "floor", "bare")
                + f"; reuse alone, no lock, count or check on either side; bare free list/unpooled "
                f"{timing.median_ratio('floor', 'unpooled'):.3f}, bare construction/unpooled "
                f"{timing.median_ratio('bare', 'unpooled'):.3f}",
            )
        )
    first, end = timing.after_first["pooled"], timing.at_end["pooled"]
    acquisitions = end.acquisitions - first.acquisitions
    hits = end.hits - first.hits
    hit_rate = Row(
        f"hit rate after the first transaction: {workload.name}",
        hits / acquisitions if acquisitions else None, HIT_RATE_TARGET, Direction.AT_LEAST,
        f"{hits} hits of {acquisitions} acquisitions; the first transaction: "
        f"{first.hits} of {first.acquisitions}",
    )
    return speed, hit_rate


def unmeasured(name: str, reason: str) -> list[Row]:
    """The speed and hit-rate rows of a workload that cannot run here (a state-test folder: call-heavy)."""
    return [
        Row(f"EVM CPU time pooled/unpooled: {name}", None, CALL_HEAVY_TARGET, Direction.AT_MOST, reason),
        Row(f"hit rate after the first transaction: {name}", None, HIT_RATE_TARGET, Direction.AT_LEAST, reason),
    ]


def management_overhead(workload: Workload, settings: Settings) -> list[Row]:
    """Auto-tuning on against off (and event tracking, if the manager can switch it off).

    "managed" has everything on: auto-tuning, statistics and, where the manager can
    record it, the event timeline (which the VM's own manager leaves off by default).
    """
    config = PoolConfig.high_performance()
    untuned = dataclasses.replace(config, enable_auto_tuning=False)
    tracking = accepts_option("track_events")
    on: dict[str, bool] = {"track_events": True} if tracking else {}
    variants: Mapping[str, Callable[[], VM]] = {
        "managed": lambda: vm_with(config, **on),
        "no tuning": lambda: vm_with(untuned, **on),
    }
    if tracking:
        variants = {**variants, "no tracking": lambda: vm_with(config, track_events=False)}
    timing = time_variants(workload, variants, settings.repeats, settings.min_seconds)
    note = "" if tracking else "; event tracking cannot be switched off (no track_events keyword)"
    rows = [
        Row(
            f"management overhead, auto-tuning on/off: {workload.name}",
            timing.median_ratio("managed", "no tuning"), OVERHEAD_TARGET, Direction.AT_MOST,
            _spread(timing, "managed", "no tuning") + note,
        )
    ]
    if tracking:
        rows.append(
            Row(
                f"management overhead, event tracking on/off: {workload.name}",
                timing.median_ratio("managed", "no tracking"), OVERHEAD_TARGET, Direction.AT_MOST,
                _spread(timing, "managed", "no tracking"),
            )
        )
    return rows
