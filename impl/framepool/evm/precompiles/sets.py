"""The precompile set of each fork, built once at import: ``precompiles_for(fork)``.

Each fork's set is the previous fork's plus what it adds or reprices, so the table below is
the whole history in one place:

* Shanghai: 0x01-0x09 (MODEXP priced by EIP-2565);
* Cancun: + 0x0a POINT_EVALUATION (EIP-4844);
* Prague: + 0x0b-0x11, the BLS12-381 precompiles (EIP-2537);
* Osaka: + 0x100 P256VERIFY (EIP-7951); MODEXP bounded by EIP-7823 and priced by EIP-7883.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from framepool.evm.forks import Fork
from framepool.evm.precompiles import bls12_381, bn254, hashes
from framepool.evm.precompiles.base import Precompile
from framepool.evm.precompiles.blake2f import BLAKE2F
from framepool.evm.precompiles.ecrecover import ECRECOVER
from framepool.evm.precompiles.kzg import POINT_EVALUATION
from framepool.evm.precompiles.modexp import MODEXP_EIP2565, MODEXP_EIP7883
from framepool.evm.precompiles.p256 import P256VERIFY

__all__ = ["precompiles_for"]

_CHANGES: dict[Fork, dict[int, Precompile]] = {
    Fork.SHANGHAI: {
        0x01: Precompile("ECRECOVER", ECRECOVER),
        0x02: Precompile("SHA256", hashes.SHA256),
        0x03: Precompile("RIPEMD160", hashes.RIPEMD160_HANDLER),
        0x04: Precompile("IDENTITY", hashes.IDENTITY),
        0x05: Precompile("MODEXP", MODEXP_EIP2565),
        0x06: Precompile("ECADD", bn254.ECADD),
        0x07: Precompile("ECMUL", bn254.ECMUL),
        0x08: Precompile("ECPAIRING", bn254.ECPAIRING),
        0x09: Precompile("BLAKE2F", BLAKE2F),
    },
    Fork.CANCUN: {
        0x0A: Precompile("POINT_EVALUATION", POINT_EVALUATION),
    },
    Fork.PRAGUE: {
        0x0B: Precompile("BLS12_G1ADD", bls12_381.G1ADD),
        0x0C: Precompile("BLS12_G1MSM", bls12_381.G1MSM),
        0x0D: Precompile("BLS12_G2ADD", bls12_381.G2ADD),
        0x0E: Precompile("BLS12_G2MSM", bls12_381.G2MSM),
        0x0F: Precompile("BLS12_PAIRING_CHECK", bls12_381.PAIRING_CHECK),
        0x10: Precompile("BLS12_MAP_FP_TO_G1", bls12_381.MAP_FP_TO_G1),
        0x11: Precompile("BLS12_MAP_FP2_TO_G2", bls12_381.MAP_FP2_TO_G2),
    },
    Fork.OSAKA: {
        0x05: Precompile("MODEXP", MODEXP_EIP7883),
        0x100: Precompile("P256VERIFY", P256VERIFY),
    },
}


def _build() -> dict[Fork, Mapping[int, Precompile]]:
    sets: dict[Fork, Mapping[int, Precompile]] = {}
    current: dict[int, Precompile] = {}
    for fork in Fork:  # activation order
        current = {**current, **_CHANGES.get(fork, {})}
        sets[fork] = MappingProxyType(dict(sorted(current.items())))
    return sets


_SETS = _build()


def precompiles_for(fork: Fork) -> Mapping[int, Precompile]:
    """The precompiles active under ``fork``: address -> ``Precompile`` (read-only, shared).

    ``precompiles_for(fork)[address](data, gas)`` runs one; its keys are the addresses that
    start warm in every transaction (EIP-2929).
    """
    return _SETS[fork]
