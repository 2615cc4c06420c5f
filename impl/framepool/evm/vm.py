"""The VM facade: an EVM (Shanghai to Osaka, the fork chosen per block) whose frames come from
a ``FramePoolManager``.

There is one code path: with pooling disabled the manager is built from
``PoolConfig.disabled()`` and simply hands out fresh frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from framepool import FramePoolManager, PoolConfig
from framepool.evm.context import EvmFrame
from framepool.evm.forks import Fork
from framepool.evm.state import State
from framepool.evm.transaction import (
    Authorization,
    BlockContext,
    Transaction,
    TxResult,
    process_transaction,
    sender_from_secret,
)

if TYPE_CHECKING:
    from framepool.evm.trace import Tracer

__all__ = ["VM", "VectorResult", "block_from_env", "evm_manager", "transaction_from_vector"]


@dataclass(frozen=True)
class VectorResult:
    """The outcome of one state-test vector."""

    name: str
    fork: str
    index: int
    passed: bool
    state_root: str
    logs_hash: str
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fork": self.fork,
            "index": self.index,
            "pass": self.passed,
            "stateRoot": self.state_root,
            "logsHash": self.logs_hash,
            "error": self.error,
        }


def block_from_env(env: Any, fork: Fork = Fork.CANCUN) -> BlockContext:
    """A ``BlockContext`` from a fixture ``BlockEnv``, under ``fork``'s rules."""
    return BlockContext(
        coinbase=env.coinbase,
        number=env.number,
        timestamp=env.timestamp,
        gas_limit=env.gas_limit,
        prev_randao=env.prev_randao,
        base_fee=env.base_fee,
        excess_blob_gas=env.excess_blob_gas,
        fork=fork,
    )


def transaction_from_vector(vector: Any) -> Transaction:
    """The concrete transaction of a fixture ``Vector`` (type chosen from the template's fields)."""
    t = vector.test.tx
    access_list = vector.access_list
    if t.authorizations is not None:
        tx_type = 4
    elif t.blob_versioned_hashes is not None:
        tx_type = 3
    elif t.max_fee_per_gas is not None:
        tx_type = 2
    elif access_list is not None:
        tx_type = 1
    else:
        tx_type = 0
    return Transaction(
        tx_type=tx_type,
        sender=sender_from_secret(bytes(t.secret_key)),
        nonce=t.nonce,
        gas_limit=vector.gas_limit,
        to=t.to,
        value=vector.value,
        data=bytes(vector.data),
        gas_price=t.gas_price or 0,
        max_fee_per_gas=t.max_fee_per_gas or 0,
        max_priority_fee_per_gas=t.max_priority_fee_per_gas or 0,
        access_list=access_list or (),
        max_fee_per_blob_gas=t.max_fee_per_blob_gas or 0,
        blob_versioned_hashes=tuple(t.blob_versioned_hashes or ()),
        authorizations=tuple(Authorization(*a) for a in t.authorizations or ()),
    )


def evm_manager(config: PoolConfig, *, track_events: bool = False) -> FramePoolManager:
    """A pool manager whose frames are EVM execution contexts.

    It keeps every count but, unless ``track_events``, no event timeline
    (``allocation_events``): every message pays for what it records, and the timeline
    costs more per hand-out than the counts (``framepool bench``, management overhead).
    """
    return FramePoolManager(config, frame_class=EvmFrame, track_events=track_events)


