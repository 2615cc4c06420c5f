"""The fork as data: per-fork instruction tables and rules, and the Shanghai, Prague and
Osaka rules a state test can see (EIP-6780's absence, EIP-7702, 7623, 7691, 7825, 7939)."""

from __future__ import annotations

import pytest

from framepool import FrameType, PoolConfig
from framepool.evm.forks import Fork
from framepool.evm.hashing import keccak256
from framepool.evm.instructions import INSTRUCTIONS
from framepool.evm.instructions.system import op_invalid
from framepool.evm.rules import RULES
from framepool.evm.state import Account, State
from framepool.evm.transaction import (
    Authorization,
    BlockContext,
    Transaction,
    TxResult,
    excess_blob_gas,
    floor_gas,
    intrinsic_gas,
    sender_from_secret,
)
from framepool.evm.vm import VM

SECRET = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = sender_from_secret(SECRET)
AUTH_KEY = bytes.fromhex("11" * 32)
AUTHORITY = sender_from_secret(AUTH_KEY)
CONTRACT = 0xC0DE
DELEGATE = 0xDE1E
COINBASE = 0xC0FFEE


def _block(fork: Fork) -> BlockContext:
    return BlockContext(
        coinbase=COINBASE, number=1, timestamp=1000, gas_limit=2**40, prev_randao=0,
        base_fee=0, excess_blob_gas=0, fork=fork,
    )


def _push(value: int, size: int = 1) -> bytes:
    return bytes([0x5F + size]) + value.to_bytes(size, "big")


def _tx(**kw: object) -> Transaction:
    base: dict[str, object] = {
        "tx_type": 2, "sender": SENDER, "nonce": 0, "gas_limit": 1_000_000, "to": CONTRACT,
        "value": 0, "data": b"", "max_fee_per_gas": 1, "max_priority_fee_per_gas": 0,
    }
    base.update(kw)
    return Transaction(**base)  # type: ignore[arg-type]


def _run(fork: Fork, state: State, tx: Transaction, pooled: bool = True) -> TxResult:
    vm = VM(PoolConfig.high_performance() if pooled else None)
    return vm.execute_transaction(state, _block(fork), tx)


def _sign(chain_id: int, address: int, nonce: int) -> Authorization:
    return Authorization.signed(AUTH_KEY, chain_id, address, nonce)


# --------------------------------------------------------------------------- tables


def test_each_fork_table_differs_from_the_previous_exactly_where_the_fork_changed_it() -> None:
    def defined(fork: Fork) -> set[int]:
        return {op for op, fn in enumerate(INSTRUCTIONS[fork].table) if fn is not op_invalid}

    assert defined(Fork.CANCUN) - defined(Fork.SHANGHAI) == {0x49, 0x4A, 0x5C, 0x5D, 0x5E}
    assert defined(Fork.PRAGUE) == defined(Fork.CANCUN)
    assert defined(Fork.OSAKA) - defined(Fork.PRAGUE) == {0x1E}
    assert INSTRUCTIONS[Fork.SHANGHAI].table[0xFF] is not INSTRUCTIONS[Fork.CANCUN].table[0xFF]
    # An opcode a fork leaves undefined has no static gas and ends a block.
    assert INSTRUCTIONS[Fork.SHANGHAI].static_gas[0x5C] == 0
    assert INSTRUCTIONS[Fork.CANCUN].static_gas[0x5C] == 100
    assert 0x1E in INSTRUCTIONS[Fork.PRAGUE].block_enders
    assert 0x1E not in INSTRUCTIONS[Fork.OSAKA].block_enders


def test_rules_are_built_once_per_fork() -> None:
    assert [r.fork for r in RULES.values()] == list(Fork)
    assert all(RULES[f].instructions is INSTRUCTIONS[f] for f in Fork)
    assert 0x0A not in RULES[Fork.SHANGHAI].precompiles and 0x0A in RULES[Fork.CANCUN].precompiles


