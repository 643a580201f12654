"""`make soak`: the convergence property test, long, with a fresh random seed.

Runs ``tests/test_convergence.py`` through ``tools/test.sh`` (fresh database,
real PostgreSQL, the local Google fake over HTTP) with many more examples
and steps than ``make test``, then prints its figures: operations run (those
on recurring series apart), faults injected, syncs, interleavings left out for
known bugs, divergences found (must be 0).

    python tools/soak.py [--examples 200] [--steps 40] [--db gcs_soak] [--fixed-seed | --seed N]
                         [--known-bugs]

``--known-bugs`` lets in the interleavings the sync is known to get wrong (see
``AVOIDED_PAIRS`` in the test): to check a fix, or how often they bite.

Exit status: 0 when the run found no divergence, 1 otherwise. A divergence is
printed with the command that replays the run's seed and stops at the first
divergence, printing the steps that led to it.
"""

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="scenarios to run")
    parser.add_argument("--steps", type=int, default=40, help="steps per scenario, at most")
    parser.add_argument("--db", default="gcs_soak", help="test database (dropped and rebuilt)")
    parser.add_argument(
        "--fixed-seed",
        action="store_true",
        help="replay make test's fixed seed instead of drawing new scenarios",
    )
    parser.add_argument(
        "--known-bugs",
        action="store_true",
        help="let in the interleavings the sync is known to get wrong",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=random.getrandbits(32),
        help="Hypothesis seed of the scenarios (default: a fresh one, printed on a divergence)",
    )
    return parser.parse_args(argv)


def pytest_args(args, test="TestConvergence"):
    # The seed only matters when Hypothesis draws at random (not derandomized).
    seed = "" if args.fixed_seed else f" --hypothesis-seed={args.seed}"
    return f"-q -k {test}{seed}"


def replay_command(args):
    """Without a report path the test stops at the first divergence and prints its steps."""
    env = {
        "GCS_TEST_DB": args.db,
        "PYTEST_ARGS": pytest_args(args, test="converge_under"),
        "GCS_CONVERGENCE_EXAMPLES": args.examples,
        "GCS_CONVERGENCE_STEPS": args.steps,
    }
    if not args.fixed_seed:
        env["GCS_CONVERGENCE_RANDOM"] = 1
    if args.known_bugs:
        env["GCS_CONVERGENCE_KNOWN_BUGS"] = 1
    assignments = " ".join(f"{name}={shlex.quote(str(value))}" for name, value in env.items())
    return f"{assignments} bash tools/test.sh"


def run(args, report_path):
    env = dict(
        os.environ,
        GCS_TEST_DB=args.db,
        PYTEST_ARGS=pytest_args(args),
        GCS_CONVERGENCE_EXAMPLES=str(args.examples),
        GCS_CONVERGENCE_STEPS=str(args.steps),
        GCS_CONVERGENCE_REPORT=str(report_path),
    )
    if not args.fixed_seed:
        env["GCS_CONVERGENCE_RANDOM"] = "1"
    if args.known_bugs:
        env["GCS_CONVERGENCE_KNOWN_BUGS"] = "1"
    # The repository's own script, no outside input in the command line.
    command = ["bash", str(REPO / "tools" / "test.sh")]
    return subprocess.run(command, env=env, check=False)  # noqa: S603


def print_figures(figures):
    rows = [
        ("scenarios", figures["examples"]),
        ("operations", figures["operations"]),
        ("  on recurring series", figures["series_operations"]),
        ("faults injected", figures["faults_injected"]),
        ("syncs", figures["syncs"]),
        ("  failed (then resumed)", figures["failed_syncs"]),
        ("  killed before commit", figures["killed_syncs"]),
        ("  held by the safety guard", figures["guard_holds"]),
        ("settle-and-compare checks", figures["settles"]),
        ("divergences found", figures["divergences"]),
        ("seconds", figures["seconds"]),
    ]
    print("\nsoak figures")
    for label, value in rows:
        print(f"  {label:<28} {value}")
    for title, key in (
        ("operations", "operations_by_kind"),
        ("faults", "faults_by_kind"),
        ("known bugs avoided", "known_bugs_avoided"),
    ):
        print(f"  {title} by kind:")
        for kind, count in sorted(figures[key].items(), key=lambda item: -item[1]):
            print(f"    {kind:<30} {count}")
    for detail in figures["divergence_details"]:
        print(f"  DIVERGENCE: {detail}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="gcs-soak-") as folder:
        report_path = Path(folder) / "figures.json"
        result = run(args, report_path)
        if not report_path.exists():
            print("soak: the convergence test wrote no figures (see its output above)")
            return 1
        figures = json.loads(report_path.read_text(encoding="utf-8"))
    print_figures(figures)
    if figures["divergences"]:
        print(
            f"\nreplay (stops at the first divergence, prints its steps):\n  {replay_command(args)}"
        )
    return 0 if result.returncode == 0 and figures["divergences"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
