"""The precompiled contracts, one module per family, and each fork's set of them.

``precompiles_for(fork)`` maps each active address to a ``Precompile``;
``precompile(data, gas)`` returns ``(success, gas_used, output)``, and a failure (out of gas,
or input the contract rejects) consumes all the gas given and returns no output:
``(False, gas, b"")``. ``Precompile.name`` is the contract's name in the EIPs.

Libraries (native code for all curve arithmetic and hashing, but alt_bn128's): coincurve
(secp256k1 recovery), hashlib / pycryptodome (SHA-256, RIPEMD-160), py_ecc (alt_bn128, pure
Python), blake2b-py (BLAKE2 F), ckzg (KZG point evaluation), py-arkworks-bls12381
(BLS12-381), cryptography (P-256 verification).
"""

from __future__ import annotations

from framepool.evm.precompiles.base import Precompile, PrecompileResult
from framepool.evm.precompiles.sets import precompiles_for

__all__ = ["Precompile", "PrecompileResult", "precompiles_for"]
