"""The ``framepool`` command: demo, statetest, run, verify, bench.

Every subcommand: a usage error is one line on stderr and exit 2; Ctrl-C exits 130 and a
closed stdout (``| head``) ends quietly, neither with a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from framepool.bench.options import positive_int
from framepool.extras import evm_extra_problem
from framepool.gate.profiles import DEFAULT_PROFILE, PROFILES, check_timeout
from framepool_spec.config import PRESET_NAMES, PoolConfig

EXIT_INTERRUPTED = 130


def preset_name(text: str) -> str:
    """An argparse type: a pool preset, spelt with ``_`` or ``-`` (``high-performance``)."""
    name = text.replace("-", "_")
    if name not in PRESET_NAMES:
        raise argparse.ArgumentTypeError(f"unknown preset {text!r}; choose one of {', '.join(PRESET_NAMES)}")
    return name


def pooled_preset_name(text: str) -> str:
    """An argparse type: a preset that pools (``demo`` compares it with pooling off)."""
    name = preset_name(text)
    if name == "disabled":
        raise argparse.ArgumentTypeError("the demo compares a pooling preset with 'disabled'; choose another")
    return name


def _demo(args: argparse.Namespace) -> int:
    from framepool.demo import run_demo

    return run_demo(preset=args.preset, transactions=args.transactions, seed=args.seed, synthetic=args.synthetic)


def _statetest(args: argparse.Namespace) -> int:
    problem = evm_extra_problem()
    if problem is not None:
        sys.stderr.write(f"error: {problem}\n")
        return 2
    from framepool.evm.forks import Fork
    from framepool.evm.runner import run_statetest

    try:
        fork = Fork.from_name(args.fork)
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if args.trace and args.jobs > 1:
        sys.stderr.write("error: --trace needs --jobs 1 (traces from several processes would interleave)\n")
        return 2
    args.fork = fork.title
    return run_statetest(args, preset_config(args.preset, args.no_pool))


def _run(args: argparse.Namespace) -> int:
    problem = evm_extra_problem()
    if problem is not None:
        sys.stderr.write(f"error: {problem}\n")
        return 2
    from framepool.evm.runcode import run_command

    return run_command(args)


def _verify(args: argparse.Namespace) -> int:
    from framepool.verify import run_verify

    return run_verify(args)


def _bench(args: argparse.Namespace) -> int:
    problem = evm_extra_problem()
    if problem is not None:  # the bench measures the EVM too
        sys.stderr.write(f"error: {problem}\n")
        return 2
    from framepool.bench import run_bench

    return run_bench(args)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (``framepool demo: error: ...``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="framepool", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a workload with pooling on and off, print statistics")
    demo.add_argument("--preset", type=pooled_preset_name, default="high_performance",
                      help="pool preset to compare with pooling off: high_performance (default), balanced, minimal")
    demo.add_argument("--transactions", type=positive_int, default=3000, help="synthetic transactions (default 3000)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--synthetic", action="store_true", help="only the synthetic call-tree workload")
    demo.set_defaults(func=_demo)

    statetest = sub.add_parser(
        "statetest", help="run Ethereum state-test fixtures (needs the evm extra)",
        description="Run Ethereum state-test fixtures. Exit status: 0 at least one vector ran and "
        "all passed, 1 a vector or file failed or none ran, 2 bad arguments, 130 interrupted.",
    )
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
    verify.add_argument(
        "--check-timeout", type=check_timeout, default=None, metavar="SECONDS",
        help="end a check that runs longer with no verdict, saying where it was (0: no limit; "
        "default: quick 300, ci 600, deep none)",
    )
    verify.set_defaults(func=_verify)

    from framepool.bench.options import plot_file, writable_file

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


def add_statetest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="+", help="fixture files or directories (recursive)")
    parser.add_argument("--fork", default="Cancun",
                        help="fork whose post-states to check and whose rules apply: "
                        "Shanghai, Cancun (default), Prague, Osaka")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per vector on stdout, then a summary object")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                        help="run files in N processes (output identical to one process; default 1)")
    parser.add_argument(
        "--trace", action="store_true",
        help="write an EIP-3155 trace of every vector (one JSON line per instruction) to stderr",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--preset", type=preset_name, default="high_performance",
                       help="frame-pool preset: high_performance (default), balanced, minimal, disabled")
    group.add_argument("--no-pool", action="store_true", help="run with pooling disabled")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly. Python would flush stdout again
        # at exit and fail the same way, so point it at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result


def preset_config(name: str | None, no_pool: bool) -> PoolConfig:
    """The config for ``--preset NAME`` / ``--no-pool`` options."""
    if no_pool:
        return PoolConfig.disabled()
    return PoolConfig.preset(name or "high_performance")


if __name__ == "__main__":
    sys.exit(main())
