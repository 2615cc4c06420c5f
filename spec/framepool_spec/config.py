"""The shared vocabulary: frame types, size classes and pool configuration.

Both the reference model and the optimized pool import these definitions, so a
configuration means exactly the same thing to each of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

MAX_FRAME_SIZES = 8
"""Number of size classes (one per frame type when size classes are on)."""

DEFAULT_POOL_SIZE = 256
MAX_POOL_SIZE = 4096
"""Upper bound for any class's ``max_pool_sizes`` entry."""

MAX_THREAD_CACHE = 256
"""Upper bound for ``thread_cache_size``."""


class FrameType(IntEnum):
    """What a frame executes. The value is its size class when size classes are on."""

    REGULAR = 0
    CALL = 1
    DELEGATE_CALL = 2
    STATIC_CALL = 3
    CREATE = 4
    CREATE2 = 5
    PRECOMPILE = 6
    SYSTEM = 7


def can_be_parent_of(parent: FrameType, child: FrameType) -> bool:
    """Whether a frame of type ``parent`` may directly spawn a frame of type ``child``.

    The sketch's table forbade pairings a real EVM performs every block (a CALL
    frame running CREATE, init code making CALLs, a static frame calling with
    zero value), so the rule here is the EVM's own:

    - a precompile runs no code, so it parents nothing;
    - a static frame may not create contracts, so it parents no CREATE/CREATE2;
    - every other frame may parent any type.
    """
    if parent is FrameType.PRECOMPILE:
        return False
    if parent is FrameType.STATIC_CALL:
        return child not in (FrameType.CREATE, FrameType.CREATE2)
    return True