@pytest.mark.parametrize(("fork", "stored"), [(Fork.SHANGHAI, None), (Fork.CANCUN, 7)])
def test_tstore_is_undefined_before_cancun(fork: Fork, stored: int | None) -> None:
    # TSTORE(0, 7); SSTORE(0, TLOAD(0))
    code = _push(7) + _push(0) + b"\x5d" + _push(0) + b"\x5c" + _push(0) + b"\x55"
    state = State({SENDER: Account(balance=10**18), CONTRACT: Account(code=code)})
    result = _run(fork, state, _tx())
    assert result.success is (stored is not None)
    assert state.accounts[CONTRACT].storage.get(0) == stored


@pytest.mark.parametrize(("fork", "deleted"), [(Fork.SHANGHAI, True), (Fork.CANCUN, False)])
def test_selfdestruct_of_a_pre_existing_account_deletes_it_only_before_cancun(
    fork: Fork, deleted: bool
) -> None:
    code = _push(0xBEEF, 2) + b"\xff"
    state = State({SENDER: Account(balance=10**18), CONTRACT: Account(code=code, balance=5)})
    assert _run(fork, state, _tx()).success
    assert (CONTRACT not in state.accounts) is deleted
    assert state.accounts[0xBEEF].balance == 5


def test_blob_transaction_is_rejected_before_cancun() -> None:
    tx = _tx(tx_type=3, max_fee_per_blob_gas=1, blob_versioned_hashes=(b"\x01" + bytes(31),))
    state = State({SENDER: Account(balance=10**18)})
    assert _run(Fork.SHANGHAI, state, tx).error == "TYPE_3_TX_PRE_FORK"
    assert _run(Fork.CANCUN, state, tx).error is None


# --------------------------------------------------------------------------- Osaka


@pytest.mark.parametrize(("x", "zeros"), [(0, 256), (1, 255), (2**255, 0), (2**200 + 5, 55)])
def test_clz_counts_leading_zero_bits_from_osaka(x: int, zeros: int) -> None:
    code = _push(x, 32) + b"\x1e" + _push(0) + b"\x55"  # SSTORE(0, CLZ(x))
    for fork, expect in ((Fork.PRAGUE, None), (Fork.OSAKA, zeros)):
        state = State({SENDER: Account(balance=10**18), CONTRACT: Account(code=code)})
        result = _run(fork, state, _tx())
        assert result.success is (expect is not None)
        assert state.accounts[CONTRACT].storage.get(0) == (expect or None)


def test_transaction_gas_limit_is_capped_from_osaka() -> None:
    state = State({SENDER: Account(balance=10**18)})
    tx = _tx(gas_limit=2**24 + 1)
    assert _run(Fork.OSAKA, state, tx).error == "GAS_LIMIT_EXCEEDS_MAXIMUM"
    assert _run(Fork.OSAKA, state, _tx(gas_limit=2**24)).error is None
    assert _run(Fork.PRAGUE, State({SENDER: Account(balance=10**18)}), tx).error is None


def test_blob_count_per_transaction_follows_the_fork() -> None:
    hashes = tuple(b"\x01" + bytes([i]) * 31 for i in range(7))
    tx = _tx(tx_type=3, max_fee_per_blob_gas=1, blob_versioned_hashes=hashes)
    for fork, error in (
        (Fork.CANCUN, "TYPE_3_TX_BLOB_COUNT_EXCEEDED"),  # 6 per block
        (Fork.PRAGUE, None),  # EIP-7691: 9 per block
        (Fork.OSAKA, "TYPE_3_TX_BLOB_COUNT_EXCEEDED"),  # EIP-7594: 6 per transaction
    ):
        assert _run(fork, State({SENDER: Account(balance=10**18)}), tx).error == error


# --------------------------------------------------------------------------- EIP-7623


