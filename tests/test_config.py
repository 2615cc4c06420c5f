"""PoolConfig validation, presets, size classes and the parent/child table."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given

from framepool_spec.config import (
    MAX_FRAME_SIZES,
    MAX_POOL_SIZE,
    PRESET_NAMES,
    FrameType,
    PoolConfig,
    can_be_parent_of,
)
from framepool_spec.conformance import pool_configs


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_presets_are_valid_and_named(name: str) -> None:
    config = PoolConfig.preset(name)
    assert config == getattr(PoolConfig, name)()
    assert len(config.initial_pool_sizes) == len(config.max_pool_sizes) == MAX_FRAME_SIZES
    # Rebuilding from its own fields passes validation and gives the same config.
    assert PoolConfig(**dataclasses.asdict(config)) == config


def test_preset_accepts_dashes() -> None:
    assert PoolConfig.preset("high-performance") == PoolConfig.high_performance()


def test_unknown_preset_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown preset 'turbo'"):
        PoolConfig.preset("turbo")


def test_short_size_tuples_are_padded_with_zeros() -> None:
    config = PoolConfig(initial_pool_sizes=(1, 2), max_pool_sizes=(3, 4, 5))
    assert config.initial_pool_sizes == (1, 2, 0, 0, 0, 0, 0, 0)
    assert config.max_pool_sizes == (3, 4, 5, 0, 0, 0, 0, 0)
    assert [config.has_pool(c) for c in range(MAX_FRAME_SIZES)] == [True] * 3 + [False] * 5


# Each invalid field, and the text the error must contain (the field's name).
INVALID: list[tuple[dict[str, Any], str]] = [
    (
        {"initial_pool_sizes": (5,), "max_pool_sizes": (4,)},
        r"initial_pool_sizes\[0\] \(5\) exceeds max_pool_sizes\[0\] \(4\)",
    ),
    ({"initial_pool_sizes": (0, 3), "max_pool_sizes": (1, 2)}, r"initial_pool_sizes\[1\]"),
    ({"initial_pool_sizes": (-1,)}, r"initial_pool_sizes\[0\] must be in \[0, 4096\]"),
    ({"max_pool_sizes": (8, -2)}, r"max_pool_sizes\[1\] must be in"),
    ({"max_pool_sizes": (MAX_POOL_SIZE + 1,)}, r"max_pool_sizes\[0\] must be in"),
    ({"initial_pool_sizes": (1.5,)}, r"initial_pool_sizes\[0\] must be an integer"),
    ({"max_pool_sizes": (True,)}, r"max_pool_sizes\[0\] must be an integer"),
    ({"max_pool_sizes": "12"}, r"max_pool_sizes must be a tuple"),
    (
        {"initial_pool_sizes": (0,) * 9, "max_pool_sizes": (0,) * 9},
        r"initial_pool_sizes has 9 classes",
    ),
    ({"max_pool_sizes": (1,) * 9}, r"max_pool_sizes has 9 classes"),
    ({"growth_factor": 0.99}, r"growth_factor must be >= 1 with pooling on"),
    ({"growth_factor": math.nan}, r"growth_factor must be a number"),
    ({"growth_factor": math.inf}, r"growth_factor must be at most 16"),
    ({"growth_factor": 17.0}, r"growth_factor must be at most 16"),
    ({"growth_factor": True}, r"growth_factor must be a number"),
    ({"enable_pooling": False, "growth_factor": -0.5}, r"growth_factor must not be negative"),
    ({"shrink_threshold": -0.01}, r"shrink_threshold must be in \[0, 1\]"),
    ({"shrink_threshold": 1.01}, r"shrink_threshold must be in \[0, 1\]"),
    ({"shrink_threshold": math.nan}, r"shrink_threshold must be in \[0, 1\]"),
    ({"shrink_threshold": "0.5"}, r"shrink_threshold must be a number"),
    ({"gc_pressure_threshold": 2}, r"gc_pressure_threshold must be in \[0, 1\]"),
    ({"gc_pressure_threshold": math.nan}, r"gc_pressure_threshold must be in \[0, 1\]"),
    ({"gc_pressure_threshold": -math.inf}, r"gc_pressure_threshold must be in \[0, 1\]"),
    ({"pool_cleanup_interval": -1}, r"pool_cleanup_interval must be in"),
    ({"pool_cleanup_interval": 1.0}, r"pool_cleanup_interval must be an integer"),
    ({"enable_pooling": 1}, r"enable_pooling must be a bool"),
    ({"enable_size_classes": None}, r"enable_size_classes must be a bool"),
    ({"enable_auto_tuning": "yes"}, r"enable_auto_tuning must be a bool"),
    ({"enable_gc_integration": 0}, r"enable_gc_integration must be a bool"),
]


@pytest.mark.parametrize(("fields", "message"), INVALID, ids=[m[:40] for _, m in INVALID])
def test_invalid_field_raises_value_error_naming_it(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PoolConfig(**fields)


def test_growth_below_one_is_allowed_with_pooling_off() -> None:
    config = PoolConfig(enable_pooling=False, growth_factor=0.5)
    assert config.growth_factor == 0.5
    assert not any(config.has_pool(c) for c in range(MAX_FRAME_SIZES))


def test_threshold_bounds_are_inclusive() -> None:
    for value in (0, 0.0, 1, 1.0):
        config = PoolConfig(shrink_threshold=value, gc_pressure_threshold=value)
        assert config.shrink_threshold == value


@given(pool_configs())
def test_generated_configs_are_valid_and_small(config: PoolConfig) -> None:
    assert PoolConfig(**dataclasses.asdict(config)) == config
    assert max(config.max_pool_sizes) <= 8
    assert all(i <= m for i, m in zip(config.initial_pool_sizes, config.max_pool_sizes))


def test_size_class_follows_the_switch() -> None:
    on = PoolConfig()
    off = PoolConfig.minimal()
    for t in FrameType:
        assert on.size_class(t) == int(t)
        assert off.size_class(t) == 0


def test_has_pool_needs_pooling_and_a_positive_maximum() -> None:
    config = PoolConfig(max_pool_sizes=(4, 0), initial_pool_sizes=(2, 0))
    assert config.has_pool(0) and not config.has_pool(1)
    assert not PoolConfig.disabled().has_pool(0)
    assert not PoolConfig(
        enable_pooling=False, initial_pool_sizes=(), max_pool_sizes=(4,)
    ).has_pool(0)


def test_parent_table() -> None:
    refused = {
        (parent, child)
        for parent in FrameType
        for child in FrameType
        if not can_be_parent_of(parent, child)
    }
    expected = {(FrameType.PRECOMPILE, child) for child in FrameType} | {
        (FrameType.STATIC_CALL, FrameType.CREATE),
        (FrameType.STATIC_CALL, FrameType.CREATE2),
    }
    assert refused == expected
    # The pairings the sketch's table got wrong are allowed.
    assert can_be_parent_of(FrameType.CALL, FrameType.CREATE)
    assert can_be_parent_of(FrameType.CREATE, FrameType.CALL)
    assert can_be_parent_of(FrameType.STATIC_CALL, FrameType.CALL)
