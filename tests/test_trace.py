"""EIP-3155 traces (``--trace``) and ``framepool run``.

The expected traces below are written out by hand from the Yellow Paper's gas schedule
(Appendix G, with the Berlin/Cancun access costs): G_verylow = 3 (PUSH, ADD, SUB, MSTORE,
SWAP/DUP), G_low = 5 (MUL), G_mid = 8 (JUMP), G_high = 10 (JUMPI), G_jumpdest = 1, G_base = 2
(POP), memory expansion C_mem(a) = 3a + a^2/512 words, RETURN/STOP/REVERT 0. They are not
captured from the tracer's own output.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from framepool import PoolConfig
from framepool.cli import main
from framepool.evm.asm import assemble
from framepool.evm.fixtures import (
    FixturesNotFoundError,
    fixtures_root,
    iter_vectors,
    load_fixture_file,
)
from framepool.evm.instructions.system import create_address
from framepool.evm.runcode import RECEIVER, SENDER, call_code
from framepool.evm.state import Account, State
from framepool.evm.trace import Tracer
from framepool.evm.transaction import BlockContext, Transaction
from framepool.evm.vm import VM, evm_manager


def _trace(code: bytes, gas: int, calldata: bytes = b"", value: int = 0) -> tuple[list[str], Any]:
    out = io.StringIO()
    with evm_manager(PoolConfig.high_performance()) as manager:
        result = call_code(
            code, calldata, gas=gas, value=value, manager=manager, tracer=Tracer(out)
        )
        assert manager.statistics().counts.frames_active == 0
    return out.getvalue().splitlines(), result


def _line(
    pc: int,
    op: int,
    gas: int,
    cost: int,
    mem: int,
    stack: list[int],
    name: str,
    depth: int = 1,
    ret: str = "0x",
    refund: int = 0,
    error: str | None = None,
) -> str:
    """One expected line, in the field order geth prints."""
    stack_text = ",".join(f'"{hex(v)}"' for v in stack)
    err = f',"error":"{error}"' if error is not None else ""
    return (
        f'{{"pc":{pc},"op":{op},"gas":"{hex(gas)}","gasCost":"{hex(cost)}","memSize":{mem},'
        f'"stack":[{stack_text}],"returnData":"{ret}","depth":{depth},"refund":{refund},'
        f'"opName":"{name}"{err}}}'
    )


def test_trace_matches_hand_derived_lines() -> None:
    # 0: PUSH1 2   2: PUSH1 3   4: MUL   5: PUSH1 0   7: MSTORE   8: PUSH1 12   10: JUMP
    # 11: INVALID (jumped over)   12: JUMPDEST   13: PUSH1 32   15: PUSH1 0   17: RETURN
    code = bytes.fromhex("6002600302600052600c56fe5b60206000f3")
    lines, result = _trace(code, gas=100)
    expected = [
        _line(0, 0x60, 100, 3, 0, [], "PUSH1"),
        _line(2, 0x60, 97, 3, 0, [2], "PUSH1"),
        _line(4, 0x02, 94, 5, 0, [2, 3], "MUL"),
        _line(5, 0x60, 89, 3, 0, [6], "PUSH1"),
        # MSTORE: 3 + expansion to one word, 3*1 + 1*1//512 = 3
        _line(7, 0x52, 86, 6, 0, [6, 0], "MSTORE"),
        _line(8, 0x60, 80, 3, 32, [], "PUSH1"),
        _line(10, 0x56, 77, 8, 32, [12], "JUMP"),
        _line(12, 0x5B, 69, 1, 32, [], "JUMPDEST"),
        _line(13, 0x60, 68, 3, 32, [], "PUSH1"),
        _line(15, 0x60, 65, 3, 32, [32], "PUSH1"),
        _line(17, 0xF3, 62, 0, 32, [32, 0], "RETURN"),
        # gas used: 100 - 62 = 38; output: the word 6
        '{"output":"' + "00" * 31 + '06","gasUsed":"0x26"}',
    ]
    assert lines == expected
    assert result.success and result.gas_used == 38 and result.output == (6).to_bytes(32, "big")


def test_out_of_gas_is_an_error_line_and_the_summary_says_so() -> None:
    # PUSH1 1, PUSH1 2, ADD with 8 gas: the ADD needs 3 but only 2 are left.
    lines, result = _trace(bytes.fromhex("6001600201"), gas=8)
    assert lines == [
        _line(0, 0x60, 8, 3, 0, [], "PUSH1"),
        _line(2, 0x60, 5, 3, 0, [1], "PUSH1"),
        _line(4, 0x01, 2, 3, 0, [1, 2], "ADD", error="out of gas"),
        '{"output":"","gasUsed":"0x8","error":"out of gas"}',
    ]
    assert result.status == "error" and result.gas_used == 8


@pytest.mark.parametrize(
    ("code", "last", "error"),
    [
        ("01", _line(0, 0x01, 50, 3, 0, [], "ADD", error="stack underflow"), "stack underflow"),
        (
            "600556",
            _line(2, 0x56, 47, 8, 0, [5], "JUMP", error="invalid jump destination"),
            "invalid jump destination",
        ),
        (
            "fe",
            _line(0, 0xFE, 50, 0, 0, [], "INVALID", error="invalid opcode: INVALID"),
            "invalid opcode: INVALID",
        ),
        (
            "0c",
            _line(
                0,
                0x0C,
                50,
                0,
                0,
                [],
                "opcode 0xc not defined",
                error="invalid opcode: opcode 0xc not defined",
            ),
            "invalid opcode: opcode 0xc not defined",
        ),
    ],
)
def test_exceptional_halts_name_their_error(code: str, last: str, error: str) -> None:
    lines, result = _trace(bytes.fromhex(code), gas=50)
    assert lines[-2] == last
    assert json.loads(lines[-1]) == {"output": "", "gasUsed": "0x32", "error": error}
    assert result.status == "error"


def test_revert_line_and_summary_carry_the_revert_data() -> None:
    # PUSH1 0xAB, PUSH1 0, MSTORE8, PUSH1 1, PUSH1 0, REVERT
    lines, result = _trace(bytes.fromhex("60ab60005360016000fd"), gas=1000)
    # MSTORE8: 3 + one word of memory (3); REVERT: 0 (memory already covers byte 0)
    assert lines[-2] == _line(
        9, 0xFD, 1000 - 3 - 3 - 6 - 3 - 3, 0, 32, [1, 0], "REVERT", error="execution reverted"
    )
    assert json.loads(lines[-1]) == {
        "output": "ab",
        "gasUsed": hex(18),
        "error": "execution reverted",
    }
    assert result.status == "revert" and result.output == b"\xab"


def test_storage_refund_shows_in_the_refund_field() -> None:
    # SSTORE 1 to slot 0, then 0 back: 0->1->0 in one transaction refunds 20000 - 100 (EIP-3529).
    code = assemble("PUSH1 1 PUSH1 0 SSTORE PUSH1 0 PUSH1 0 SSTORE STOP")
    lines, _ = _trace(code, gas=100_000)
    steps = [json.loads(line) for line in lines[:-1]]
    assert [s["opName"] for s in steps] == [
        "PUSH1",
        "PUSH1",
        "SSTORE",
        "PUSH1",
        "PUSH1",
        "SSTORE",
        "STOP",
    ]
    # first SSTORE: cold slot 2100 + set 20000; second: warm, dirty slot, 100
    assert [s["gasCost"] for s in steps if s["opName"] == "SSTORE"] == [hex(22100), hex(100)]
    assert steps[-1]["refund"] == 19900 and steps[3]["refund"] == 0


def test_nested_call_lines_sit_between_the_call_and_the_return() -> None:
    # The code CALLs its own address with one byte of calldata; the inner run (depth 2) sees
    # calldata and stops at once.
    code = assemble("""
        CALLDATASIZE @stop JUMPI            ; with calldata: stop
        PUSH1 0 PUSH1 0 PUSH1 1 PUSH1 0 PUSH1 0 ADDRESS GAS CALL
        ; (the CALL's input is one zero byte: memory [0, 1))
        POP STOP
        stop: STOP
    """)
    lines, result = _trace(code, gas=100_000)
    steps = [json.loads(line) for line in lines[:-1]]
    depths = [s["depth"] for s in steps]
    call = next(i for i, s in enumerate(steps) if s["opName"] == "CALL")
    assert depths[: call + 1] == [1] * (call + 1)
    inner = steps[call + 1 : depths.index(1, call + 1)]
    assert [s["opName"] for s in inner] == ["CALLDATASIZE", "PUSH2", "JUMPI", "JUMPDEST", "STOP"]
    assert {s["depth"] for s in inner} == {2}
    # The child got all but 1/64 of what was left after the CALL's own warm-access cost (100) and
    # one word of memory (3); the CALL's gasCost includes it, as geth counts.
    left = int(steps[call]["gas"], 16) - 100 - 3
    forwarded = left - left // 64
    assert int(inner[0]["gas"], 16) == forwarded
    assert int(steps[call]["gasCost"], 16) == 100 + 3 + forwarded
    assert result.success


def _check_gas_chain(steps: list[dict[str, Any]]) -> int:
    """Within each frame, gas before an instruction = gas before the previous one - its cost
    (plus what a child frame hands back after a CALL*/CREATE*). Returns how many were checked."""
    checked = 0
    open_frames: list[dict[str, Any]] = []  # the last line seen at each depth
    for s in steps:
        d = s["depth"]
        del open_frames[d:]
        if len(open_frames) == d:
            prev = open_frames[d - 1]
            expected = int(prev["gas"], 16) - int(prev["gasCost"], 16)
            if prev["opName"] in (
                "CALL",
                "CALLCODE",
                "DELEGATECALL",
                "STATICCALL",
                "CREATE",
                "CREATE2",
            ):
                assert int(s["gas"], 16) >= expected, (prev, s)
            else:
                assert int(s["gas"], 16) == expected, (prev, s)
                checked += 1
            open_frames[d - 1] = s
        else:
            assert len(open_frames) == d - 1, "a frame started more than one level down"
            open_frames.append(s)
    return checked


def test_per_instruction_gas_sums_to_the_summary() -> None:
    # A loop: 40 iterations of PUSH1 1, SWAP1, SUB, DUP1, PUSH2 top, JUMPI (+ JUMPDEST).
    code = assemble("PUSH1 40 top: PUSH1 1 SWAP1 SUB DUP1 @top JUMPI STOP")
    lines, result = _trace(code, gas=10_000)
    steps = [json.loads(line) for line in lines[:-1]]
    summary = json.loads(lines[-1])
    total = sum(int(s["gasCost"], 16) for s in steps)
    assert total == int(summary["gasUsed"], 16) == result.gas_used
    # by hand: PUSH1 3; per iteration JUMPDEST 1 + PUSH1 3 + SWAP1 3 + SUB 3 + DUP1 3 + PUSH2 3 + JUMPI 10 = 26
    assert total == 3 + 40 * 26
    assert _check_gas_chain(steps) == len(steps) - 1


def _fixture(rel: str) -> Path:
    try:
        path = fixtures_root() / "GeneralStateTests" / rel
    except FixturesNotFoundError:
        pytest.skip("ethereum-tests fixtures not available")
    if not path.is_file():
        pytest.skip(f"{rel} not in the fixtures")
    return path


TRACED_SAMPLE = [
    "VMTests/vmIOandFlowOperations/jump.json",
    "stCallCodes/callcallcallcode_001.json",
    "stCreateTest/CreateOOGafterInitCodeRevert.json",
    "stRevertTest/RevertOpcodeCalls.json",
    "stReturnDataTest/returndatacopy_following_call.json",
    "stSStoreTest/sstore_changeFromExternalCallInInitCode.json",
    "stRandom/randomStatetest100.json",
]


@pytest.mark.parametrize("rel", TRACED_SAMPLE)
def test_traced_vectors_give_the_same_results_and_consistent_gas(rel: str) -> None:
    """Tracing charges gas per instruction instead of per block: same outcome, every vector."""
    path = _fixture(rel)
    vectors = [v for test in load_fixture_file(path) for v in iter_vectors(test, "Cancun")]
    assert vectors
    plain = VM(PoolConfig.high_performance())
    traced = VM(PoolConfig.high_performance())
    out = io.StringIO()
    tracer = Tracer(out)
    for vector in vectors:
        expected = plain.run_vector(vector)
        assert traced.run_vector(vector, tracer) == expected
        assert expected.passed, expected
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    summaries = [r for r in records if "gasUsed" in r]
    steps = [r for r in records if "pc" in r]
    assert len(summaries) == len(vectors) and steps
    per_tx: list[dict[str, Any]] = []
    for r in records:
        if "gasUsed" in r:
            _check_gas_chain(per_tx)
            per_tx = []
        else:
            per_tx.append(r)


# --------------------------------------------------------------------------- the commands


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_output_gas_success_and_pool_statistics(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _main(
        ["run", "--code", "0x6002600302600052600c56fe5b60206000f3", "--gas", "100"], capsys
    )
    assert code == 0 and err == ""
    assert f"output   0x{'00' * 31}06\n" in out
    assert "gas used 38 (of 100)\n" in out
    assert "success  true (success)\n" in out
    assert "FRAME POOL STATISTICS" in out


def test_run_json_and_trace(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _main(
        ["run", "--code", "6001600201", "--gas", "0x8", "--json", "--trace"], capsys
    )
    assert code == 1  # out of gas
    record = json.loads(out)
    assert record["success"] is False and record["status"] == "error" and record["gasUsed"] == 8
    assert record["pool"]["acquisitions"] == 1
    trace = err.splitlines()
    assert len(trace) == 4 and json.loads(trace[-1])["error"] == "out of gas"


def test_run_sees_sender_receiver_value_and_input(capsys: pytest.CaptureFixture[str]) -> None:
    # returns CALLER, ADDRESS, CALLVALUE and the first calldata word
    code = assemble(
        "CALLER PUSH1 0 MSTORE ADDRESS PUSH1 32 MSTORE CALLVALUE PUSH1 64 MSTORE "
        "PUSH1 0 CALLDATALOAD PUSH1 96 MSTORE PUSH1 128 PUSH1 0 RETURN"
    )
    status, out, _ = _main(
        ["run", "--code", code.hex(), "--value", "7", "--input", "ff" * 32, "--json"], capsys
    )
    words = bytes.fromhex(json.loads(out)["output"][2:])
    assert status == 0
    assert [int.from_bytes(words[i : i + 32], "big") for i in range(0, 128, 32)] == [
        SENDER,
        RECEIVER,
        7,
        2**256 - 1,
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--code", "60zz"], "error: --code: not hex: 'z' in '60zz'"),
        (["--code", "600"], "error: --code: odd number of hex digits (3)"),
        (["--code", "00", "--input", "0xg0"], "error: --input: not hex: 'g' in '0xg0'"),
        (
            ["--code", "00", "--gas", str(2**64)],
            f"error: --gas: {2**64} is out of range (0 to 2**64-1)",
        ),
        (["--code", "00", "--gas", "-1"], "error: --gas: -1 is out of range (0 to 2**64-1)"),
        (["--code", "00", "--gas", "lots"], "error: --gas: not a decimal or 0x-hex number: 'lots'"),
        (
            ["--code", "00", "--value", hex(2**256)],
            f"error: --value: {hex(2**256)} is out of range (0 to 2**256-1)",
        ),
        (["--code", "00", "--preset", "huge"], "error: "),
    ],
)
def test_run_bad_options_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(["run", *argv], capsys)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_statetest_trace_writes_each_vector_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    path = _fixture("VMTests/vmArithmeticTest/add.json")
    code, out, err = _main(["statetest", "--trace", str(path)], capsys)
    assert code == 0
    passed = int(out.strip().splitlines()[-1].split()[0])
    records = [json.loads(line) for line in err.splitlines()]
    assert sum("gasUsed" in r for r in records) == passed > 0
    assert {r["opName"] for r in records if "pc" in r} >= {"ADD", "SSTORE"}


def test_call_code_refuses_out_of_range_gas_and_value() -> None:
    with evm_manager(PoolConfig.disabled()) as manager:
        with pytest.raises(ValueError, match="gas must be between 0 and 2\\*\\*64-1, got -1"):
            call_code(b"", gas=-1, manager=manager)
        with pytest.raises(ValueError, match="value must be between 0 and 2\\*\\*256-1"):
            call_code(b"", value=2**256, manager=manager)


def test_run_default_gas_is_geths_evm_run_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _main(["run", "--code", "00", "--trace"], capsys)
    assert code == 0 and "gas used 0 (of 10000000000)" in out
    assert err.splitlines() == [
        _line(0, 0x00, 10_000_000_000, 0, 0, [], "STOP"),
        '{"output":"","gasUsed":"0x0"}',
    ]


def _traced_tx(to: int | None, data: bytes, gas_limit: int, pre: dict[int, Account]) -> list[str]:
    sender = 0x5E
    state = State({sender: Account(0, 10**18), **pre})
    block = BlockContext(
        coinbase=0,
        number=1,
        timestamp=1,
        gas_limit=10**7,
        prev_randao=0,
        base_fee=0,
        excess_blob_gas=0,
    )
    tx = Transaction(
        tx_type=0, sender=sender, nonce=0, gas_limit=gas_limit, to=to, value=0, data=data
    )
    out = io.StringIO()
    VM(PoolConfig.high_performance()).execute_transaction(state, block, tx, Tracer(out))
    return out.getvalue().splitlines()


def test_summary_names_failures_no_instruction_reports() -> None:
    # A creation whose code starts with 0xEF is refused (EIP-3541) after RETURN succeeded.
    initcode = assemble("PUSH1 0xEF PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN")
    lines = _traced_tx(None, initcode, 100_000, {})
    assert json.loads(lines[-2])["opName"] == "RETURN" and "error" not in json.loads(lines[-2])
    assert json.loads(lines[-1])["error"] == "invalid code: must not begin with 0xef"
    # A creation at an address that already has a nonce runs nothing and uses all its gas.
    target = create_address(0x5E, 0)
    lines = _traced_tx(None, b"", 100_000, {target: Account(1, 0)})
    intrinsic = 21_000 + 32_000
    assert lines == [
        f'{{"output":"","gasUsed":"{hex(100_000 - intrinsic)}","error":"contract address collision"}}'
    ]
    # A call to ECRECOVER (3,000 gas) with 100 gas left after the intrinsic gas.
    lines = _traced_tx(0x01, b"", 21_100, {})
    assert lines == ['{"output":"","gasUsed":"0x64","error":"precompile failed"}']
    # A transaction rejected before execution (gas limit below intrinsic) writes nothing.
    assert _traced_tx(0x01, b"", 20_000, {}) == []


TRACED_FOLDERS = [
    "stCallCodes",
    "stCreateTest",
    "stRevertTest",
    "stReturnDataTest",
    "stSStoreTest",
    "Cancun",
]


@pytest.mark.fixtures_full
@pytest.mark.parametrize("folder", TRACED_FOLDERS)
def test_traced_folder_gives_the_plain_results(folder: str) -> None:
    """Per-instruction gas (traced) and per-block gas (plain) agree on every vector."""
    try:
        base = fixtures_root() / "GeneralStateTests" / folder
    except FixturesNotFoundError:
        pytest.skip("ethereum-tests fixtures not available")
    paths = sorted(base.rglob("*.json"))
    assert paths, f"no fixtures in {base}"
    plain = VM(PoolConfig.high_performance())
    traced = VM(PoolConfig.high_performance())
    with open(os.devnull, "w") as sink:
        tracer = Tracer(sink)
        for path in paths:
            for test in load_fixture_file(path):
                for vector in iter_vectors(test, "Cancun"):
                    assert traced.run_vector(vector, tracer) == plain.run_vector(vector)


def test_op_names_follow_the_fork(capsys: pytest.CaptureFixture[str]) -> None:
    # PUSH1 1, CLZ (0x1e): an instruction from Osaka on, undefined before.
    _, _, osaka = _main(["run", "--code", "60011e00", "--fork", "Osaka", "--trace"], capsys)
    _, _, cancun = _main(["run", "--code", "60011e00", "--fork", "Cancun", "--trace"], capsys)
    assert json.loads(osaka.splitlines()[1])["opName"] == "CLZ"
    line = json.loads(cancun.splitlines()[1])
    assert line["opName"] == "opcode 0x1e not defined"
    assert line["error"] == "invalid opcode: opcode 0x1e not defined"