class VM:
    """Runs transactions; every message call, creation and precompile run uses a pooled frame."""

    def __init__(self, config: PoolConfig | None = None, *, manager: FramePoolManager | None = None) -> None:
        """A VM pooling frames per ``config`` (default: no pooling), or on a shared ``manager``.

        Several VMs on several threads may share one manager: it is thread-safe,
        and each transaction's frames stay on the thread that runs it. The frames are the
        execution contexts, so the manager must hand out ``EvmFrame``s (build it with
        ``frame_class=EvmFrame``, as ``evm_manager`` does).
        """
        if manager is not None and config is not None:
            raise ValueError("give either config or manager, not both")
        if manager is not None and not isinstance(manager, FramePoolManager):
            raise TypeError(f"manager must be a FramePoolManager, got {type(manager).__name__}")
        if manager is not None and not issubclass(manager.frame_class, EvmFrame):
            raise TypeError(
                f"the manager's frames ({manager.frame_class.__name__}) cannot hold an EVM "
                "execution context: build it with frame_class=EvmFrame"
            )
        if manager is None:
            manager = evm_manager(config if config is not None else PoolConfig.disabled())
        self._manager = manager

    @property
    def manager(self) -> FramePoolManager:
        return self._manager

    # ---- pool control -------------------------------------------------------------

    def enable_frame_pooling(self, config: PoolConfig | None = None) -> None:
        """Switch to a pooling manager (``high_performance`` unless ``config`` is given)."""
        if config is None:
            config = PoolConfig.high_performance()
        if not isinstance(config, PoolConfig):
            raise TypeError(f"config must be a PoolConfig, got {type(config).__name__}")
        old = self._manager
        self._manager = evm_manager(config)
        old.close()

    def disable_frame_pooling(self) -> None:
        """Switch to a manager that pools nothing (fresh frames every time)."""
        old = self._manager
        self._manager = evm_manager(PoolConfig.disabled())
        old.close()

    def get_frame_pool_statistics(self) -> Any:
        return self._manager.statistics()

    def optimize_frame_pools(self) -> None:
        self._manager.auto_tune()

    def cleanup_frame_pools(self) -> int:
        return self._manager.cleanup()

    # ---- execution ----------------------------------------------------------------

    def execute_transaction(
        self, state: State, block: BlockContext, tx: Transaction, tracer: Tracer | None = None
    ) -> TxResult:
        """Apply ``tx`` to ``state`` on pooled frames; ``tracer`` writes its EIP-3155 trace."""
        if not isinstance(state, State):
            raise TypeError(f"state must be a framepool.evm.state.State, got {type(state).__name__}")
        if not isinstance(tx, Transaction):
            raise TypeError(f"tx must be a Transaction, got {type(tx).__name__}")
        result = process_transaction(state, block, tx, self._manager, tracer)
        # Pool housekeeping between transactions (no-op until pool_cleanup_interval elapsed).
        self._manager.maybe_cleanup()
        return result

    def run_vector(self, vector: Any, tracer: Tracer | None = None) -> VectorResult:
        """Run one fixture vector on a fresh copy of its pre-state and compare with ``post``,
        under the rules of the fork it is filed under (its ``post`` key); ``tracer`` writes
        the transaction's EIP-3155 trace."""
        from framepool.evm import trie

        test = vector.test
        entry = vector.entry
        state = State.from_pre(test.pre)
        tx = transaction_from_vector(vector)
        block = block_from_env(test.env, Fork.from_name(vector.fork))
        result = self.execute_transaction(state, block, tx, tracer)
        root = state.root()
        logs_hash = trie.logs_hash(result.logs)
        expected_invalid = entry.expect_exception is not None
        problems: list[str] = []
        if root != entry.state_root:
            problems.append(f"state root {root.hex()} != expected {entry.state_root.hex()}")
        if logs_hash != entry.logs_hash:
            problems.append(f"logs hash {logs_hash.hex()} != expected {entry.logs_hash.hex()}")
        if expected_invalid and result.error is None:
            problems.append(f"expected invalid transaction ({entry.expect_exception}) but it was valid")
        if not expected_invalid and result.error is not None:
            problems.append(f"transaction rejected: {result.error}")
        error: str | None
        if problems:
            error = "; ".join(problems)
        else:
            error = result.error
            if result.error is not None and entry.expect_exception is not None:
                expected = [e.rsplit(".", 1)[-1] for e in entry.expect_exception.split("|")]
                if result.error not in expected:
                    # Same outcome (nothing changed), different rule named: report, don't fail.
                    error = f"{result.error} (fixture expects {entry.expect_exception})"
        return VectorResult(
            name=test.name,
            fork=vector.fork,
            index=vector.index,
            passed=not problems,
            state_root="0x" + root.hex(),
            logs_hash="0x" + logs_hash.hex(),
            error=error,
        )
