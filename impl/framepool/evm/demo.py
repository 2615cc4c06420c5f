"""``framepool demo``'s contract part: real contracts, run with pooling on and off.

The contracts, written in the assembler of ``framepool.evm.asm``:

* RECURSOR calls itself until the depth limit; slot 0 ends up holding the
  deepest call depth reached (1024).
* FACTORY deploys small contracts with CREATE2 (one per salt) and records each
  address in its storage.
* READER asks a deployed contract for its answer through STATICCALL.
* PROXY forwards every call by DELEGATECALL to TOKEN, a token whose balances
  live in the proxy's storage; transfers log an event.
* HASHER calls the sha256 and ripemd160 precompiles on its input.
* Prague's EIP-7702: an EOA (AUTHORITY) delegates to COUNTER in a set-code
  transaction whose call goes through FORWARDER, so the delegated call runs
  COUNTER's code on the EOA's own storage, on a CALL frame.

The block runs under Prague rules.

Every transaction runs on two VMs, one pooling frames and one not; the demo
prints both pools' statistics and checks that outputs, gas, logs and state
roots are identical.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from Crypto.Hash import RIPEMD160

from framepool.demo import unpooled_summary
from framepool.evm import trie
from framepool.evm.asm import assemble, initcode_for
from framepool.evm.forks import Fork
from framepool.evm.state import Account, State
from framepool.evm.transaction import (
    Authorization,
    BlockContext,
    Transaction,
    TxResult,
    sender_from_secret,
)
from framepool.evm.vm import VM
from framepool_spec.config import PoolConfig

SENDER = 0x5E4D_E200_0000_0000_0000_0000_0000_0000_0000_0001
RECURSOR = 0x1000
FACTORY = 0x2000
READER = 0x3000
PROXY = 0x4000
TOKEN = 0x5000
HASHER = 0x6000
COUNTER = 0x7000
FORWARDER = 0x8000
AUTHORITY_KEY = bytes([0x77] * 32)
AUTHORITY = sender_from_secret(AUTHORITY_KEY)
TRANSFER_TOPIC = 0xDDF2_52AD  # an arbitrary event id for the demo token's Transfer log
TOKEN_SUPPLY = 1_000_000

RECURSOR_CODE = assemble(
    """
    PUSH0 CALLDATALOAD          ; d = depth of this frame (the caller passes it)
    DUP1 PUSH0 SSTORE           ; slot 0 := d  (the deepest frame writes last)
    PUSH1 1 ADD PUSH0 MSTORE    ; mem[0] := d + 1
    PUSH0 PUSH0 PUSH1 32 PUSH0 PUSH0 ADDRESS GAS CALL   ; call ourselves with d + 1
    POP STOP                    ; past depth 1024 the CALL just fails
    """
)

CHILD_RUNTIME = assemble("PUSH1 42 PUSH0 MSTORE PUSH1 32 PUSH0 RETURN")
CHILD_INITCODE = initcode_for(CHILD_RUNTIME)

FACTORY_CODE = assemble(
    f"""
    PUSH{len(CHILD_INITCODE)} 0x{CHILD_INITCODE.hex()} PUSH0 MSTORE   ; init code, right-aligned in mem[0:32]
    PUSH0 CALLDATALOAD          ; n = how many contracts to deploy
    loop:
    DUP1 ISZERO @done JUMPI
    DUP1                        ; salt = n
    PUSH1 {len(CHILD_INITCODE)} PUSH1 {32 - len(CHILD_INITCODE)} PUSH0 CREATE2
    DUP2 SSTORE                 ; storage[salt] := deployed address
    PUSH1 1 SWAP1 SUB           ; n := n - 1
    @loop JUMP
    done:
    STOP
    """
)

READER_CODE = assemble(
    """
    PUSH1 32 PUSH0 PUSH0 PUSH0 PUSH0 CALLDATALOAD GAS STATICCALL   ; ask the contract named in calldata
    POP PUSH1 32 PUSH0 RETURN
    """
)

TOKEN_CODE = assemble(
    f"""
    ; calldata: [to (32 bytes) | amount (32 bytes)]; balances are keyed by address
    PUSH1 32 CALLDATALOAD       ; amount
    CALLER SLOAD                ; amount, balance(caller)
    DUP2 DUP2 LT @fail JUMPI    ; balance < amount: revert
    DUP2 SWAP1 SUB CALLER SSTORE        ; balance(caller) -= amount
    PUSH0 CALLDATALOAD DUP1 SLOAD DUP3 ADD SWAP1 SSTORE   ; balance(to) += amount
    PUSH0 MSTORE PUSH0 CALLDATALOAD PUSH4 {TRANSFER_TOPIC} PUSH1 32 PUSH0 LOG2
    STOP
    fail:
    PUSH0 PUSH0 REVERT
    """
)

PROXY_CODE = assemble(
    f"""
    CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY
    PUSH0 PUSH0 CALLDATASIZE PUSH0 PUSH2 {TOKEN} GAS DELEGATECALL
    @ok JUMPI
    PUSH0 PUSH0 REVERT
    ok:
    STOP
    """
)

HASHER_CODE = assemble(
    """
    CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY
    PUSH1 32 PUSH2 0x1000 CALLDATASIZE PUSH0 PUSH1 2 GAS STATICCALL POP   ; sha256
    PUSH1 32 PUSH2 0x1020 CALLDATASIZE PUSH0 PUSH1 3 GAS STATICCALL POP   ; ripemd160
    PUSH1 64 PUSH2 0x1000 RETURN
    """
)

COUNTER_CODE = assemble("PUSH0 SLOAD PUSH1 1 ADD DUP1 PUSH0 SSTORE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN")

FORWARDER_CODE = assemble(
    """
    PUSH1 32 PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 CALLDATALOAD GAS CALL   ; call the account named in calldata
    POP PUSH1 32 PUSH0 RETURN
    """
)

BLOCK = BlockContext(
    coinbase=0xC0FFEE,
    number=1,
    timestamp=1_700_000_000,
    gas_limit=10**13,
    prev_randao=0,
    base_fee=7,
    excess_blob_gas=0,
    fork=Fork.PRAGUE,
)


def genesis() -> State:
    code = {
        RECURSOR: RECURSOR_CODE,
        FACTORY: FACTORY_CODE,
        READER: READER_CODE,
        PROXY: PROXY_CODE,
        TOKEN: TOKEN_CODE,
        HASHER: HASHER_CODE,
        COUNTER: COUNTER_CODE,
        FORWARDER: FORWARDER_CODE,
    }
    accounts = {address: Account(nonce=1, code=c) for address, c in code.items()}
    accounts[PROXY].storage[SENDER] = TOKEN_SUPPLY
    accounts[SENDER] = Account(balance=10**30)
    return State(accounts)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@dataclass(frozen=True)
class Step:
    label: str
    to: int
    data: bytes
    gas: int = 1_000_000
    delegate_to: int | None = None
    """Set: a set-code transaction (EIP-7702) in which AUTHORITY delegates to this address."""


def _create2_address(salt: int) -> int:
    from framepool.evm.hashing import keccak256

    digest = keccak256(b"\xff" + FACTORY.to_bytes(20, "big") + _word(salt) + keccak256(CHILD_INITCODE))
    return int.from_bytes(digest[12:], "big")


def script() -> list[Step]:
    steps = [
        Step("recursion to the depth limit", RECURSOR, _word(0), gas=10**12),
        Step("CREATE2 factory: 5 contracts", FACTORY, _word(5), gas=2_000_000),
        Step("STATICCALL view of a deployed contract", READER, _word(_create2_address(3))),
    ]
    for i in range(1, 6):
        steps.append(Step(f"token transfer #{i} via DELEGATECALL proxy", PROXY, _word(0xA000 + i) + _word(1000 * i)))
    steps.append(Step("token transfer beyond balance (reverts)", PROXY, _word(0xA001) + _word(10**9)))
    steps.append(Step("sha256 + ripemd160 precompiles", HASHER, b"framepool"))
    steps.append(Step("EIP-7702: EOA delegates, then is called", FORWARDER, _word(AUTHORITY), delegate_to=COUNTER))
    return steps


@dataclass
class Run:
    results: list[TxResult]
    state: State
    seconds: float
    vm: VM


def run_script(config: PoolConfig) -> Run:
    vm = VM(config)
    state = genesis()
    results = []
    start = time.perf_counter()
    for nonce, step in enumerate(script()):
        if step.delegate_to is not None:
            auth = Authorization.signed(AUTHORITY_KEY, 1, step.delegate_to, 0)
            tx = Transaction(
                tx_type=4, sender=SENDER, nonce=nonce, gas_limit=step.gas, to=step.to, value=0,
                data=step.data, max_fee_per_gas=10, max_priority_fee_per_gas=3, authorizations=(auth,),
            )
        else:
            tx = Transaction(
                tx_type=0,
                sender=SENDER,
                nonce=nonce,
                gas_limit=step.gas,
                to=step.to,
                value=0,
                data=step.data,
                gas_price=10,
            )
        results.append(vm.execute_transaction(state, BLOCK, tx))
    return Run(results, state, time.perf_counter() - start, vm)


def expected_facts(run: Run) -> list[str]:
    """What the contracts must have done; each failed expectation as a sentence."""
    problems = []
    accounts = run.state.accounts
    depth = accounts[RECURSOR].storage.get(0, 0)
    if depth != 1024:
        problems.append(f"recursion reached depth {depth}, expected 1024")
    for salt in range(1, 6):
        address = accounts[FACTORY].storage.get(salt)
        if address != _create2_address(salt) or accounts[address].code != CHILD_RUNTIME:
            problems.append(f"CREATE2 salt {salt} did not deploy the expected contract")
    if run.results[2].output != _word(42):
        problems.append(f"STATICCALL view returned {run.results[2].output.hex()}, expected 42")
    balances = accounts[PROXY].storage
    if sum(balances.values()) != TOKEN_SUPPLY or balances.get(0xA005) != 5000:
        problems.append(f"token balances wrong: {balances}")
    if run.results[8].success:
        problems.append("the over-balance transfer did not revert")
    digest = hashlib.sha256(b"framepool").digest() + bytes(12) + RIPEMD160.new(b"framepool").digest()
    if run.results[9].output != digest:
        problems.append("precompile outputs differ from hashlib/pycryptodome")
    authority = accounts.get(AUTHORITY)
    if authority is None or authority.code != b"\xef\x01\x00" + COUNTER.to_bytes(20, "big"):
        problems.append("the EOA did not delegate to COUNTER")
    elif authority.storage.get(0) != 1 or run.results[10].output != _word(1):
        problems.append("the delegated call did not run COUNTER on the EOA's storage")
    return problems


CONTRACT_LEGEND = """\
  Reading it: every transaction runs on a pooled and an unpooled VM.
    gas          gas the transaction used: must be equal on both sides ("same": yes)
    state root   hash of every account after the last transaction: must be equal
    logs hashes  hash of each token transfer's event log (first 8 bytes): the events
                 were emitted (the runs agree on them: they are part of "same")
    wall time    ratio pooled / unpooled: below 1 means pooling is faster"""


def run_contract_demo(preset: str) -> bool:
    pooled = run_script(PoolConfig.preset(preset))
    unpooled = run_script(PoolConfig.disabled())
    print("## EVM contracts, pooling on and off")
    print(f"{'transaction':<46}{'gas (pooled)':>14}{'gas (unpooled)':>16}  same")
    identical = True
    for step, a, b in zip(script(), pooled.results, unpooled.results):
        same = (a.error, a.success, a.gas_used, a.output, a.logs) == (b.error, b.success, b.gas_used, b.output, b.logs)
        identical &= same
        status = "ok" if a.success else "reverted" if a.error is None else f"invalid: {a.error}"
        print(f"{step.label:<46}{a.gas_used:>14}{b.gas_used:>16}  {'yes' if same else 'NO'}  ({status})")
    roots = (pooled.state.root(), unpooled.state.root())
    identical &= roots[0] == roots[1]
    print(f"state root pooled   0x{roots[0].hex()}")
    print(f"state root unpooled 0x{roots[1].hex()}")
    logs = [trie.logs_hash(r.logs).hex()[:16] for r in pooled.results[3:8]]
    print(f"token transfer logs hashes: {', '.join(logs)}")
    print(f"wall time: pooled {pooled.seconds:.3f}s, unpooled {unpooled.seconds:.3f}s "
          f"(ratio {pooled.seconds / unpooled.seconds:.3f})")
    print(CONTRACT_LEGEND)
    print()
    print(pooled.vm.get_frame_pool_statistics().summary(f"EVM POOL STATISTICS ({preset})"))
    print()
    print(unpooled_summary(unpooled.vm.get_frame_pool_statistics(), "EVM POOL STATISTICS (pooling disabled)"))
    problems = expected_facts(pooled) + expected_facts(unpooled)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"results identical: {identical}; contracts behaved as expected: {not problems}")
    return identical and not problems
