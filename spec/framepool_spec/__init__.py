"""framepool_spec: the executable reference model of the call-frame pool."""

from framepool_spec.config import (
    MAX_FRAME_SIZES,
    PRESET_NAMES,
    FrameType,
    PoolConfig,
    can_be_parent_of,
)

__all__ = ["MAX_FRAME_SIZES", "PRESET_NAMES", "FrameType", "PoolConfig", "can_be_parent_of"]