def test_calldata_floor_is_charged_from_prague() -> None:
    data = b"\x01" * 1000  # 4000 tokens: floor 61000, standard cost 21000 + 16000
    tx = _tx(data=data, to=0xE0A)  # an empty account: no execution gas
    assert intrinsic_gas(tx) == 37_000
    assert floor_gas(tx, RULES[Fork.CANCUN]) == 0
    assert floor_gas(tx, RULES[Fork.PRAGUE]) == 61_000
    assert _run(Fork.CANCUN, State({SENDER: Account(balance=10**18)}), tx).gas_used == 37_000
    assert _run(Fork.PRAGUE, State({SENDER: Account(balance=10**18)}), tx).gas_used == 61_000
    short = _tx(data=data, to=0xE0A, gas_limit=60_999)
    assert _run(Fork.CANCUN, State({SENDER: Account(balance=10**18)}), short).error is None
    result = _run(Fork.PRAGUE, State({SENDER: Account(balance=10**18)}), short)
    assert result.error == "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST"


# --------------------------------------------------------------------------- EIP-7702

# The delegate stores CALLER in slot 0 and CALLVALUE + 1 in slot 1.
DELEGATE_CODE = b"\x33" + _push(0) + b"\x55" + b"\x34" + _push(1) + b"\x01" + _push(1) + b"\x55"


def _setcode_state(authority: Account | None = None) -> State:
    accounts = {
        SENDER: Account(balance=10**18),
        DELEGATE: Account(code=DELEGATE_CODE),
    }
    if authority is not None:
        accounts[AUTHORITY] = authority
    return State(accounts)


def _setcode_tx(*auths: Authorization, to: int | None = AUTHORITY, **kw: object) -> Transaction:
    return _tx(tx_type=4, to=to, authorizations=auths, **kw)


@pytest.mark.parametrize("pooled", [True, False])
def test_set_code_transaction_delegates_and_the_call_runs_the_delegate_code(pooled: bool) -> None:
    state = _setcode_state()
    result = _run(Fork.PRAGUE, state, _setcode_tx(_sign(1, DELEGATE, 0)), pooled)
    assert result.error is None and result.success
    acct = state.accounts[AUTHORITY]
    assert acct.code == b"\xef\x01\x00" + DELEGATE.to_bytes(20, "big")
    assert acct.nonce == 1
    assert acct.storage == {0: SENDER, 1: 1}  # the delegate's code ran on the authority
    assert DELEGATE not in state.accounts or not state.accounts[DELEGATE].storage


def test_set_code_transaction_is_unknown_before_prague() -> None:
    state = _setcode_state()
    assert _run(Fork.CANCUN, state, _setcode_tx(_sign(1, DELEGATE, 0))).error == "TYPE_4_TX_PRE_FORK"


def test_set_code_transaction_rules() -> None:
    assert _run(Fork.PRAGUE, _setcode_state(), _setcode_tx()).error == "TYPE_4_EMPTY_AUTHORIZATION_LIST"
    creation = _setcode_tx(_sign(1, DELEGATE, 0), to=None)
    assert _run(Fork.PRAGUE, _setcode_state(), creation).error == "TYPE_4_TX_CONTRACT_CREATION"


@pytest.mark.parametrize(
    "auth",
    [
        _sign(5, DELEGATE, 0),  # another chain
        _sign(1, DELEGATE, 1),  # wrong nonce
        Authorization(1, DELEGATE, 0, 0, 1, 2**255),  # s too high
        Authorization(1, DELEGATE, 0, 2, 1, 1),  # y parity out of range
    ],
)
def test_invalid_authorizations_are_skipped(auth: Authorization) -> None:
    state = _setcode_state()
    result = _run(Fork.PRAGUE, state, _setcode_tx(auth))
    assert result.error is None and result.success
    assert AUTHORITY not in state.accounts or not state.accounts[AUTHORITY].code
    # Intrinsic gas is charged for every entry, valid or not; no refund for a new account.
    assert result.gas_used == 21_000 + 25_000


def test_chain_id_zero_authorizes_on_every_chain() -> None:
    state = _setcode_state()
    assert _run(Fork.PRAGUE, state, _setcode_tx(_sign(0, DELEGATE, 0))).success
    assert state.accounts[AUTHORITY].code[3:] == DELEGATE.to_bytes(20, "big")


