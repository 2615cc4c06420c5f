"""The EVM workloads of the bench: transactions ready to run, on fresh state each time.

- ``demo contracts``: the ``framepool demo`` script (recursion to depth 1024, a CREATE2
  factory, a STATICCALL view, token transfers through a DELEGATECALL proxy, precompiles).
- ``demo 1024-deep recursion``: the script's first transaction, repeated.
- ``stCallCodes``, ``stStaticCall``, ``stCallCreateCallCodeTest``: every Cancun vector of
  those state-test folders, each on its own pre-state.
- ``long mixed run``: thousands of transactions against the demo contracts in the
  proportions of mainnet traffic (see ``_MIX``), on one evolving state, like a chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from framepool.bench.options import Settings
from framepool.evm import demo
from framepool.evm.fixtures import (
    FixtureError,
    fixtures_root,
    iter_fixture_files,
    iter_vectors,
    load_fixture_file,
)
from framepool.evm.hashing import keccak256
from framepool.evm.state import State
from framepool.evm.transaction import BlockContext, Transaction
from framepool.evm.vm import VM, block_from_env, transaction_from_vector

Job = tuple[State, BlockContext, Transaction]
"""One transaction, the state it runs on and its block."""

TUNE_EVERY = 100
"""Transactions between two ``optimize_frame_pools`` calls, as a node would tune once per block."""


@dataclass(frozen=True)
class Workload:
    name: str
    call_heavy: bool
    build: Callable[[], list[Job]]
    """Fresh jobs: new state objects every call, so a run never sees another run's effects."""
    independent: bool = False
    """Whether every job has a state of its own (then any subset of the jobs is a workload too)."""


def run_jobs(vm: VM, jobs: list[Job], first_index: int = 0) -> None:
    """Execute ``jobs`` in order; ``first_index`` is the position of ``jobs[0]`` in its workload."""
    for index, (state, block, tx) in enumerate(jobs, start=first_index):
        vm.execute_transaction(state, block, tx)
        if index % TUNE_EVERY == TUNE_EVERY - 1:
            vm.optimize_frame_pools()


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _demo_tx(nonce: int, to: int | None, data: bytes, gas: int, value: int = 0) -> Transaction:
    return Transaction(
        tx_type=0, sender=demo.SENDER, nonce=nonce, gas_limit=gas, to=to, value=value, data=data,
        gas_price=10,
    )


def _demo_contracts() -> list[Job]:
    state = demo.genesis()
    return [(state, demo.BLOCK, _demo_tx(n, s.to, s.data, s.gas)) for n, s in enumerate(demo.script())]


def _recursion(times: int) -> Callable[[], list[Job]]:
    deepest = demo.script()[0]  # recursion to the depth limit

    def build() -> list[Job]:
        state = demo.genesis()
        return [(state, demo.BLOCK, _demo_tx(n, deepest.to, deepest.data, deepest.gas)) for n in range(times)]

    return build


def _deployed_child(salt: int) -> int:
    """The address the demo factory deploys salt ``salt`` at (EIP-1014)."""
    digest = keccak256(
        b"\xff" + demo.FACTORY.to_bytes(20, "big") + _word(salt) + keccak256(demo.CHILD_INITCODE)
    )
    return int.from_bytes(digest[12:], "big")


_MIX = (
    # (weight, kind): by transaction count, roughly mainnet's composition.
    (35, "ether transfer"),  # to an account without code: the outermost frame only
    (30, "token transfer"),  # PROXY -> DELEGATECALL TOKEN, a log
    (15, "static view"),  # READER -> STATICCALL a deployed contract
    (10, "call chain"),  # RECURSOR on a small gas budget: a chain of about 3-25 nested CALLs
    (8, "precompiles"),  # HASHER -> sha256 and ripemd160
    (2, "contract creation"),  # a create transaction running the demo's init code
)


def _long_mixed(count: int) -> Callable[[], list[Job]]:
    """``count`` transactions: five CREATE2 deployments first, then ``_MIX`` in random order (seed 7).

    Why representative: most mainnet transactions are ether and token transfers,
    a sizeable share are view-heavy or nested DeFi calls a few frames deep, a few
    use precompiles and about one in fifty creates a contract. Deep recursion is
    rare on mainnet, so the 1024-deep case is a workload of its own, not part of this mix.
    """
    rng = random.Random(7)
    kinds = [kind for _, kind in _MIX]
    weights = [weight for weight, _ in _MIX]
    plan: list[tuple[int | None, bytes, int, int]] = [(demo.FACTORY, _word(5), 2_000_000, 0)]
    for _ in range(count - 1):
        kind = rng.choices(kinds, weights)[0]
        if kind == "ether transfer":
            plan.append((0xE0_0000 + rng.randrange(5_000), b"", 21_000, 1))
        elif kind == "token transfer":
            plan.append((demo.PROXY, _word(0xA000 + rng.randrange(500)) + _word(rng.randrange(1, 100)), 1_000_000, 0))
        elif kind == "static view":
            plan.append((demo.READER, _word(_deployed_child(rng.randrange(1, 6))), 1_000_000, 0))
        elif kind == "call chain":
            plan.append((demo.RECURSOR, _word(0), rng.randrange(45_000, 56_000), 0))
        elif kind == "precompiles":
            plan.append((demo.HASHER, rng.randbytes(rng.randrange(32, 257)), 1_000_000, 0))
        else:
            plan.append((None, demo.CHILD_INITCODE, 1_000_000, 0))

    def build() -> list[Job]:
        state = demo.genesis()
        return [
            (state, demo.BLOCK, _demo_tx(n, to, data, gas, value)) for n, (to, data, gas, value) in enumerate(plan)
        ]

    return build


def _fixture_folder(folder: str, files: int | None) -> Callable[[], list[Job]]:
    """Every Cancun vector of ``GeneralStateTests/folder`` (of its ``files`` smallest files, if given)."""
    paths = list(iter_fixture_files(fixtures_root() / "GeneralStateTests" / folder))
    if files is not None:
        paths = sorted(paths, key=lambda path: (path.stat().st_size, path.name))[:files]
    vectors = [v for path in paths for test in load_fixture_file(path) for v in iter_vectors(test)]
    if not vectors:
        raise FileNotFoundError(f"no Cancun vectors in {folder}")
    prepared = [(v.test.pre, block_from_env(v.test.env), transaction_from_vector(v)) for v in vectors]

    def build() -> list[Job]:
        return [(State.from_pre(pre), block, tx) for pre, block, tx in prepared]

    return build


RECURSION = "demo 1024-deep recursion"
LONG_RUN = "long mixed run"
FIXTURE_FOLDERS = ("stCallCodes", "stStaticCall", "stCallCreateCallCodeTest")


def evm_workloads(settings: Settings) -> tuple[list[Workload], dict[str, str]]:
    """The workloads that can run here, and why each of the others cannot (by name)."""
    found = [
        Workload("demo contracts", False, _demo_contracts),
        Workload(RECURSION, True, _recursion(settings.recursions)),
    ]
    missing: dict[str, str] = {}
    for folder in FIXTURE_FOLDERS:
        try:
            found.append(Workload(folder, True, _fixture_folder(folder, settings.fixture_files), independent=True))
        except (OSError, FixtureError) as exc:  # no checkout, no folder, unreadable file
            missing[folder] = str(exc)
    found.append(Workload(LONG_RUN, False, _long_mixed(settings.long_transactions)))
    return found, missing
