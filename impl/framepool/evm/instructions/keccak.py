"""0x20: KECCAK256."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
)
from framepool.evm.hashing import keccak256
from framepool.evm.instructions.common import (
    G_KECCAK_WORD,
    charge,
    expand,
)


def op_keccak(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    size = s[-1]
    if size:
        charge(c, G_KECCAK_WORD * ((size + 31) >> 5))
        expand(c, off + size)
        s[-1] = int.from_bytes(keccak256(c.memory[off : off + size]), "big")
    else:
        s[-1] = 0xC5D2460186F7233C927E7DB2DCC703C0E500B653CA82273B7BFAD8045D85A470
    return pc