def _check_int(name: str, value: object, *, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


def _check_fraction(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def _pad(name: str, sizes: object) -> tuple[int, ...]:
    if not isinstance(sizes, (tuple, list)):
        raise ValueError(f"{name} must be a tuple of integers, got {sizes!r}")
    if len(sizes) > MAX_FRAME_SIZES:
        raise ValueError(
            f"{name} has {len(sizes)} classes; at most {MAX_FRAME_SIZES} are allowed"
        )
    for i, size in enumerate(sizes):
        _check_int(f"{name}[{i}]", size, low=0, high=MAX_POOL_SIZE)
    return tuple(sizes) + (0,) * (MAX_FRAME_SIZES - len(sizes))


@dataclass(frozen=True)
class PoolConfig:
    """How a frame pool manager behaves. Validated on construction.

    ``initial_pool_sizes`` and ``max_pool_sizes`` may list fewer than eight
    classes; missing classes are zero (no pool). A class has a pool exactly when
    its maximum size is positive. Times are milliseconds.
    """

    enable_pooling: bool = True
    enable_size_classes: bool = True
    enable_auto_tuning: bool = True
    enable_gc_integration: bool = False
    initial_pool_sizes: tuple[int, ...] = (64, 64, 32, 32, 16, 16, 8, 8)
    max_pool_sizes: tuple[int, ...] = (512, 512, 256, 256, 128, 128, 64, 64)
    growth_factor: float = 1.3
    shrink_threshold: float = 0.3
    gc_pressure_threshold: float = 0.7
    pool_cleanup_interval: int = 30_000
    thread_cache_size: int = 0
    """Idle frames each thread may keep per class in front of the shared pool (0: no thread
    tier, as in every preset). For a manager that several threads use at once; on one thread
    the class lock alone is cheaper (``framepool bench``, row 1c and the README)."""

    def __post_init__(self) -> None:
        for flag in (
            "enable_pooling",
            "enable_size_classes",
            "enable_auto_tuning",
            "enable_gc_integration",
        ):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        initial = _pad("initial_pool_sizes", self.initial_pool_sizes)
        maximum = _pad("max_pool_sizes", self.max_pool_sizes)
        for i, (low, high) in enumerate(zip(initial, maximum)):
            if low > high:
                raise ValueError(
                    f"initial_pool_sizes[{i}] ({low}) exceeds max_pool_sizes[{i}] ({high})"
                )
        object.__setattr__(self, "initial_pool_sizes", initial)
        object.__setattr__(self, "max_pool_sizes", maximum)
        growth = self.growth_factor
        if isinstance(growth, bool) or not isinstance(growth, (int, float)) or math.isnan(growth):
            raise ValueError(f"growth_factor must be a number, got {growth!r}")
        if math.isinf(growth) or growth > 16.0:
            raise ValueError(f"growth_factor must be at most 16, got {growth!r}")
        if self.enable_pooling and growth < 1.0:
            raise ValueError(f"growth_factor must be >= 1 with pooling on, got {growth!r}")
        if growth < 0.0:
            raise ValueError(f"growth_factor must not be negative, got {growth!r}")
        _check_fraction("shrink_threshold", self.shrink_threshold)
        _check_fraction("gc_pressure_threshold", self.gc_pressure_threshold)
        _check_int("pool_cleanup_interval", self.pool_cleanup_interval, low=0, high=2**62)
        _check_int("thread_cache_size", self.thread_cache_size, low=0, high=MAX_THREAD_CACHE)

    # ---- the sketch's presets, with its numbers --------------------------------

    @classmethod
    def high_performance(cls) -> PoolConfig:
        return cls(
            enable_pooling=True,
            enable_size_classes=True,
            enable_auto_tuning=True,
            enable_gc_integration=True,
            initial_pool_sizes=(128, 128, 64, 64, 32, 32, 16, 16),
            max_pool_sizes=(1024, 1024, 512, 512, 256, 256, 128, 128),
            growth_factor=1.5,
            shrink_threshold=0.25,
            gc_pressure_threshold=0.8,
            pool_cleanup_interval=10_000,
        )

    @classmethod
    def balanced(cls) -> PoolConfig:
        return cls(
            enable_pooling=True,
            enable_size_classes=True,
            enable_auto_tuning=True,
            enable_gc_integration=False,
            initial_pool_sizes=(64, 64, 32, 32, 16, 16, 8, 8),
            max_pool_sizes=(512, 512, 256, 256, 128, 128, 64, 64),
            growth_factor=1.3,
            shrink_threshold=0.3,
            gc_pressure_threshold=0.7,
            pool_cleanup_interval=30_000,
        )

    @classmethod
    def minimal(cls) -> PoolConfig:
        return cls(
            enable_pooling=True,
            enable_size_classes=False,
            enable_auto_tuning=False,
            enable_gc_integration=False,
            initial_pool_sizes=(32, 0, 0, 0, 0, 0, 0, 0),
            max_pool_sizes=(128, 0, 0, 0, 0, 0, 0, 0),
            growth_factor=1.2,
            shrink_threshold=0.2,
            gc_pressure_threshold=0.9,
            pool_cleanup_interval=60_000,
        )

    @classmethod
    def disabled(cls) -> PoolConfig:
        return cls(
            enable_pooling=False,
            enable_size_classes=False,
            enable_auto_tuning=False,
            enable_gc_integration=False,
            initial_pool_sizes=(0,) * MAX_FRAME_SIZES,
            max_pool_sizes=(0,) * MAX_FRAME_SIZES,
            growth_factor=1.0,
            shrink_threshold=0.0,
            gc_pressure_threshold=1.0,
            pool_cleanup_interval=0,
        )

    @classmethod
    def preset(cls, name: str) -> PoolConfig:
        """The preset called ``name`` (``high_performance``, ``balanced``, ``minimal``, ``disabled``)."""
        presets = {
            "high_performance": cls.high_performance,
            "balanced": cls.balanced,
            "minimal": cls.minimal,
            "disabled": cls.disabled,
        }
        key = name.replace("-", "_")
        if key not in presets:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(presets)}")
        return presets[key]()

    def size_class(self, frame_type: FrameType) -> int:
        """The size class serving ``frame_type`` (always 0 with size classes off)."""
        return int(frame_type) if self.enable_size_classes else 0

    def has_pool(self, size_class: int) -> bool:
        """Whether ``size_class`` keeps idle frames at all."""
        return self.enable_pooling and self.max_pool_sizes[size_class] > 0

    def has_thread_cache(self, size_class: int) -> bool:
        """Whether ``size_class`` hands out and takes back frames through per-thread caches."""
        return self.thread_cache_size > 0 and self.has_pool(size_class)

    @property
    def cache_batch(self) -> int:
        """How many frames a thread cache moves from or to the shared pool at once."""
        return max(1, self.thread_cache_size // 2)


PRESET_NAMES = ("high_performance", "balanced", "minimal", "disabled")

# ---- policy constants (milliseconds, bytes, ratios) -------------------------------
# The sketch's numbers. Model and implementations read them from here, so a
# change of policy is one edit.

MAX_FRAME_AGE_MS = 60_000
"""A frame older than this (since it was created) is destroyed on release, not pooled."""
MAX_POOLED_MEMORY_BYTES = 1024 * 1024
"""A frame whose memory grew past this is destroyed on release, not pooled."""
MAX_IDLE_MS = 30_000
"""cleanup() destroys idle frames unused for longer than this ..."""
CLEANUP_MAX_USES = 5
"""... that were also handed out fewer than this many times."""
GC_INTERVAL_MS = 30_000
"""check_gc_pressure() fires above the threshold at most once per this interval ..."""
FORCE_GC_PRESSURE = 0.95
"""... and always above this pressure."""
TARGET_HIT_RATE = 0.8
"""auto_tune() grows a class whose hit rate is below this."""
SHRINK_FACTOR = 0.8
"""auto_tune() shrinks an under-used class to this fraction of its size."""
