"""The assembler used by demos and tests."""

import pytest

from framepool.evm.asm import AssemblyError, assemble, initcode_for


def test_push_widths_and_labels() -> None:
    code = assemble("PUSH 1 PUSH 0x100 loop: @loop JUMP PUSH 0 PUSH4 7")
    assert code == bytes.fromhex("6001" "610100" "5b" "610005" "56" "5f" "6300000007")


def test_comments_and_case() -> None:
    assert assemble("push1 2 ; a comment\n add") == bytes.fromhex("600201")


@pytest.mark.parametrize(
    "source, words",
    [
        ("FOO", "unknown mnemonic"),
        ("PUSH1 0x100", "does not fit"),
        ("@nowhere", "undefined label"),
        ("a: a:", "defined twice"),
        ("PUSH1", "needs a value"),
        ("PUSH zz", "not a number"),
    ],
)
def test_errors_name_the_problem(source: str, words: str) -> None:
    with pytest.raises(AssemblyError, match=words):
        assemble(source)


def test_initcode_returns_runtime() -> None:
    runtime = bytes(range(40))
    init = initcode_for(runtime)
    assert init.endswith(runtime) and len(init) == 13 + len(runtime)
