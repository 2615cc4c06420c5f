"""The ``framepool`` command: demo, statetest, run, verify, bench."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from framepool.gate.profiles import DEFAULT_PROFILE, PROFILES
from framepool_spec.config import PRESET_NAMES, PoolConfig


def _demo(args: argparse.Namespace) -> int:
    from framepool.demo import run_demo

    return run_demo(preset=args.preset, transactions=args.transactions, seed=args.seed, synthetic=args.synthetic)


def _statetest(args: argparse.Namespace) -> int:
    from framepool.evm.runner import run_statetest

    return run_statetest(args)


def _run(args: argparse.Namespace) -> int:
    from framepool.evm.runcode import run_command

    return run_command(args)


def _verify(args: argparse.Namespace) -> int:
    from framepool.verify import run_verify

    return run_verify(args)


def _bench(args: argparse.Namespace) -> int:
    from framepool.bench import run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="framepool", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a workload with pooling on and off, print statistics")
    demo.add_argument("--preset", default="high_performance", choices=[p for p in PRESET_NAMES if p != "disabled"])
    demo.add_argument("--transactions", type=int, default=3000, help="synthetic transactions (default 3000)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--synthetic", action="store_true", help="only the synthetic call-tree workload")
    demo.set_defaults(func=_demo)

    statetest = sub.add_parser("statetest", help="run Ethereum state-test fixtures")
    try:
        from framepool.evm.runner import add_statetest_arguments
    except ImportError:  # the EVM is optional at import time; the command says so when used
        statetest.add_argument("paths", nargs="*")
    else:
        add_statetest_arguments(statetest)
    statetest.set_defaults(func=_statetest)

    run = sub.add_parser(
        "run", help="run bytecode as one call on an empty state (output, gas, pool statistics)",
        description="Run bytecode as one message call on an empty state. Exit status: 0 the call "
        "succeeded, 1 it reverted or halted exceptionally, 2 unusable options.",
    )
    run.add_argument("--code", required=True, metavar="HEX", help="the bytecode to run (0x optional)")
    run.add_argument("--input", default="", metavar="HEX", help="calldata (default: none)")
    run.add_argument("--gas", default=None, metavar="N",
                     help="gas for the call, decimal or 0x-hex (default 10,000,000,000)")
    run.add_argument("--value", default="0", metavar="N", help="wei sent with the call (default 0)")
    run.add_argument("--trace", action="store_true",
                     help="write an EIP-3155 trace (one JSON line per instruction) to stderr")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.add_argument("--fork", default="Cancun",
                     help="whose rules apply: Shanghai, Cancun (default), Prague, Osaka")
    run_pool = run.add_mutually_exclusive_group()
    run_pool.add_argument("--preset", default="high_performance",
                          help="frame-pool preset: high_performance (default), balanced, minimal, disabled")
    run_pool.add_argument("--no-pool", action="store_true", help="run with pooling disabled")
    run.set_defaults(func=_run)

    verify = sub.add_parser(
        "verify", help="check a pool against the reference model (CI gate)",
        description="Check a pool against the reference model. Exit status: 0 all passed, "
        "1 a counterexample was found (printed with a replay command), 2 the gate could not run.",
    )
    verify.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=list(PROFILES),
        help=f"how much to run: quick (a minute), ci (a few minutes), deep (long); default {DEFAULT_PROFILE}",
    )
    verify.add_argument("--json", default=None, metavar="FILE", help="also write the checks and verdicts as JSON")
    verify.add_argument(
        "--factory", default=None, metavar="MODULE:CALLABLE",
        help="check another pool: CALLABLE(config, clock) builds it",
    )
    verify.add_argument("--skip-evm", action="store_true", help="skip the EVM state-test sample")
    verify.add_argument(
        "--fixtures", default=None, metavar="PATH",
        help="ethereum/tests root (default: $FRAMEPOOL_ETHEREUM_TESTS or ../shared/ethereum-tests)",
    )
    verify.add_argument("--seed", type=int, default=None, help="seed of the random search (a replay gives it)")
    verify.add_argument(
        "--only", action="append", default=None, metavar="CHECK",
        help="run only this check (or group, e.g. sequential); repeatable",
    )
    verify.add_argument(
        "--shrink", action="store_true",
        help="minimise counterexamples before reporting them (can take minutes; for replays)",
    )
    verify.set_defaults(func=_verify)

    from framepool.bench.options import plot_file, positive_int, writable_file

    bench = sub.add_parser(
        "bench", help="measure pooled frames against unpooled ones (ratios next to their targets)",
        description="Measure every promised figure of pooled frames as a ratio of interleaved runs "
        "in one process, next to its target. Exit status 0 when the bench ran (met or not), "
        "2 on bad arguments.",
    )
    bench.add_argument("--json", type=writable_file, default=None, metavar="FILE",
                       help='also write {"rows": [{"name", "value", "target", "direction", "met", "detail"}]}')
    bench.add_argument("--quick", action="store_true", help="small repetitions (seconds; figures only indicative)")
    bench.add_argument("--repeats", type=positive_int, default=None, metavar="N",
                       help="interleaved repetitions per EVM comparison (default 3, quick 1)")
    bench.add_argument("--plot", type=plot_file, default=None, metavar="FILE",
                       help="draw the auto-tuning phases to a PNG (needs the plot extra: matplotlib)")
    bench.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


def preset_config(name: str | None, no_pool: bool) -> PoolConfig:
    """The config for ``--preset NAME`` / ``--no-pool`` options."""
    if no_pool:
        return PoolConfig.disabled()
    return PoolConfig.preset(name or "high_performance")


if __name__ == "__main__":
    sys.exit(main())