def test_authority_with_code_is_skipped_and_existing_authority_is_refunded() -> None:
    state = _setcode_state(Account(code=b"\x00"))
    _run(Fork.PRAGUE, state, _setcode_tx(_sign(1, DELEGATE, 0), to=0xE0A))
    assert state.accounts[AUTHORITY].code == b"\x00"
    # An existing (empty-code) authority: 25000 - 12500 refunded, capped at a fifth of the gas.
    state = _setcode_state(Account(balance=1))
    result = _run(Fork.PRAGUE, state, _setcode_tx(_sign(1, DELEGATE, 0), to=0xE0A))
    assert result.gas_used == 46_000 - min(46_000 // 5, 12_500)


def test_delegation_to_the_null_address_clears_the_code() -> None:
    state = _setcode_state(Account(code=b"\xef\x01\x00" + DELEGATE.to_bytes(20, "big")))
    assert _run(Fork.PRAGUE, state, _setcode_tx(_sign(1, 0, 0), to=0xE0A)).success
    assert state.accounts[AUTHORITY].code == b"" and state.accounts[AUTHORITY].nonce == 1


def _extcode_probe() -> bytes:
    """Stores EXTCODESIZE, EXTCODEHASH and the first EXTCODECOPY word of AUTHORITY."""
    a = _push(AUTHORITY, 20)
    return (
        a + b"\x3b" + _push(0) + b"\x55"
        + a + b"\x3f" + _push(1) + b"\x55"
        + _push(32) + _push(0) + _push(0) + a + b"\x3c" + _push(0) + b"\x51" + _push(2) + b"\x55"
    )


def test_extcode_opcodes_see_the_designator_not_the_delegate() -> None:
    designator = b"\xef\x01\x00" + DELEGATE.to_bytes(20, "big")
    state = _setcode_state(Account(code=designator))
    state.accounts[CONTRACT] = Account(code=_extcode_probe())
    assert _run(Fork.PRAGUE, state, _tx()).success
    storage = state.accounts[CONTRACT].storage
    assert storage[0] == 23
    assert storage[1] == int.from_bytes(keccak256(designator), "big")
    assert storage[2] == int.from_bytes(designator + bytes(9), "big")


def _gas_of_call(fork: Fork, warm_delegate: bool) -> int:
    """Gas a CALL to the delegated AUTHORITY costs, from GAS before and after (slot 0)."""
    call = _push(0) * 5 + _push(AUTHORITY, 20) + _push(0xFFFF, 2) + b"\xf1" + b"\x50"
    code = b"\x5a" + call + b"\x5a" + b"\x90\x03" + _push(0) + b"\x55"  # SSTORE(0, before - after)
    designator = b"\xef\x01\x00" + DELEGATE.to_bytes(20, "big")
    state = State({
        SENDER: Account(balance=10**18),
        CONTRACT: Account(code=code),
        AUTHORITY: Account(code=designator),
        DELEGATE: Account(code=b"\x00"),
    })
    access: list[tuple[int, list[int]]] = [(DELEGATE, [])] if warm_delegate else []
    assert _run(fork, state, _tx(tx_type=2, access_list=access)).success
    return state.accounts[CONTRACT].storage[0]


def test_resolving_a_delegation_costs_a_warm_or_cold_access() -> None:
    cold = _gas_of_call(Fork.PRAGUE, warm_delegate=False)
    warm = _gas_of_call(Fork.PRAGUE, warm_delegate=True)
    assert cold - warm == 2600 - 100
    # Before Prague the designator is plain code (0xef: invalid), and no delegate is resolved.
    assert _gas_of_call(Fork.CANCUN, warm_delegate=False) != cold


@pytest.mark.parametrize("pooled", [True, False])
def test_a_call_delegated_to_a_precompile_runs_no_precompile_and_takes_a_call_frame(pooled: bool) -> None:
    # CALL the authority (delegated to IDENTITY, 0x04) with 1 byte of input and 1 of output.
    designator = b"\xef\x01\x00" + (4).to_bytes(20, "big")
    code = (
        _push(0xAB) + _push(0) + b"\x53"  # MSTORE8(0, 0xab)
        + _push(1) + _push(32) + _push(1) + _push(0) + _push(0) + _push(AUTHORITY, 20)
        + _push(0xFFFF, 2) + b"\xf1"
        + b"\x3d" + _push(1) + b"\x55"  # SSTORE(1, RETURNDATASIZE)
        + _push(0) + b"\x55"  # SSTORE(0, success)
    )
    state = State({
        SENDER: Account(balance=10**18),
        CONTRACT: Account(code=code),
        AUTHORITY: Account(code=designator),
    })
    vm = VM(PoolConfig.high_performance() if pooled else None)
    assert vm.execute_transaction(state, _block(Fork.PRAGUE), _tx()).success
    assert state.accounts[CONTRACT].storage == {0: 1}  # success, no output: nothing ran
    by_type = vm.get_frame_pool_statistics().counts.by_type
    assert by_type[FrameType.PRECOMPILE].pool_allocations + by_type[FrameType.PRECOMPILE].direct_allocations == 0
    calls = by_type[FrameType.CALL]
    assert calls.pool_allocations + calls.direct_allocations == 1


def test_a_delegated_sender_may_send_from_prague() -> None:
    designator = b"\xef\x01\x00" + DELEGATE.to_bytes(20, "big")
    for fork, error in ((Fork.CANCUN, "SENDER_NOT_EOA"), (Fork.PRAGUE, None)):
        state = State({SENDER: Account(balance=10**18, code=designator)})
        assert _run(fork, state, _tx(to=0xE0A)).error == error


# --------------------------------------------------------------------------- EIP-7918

G = 2**17


@pytest.mark.parametrize(
    ("fork", "parent_excess", "used", "base_fee", "expect"),
    [
        (Fork.CANCUN, 0, 6 * G, 10**9, 3 * G),  # Cancun target: 3 blobs
        (Fork.PRAGUE, 0, 6 * G, 10**9, 0),  # EIP-7691 target: 6 blobs
        (Fork.OSAKA, 0, 6 * G, 10**9, 2 * G),  # execution cost above blob price: grows by used * 3/9
        (Fork.OSAKA, 0, 6 * G, 1, 0),  # cheap execution: as in Prague
        (Fork.OSAKA, 10 * G, 0, 10**9, 10 * G),  # bounded: the excess does not fall
        (Fork.PRAGUE, 10 * G, 0, 10**9, 4 * G),
        (Fork.OSAKA, 0, 5 * G, 10**9, 0),  # below the target: no excess
    ],
)
def test_excess_blob_gas_is_bounded_by_execution_cost_from_osaka(
    fork: Fork, parent_excess: int, used: int, base_fee: int, expect: int
) -> None:
    assert excess_blob_gas(parent_excess, used, base_fee, RULES[fork]) == expect


def test_run_command_takes_the_fork(capsys: pytest.CaptureFixture[str]) -> None:
    from framepool.cli import main

    clz = "0x60011e60005260206000f3"  # RETURN(CLZ(1))
    assert main(["run", "--code", clz, "--fork", "Osaka", "--json"]) == 0
    assert '"output": "0x' + (255).to_bytes(32, "big").hex() + '"' in capsys.readouterr().out
    assert main(["run", "--code", clz, "--fork", "Prague", "--json"]) == 1  # 0x1e undefined
    capsys.readouterr()
    assert main(["run", "--code", clz, "--fork", "Frontier"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown fork 'Frontier'")


def test_statetest_rejects_an_unknown_fork(capsys: pytest.CaptureFixture[str]) -> None:
    from framepool.cli import main

    assert main(["statetest", "--fork", "Paris", "tests"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown fork 'Paris'")
