"""LOG0-LOG4."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
    WriteInStaticContext,
)
from framepool.evm.instructions.common import (
    G_LOG_DATA,
    OpFn,
    charge,
    expand,
)


def make_log(n: int) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        off = s.pop()
        size = s.pop()
        topics = tuple(s.pop() for _ in range(n))
        if size:
            charge(c, G_LOG_DATA * size)
            expand(c, off + size)
        if c.is_static:
            raise WriteInStaticContext
        c.env.state.add_log(c.address, topics, bytes(c.memory[off : off + size]) if size else b"")
        return pc

    op.__name__ = f"op_log{n}"
    return op
