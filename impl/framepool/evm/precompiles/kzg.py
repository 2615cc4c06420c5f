"""0x0a POINT_EVALUATION (EIP-4844): verify a KZG proof that a blob's polynomial takes value
``y`` at ``z``, through ckzg with the mainnet trusted setup."""

from __future__ import annotations

import hashlib
import threading
from importlib import resources

import ckzg

from framepool.evm.precompiles.base import Handler, PrecompileFailure, fixed

__all__ = [
    "BLS_MODULUS",
    "FIELD_ELEMENTS_PER_BLOB",
    "POINT_EVALUATION",
    "load_trusted_setup",
]

BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
FIELD_ELEMENTS_PER_BLOB = 4096
VERSIONED_HASH_VERSION_KZG = 0x01
POINT_EVALUATION_GAS = 50000

_setup_lock = threading.Lock()
_trusted_setup: object | None = None


def load_trusted_setup() -> object:
    """The mainnet KZG trusted setup (ckzg handle), loaded once on first use (thread-safe).

    The file ships as package data: ``framepool/evm/data/trusted_setup.txt``.
    """
    global _trusted_setup
    setup = _trusted_setup
    if setup is not None:
        return setup
    with _setup_lock:
        if _trusted_setup is None:
            ref = resources.files("framepool.evm").joinpath("data/trusted_setup.txt")
            with resources.as_file(ref) as path:
                if not path.is_file():
                    raise FileNotFoundError(f"KZG trusted setup missing: {path}")
                _trusted_setup = ckzg.load_trusted_setup(str(path), 0)
        return _trusted_setup


def _point_evaluation(data: bytes) -> bytes:
    if len(data) != 192:
        raise PrecompileFailure("input must be exactly 192 bytes")
    versioned_hash = data[0:32]
    z = data[32:64]
    y = data[64:96]
    commitment = data[96:144]
    proof = data[144:192]
    if (
        bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(commitment).digest()[1:]
        != versioned_hash
    ):
        raise PrecompileFailure("versioned hash does not match the commitment")
    try:
        valid = ckzg.verify_kzg_proof(commitment, z, y, proof, load_trusted_setup())
    except (RuntimeError, ValueError) as exc:
        # malformed commitment/proof, or z/y not canonical field elements
        raise PrecompileFailure(f"KZG verification error: {exc}") from exc
    if not valid:
        raise PrecompileFailure("KZG proof does not verify")
    return FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")


POINT_EVALUATION: Handler = fixed(POINT_EVALUATION_GAS, _point_evaluation)
