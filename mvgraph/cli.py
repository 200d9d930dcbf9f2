"""The ``mvgraph`` command line: ``datasets``, ``fit``, ``bench``, ``plot`` and ``report``.

Every expected failure (bad data, unknown names, unreadable files, a diverging loss)
is reported as one line ``mvgraph: error: ...`` on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from mvgraph.data.scalers import SCALERS
from mvgraph.models import METHOD_NAMES

if TYPE_CHECKING:
    from mvgraph.distributed import Shard

# A diverging loss raises NonFiniteLossError, a FloatingPointError; a fit too large for the
# memory InsufficientMemoryError, a MemoryError. The modules that fit
# are imported by the commands that need them, so that --help, `datasets` and argument
# errors answer without importing torch.
EXPECTED_ERRORS = (ValueError, TypeError, OSError, FloatingPointError, MemoryError)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``mvgraph: error: ...``, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"mvgraph: error: {message}\n")


def int_at_least(least: int) -> Callable[[str], int]:
    """The ``type`` of an integer argument that must be ``>= least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least:
            raise argparse.ArgumentTypeError(f"expected an integer >= {least}; got {text!r}")
        return value

    return parse


def fraction(text: str) -> float:
    """The ``type`` of an argument that is a number in ``[0, 1]``."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1]; got {text!r}")
    return value


def memory_size(text: str) -> int:
    """The ``type`` of a memory size argument (bytes)."""
    from mvgraph.utils.memory import parse_memory

    try:
        return parse_memory(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="mvgraph", description="Deep multi-view clustering from graph operators."
    )
    commands = parser.add_subparsers(dest="command", required=True,
                                     parser_class=OneLineParser)

    commands.add_parser("datasets", help="list the benchmark registry and what is present")

    fit = commands.add_parser("fit", help="cluster one data set with one method")
    fit.add_argument("method", choices=sorted(METHOD_NAMES), metavar="METHOD",
                     help=f"one of {', '.join(sorted(METHOD_NAMES))}")
    fit.add_argument("--data", required=True,
                     help="registry name, .mat/.npz path, or synthetic[:n=...,views=...]")
    fit.add_argument("--clusters", type=int_at_least(1), default=None,
                     help="number of clusters (default: number of classes in the labels)")
    fit.add_argument("--seed", type=int_at_least(0), default=0,
                     help="random_state of the method")
    fit.add_argument("--scaler", choices=SCALERS, default=None,
                     help="per-view scaling (default auto: the method's paper's, else a data rule)")
    fit.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help="set a method hyper-parameter; repeatable")
    fit.add_argument("--no-preset", action="store_true",
                     help="ignore the method's per-dataset preset (use its defaults)")
    fit.add_argument("--out", default=None,
                     help="output folder (default: runs/<method>/<dataset>/seed<seed>)")
    fit.add_argument("--kmeans-runs", type=int_at_least(0), default=0, metavar="N",
                     help="also report metrics averaged over N k-means runs of the embedding")
    fit.add_argument("--missing-rate", type=fraction, default=0.0, metavar="R",
                     help="first remove views of a fraction R of the samples, each keeping "
                     "at least one (drawn with --seed; methods that take missing views only)")
    fit.add_argument("--checkpoint", default=None, metavar="FILE",
                     help="training state of a deep method, written every 200 steps "
                     "(--set checkpoint_every=N) and on Ctrl-C or SIGTERM (default: "
                     "<out>/checkpoint.pt; removed once the results are written)")
    fit.add_argument("--resume", action="store_true",
                     help="continue the fit saved in the checkpoint (the same command "
                     "otherwise)")
    fit.add_argument("--deterministic", action="store_true",
                     help="one thread and deterministic kernels: the same seed gives "
                     "byte-identical labels and embedding")
    fit.add_argument("--quiet", action="store_true",
                     help="no progress bars")
    fit.add_argument("--plot", action="store_true",
                     help="also draw the run's pictures into --out (see 'mvgraph plot')")

    plot = commands.add_parser(
        "plot", help="draw the pictures of a fit's run directory into it: training "
        "curves, 2-D embedding, confusion matrix, cluster sizes, learned view weights")
    plot.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by 'mvgraph fit'")
    report = commands.add_parser(
        "report", help="one self-contained HTML file for a bench or scaling results file")
    report.add_argument("results", metavar="RESULTS", help="a results .json file")
    report.add_argument("--out", default=None, metavar="FILE",
                        help="the HTML file (default: RESULTS with the suffix .html)")
    for command in (fit, plot):
        command.add_argument("--projection", choices=("pca", "tsne"), default="pca",
                             help="2-D map of the embedding (default pca; tsne up to "
                             "20000 points)")
        command.add_argument("--max-points", type=int_at_least(2), default=20000,
                             metavar="N", help="the most points the embedding map shows; "
                             "a stratified subsample beyond (default 20000)")

    bench = commands.add_parser("bench", help="accuracy harness over methods × datasets × seeds")
    bench.add_argument("--methods", nargs="+", required=True, choices=sorted(METHOD_NAMES),
                       metavar="METHOD")
    bench.add_argument("--datasets", nargs="+", required=True, metavar="DATA",
                       help="data specs; 'tuning' and 'report' stand for the sets of that "
                       "half of benchmarks/PROTOCOL.md")
    bench.add_argument("--seeds", type=int_at_least(1), default=5,
                       help="seeds 0..N-1 (default 5)")
    bench.add_argument("--name", default=None, help="result file stem (default: methods)")
    bench.add_argument("--out", default="benchmarks/results", help="results folder")
    bench.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="hyper-parameter for every method; repeatable")
    bench.add_argument("--no-preset", action="store_true",
                       help="ignore the methods' per-dataset presets (use their defaults)")
    bench.add_argument("--kmeans-runs", type=int_at_least(0), default=0, metavar="N",
                       help="also report metrics averaged over N k-means runs of each "
                       "final embedding")
    bench.add_argument("--missing-rate", type=fraction, default=0.0, metavar="R",
                       help="first remove views of a fraction R of the samples of every run, "
                       "each keeping at least one (drawn with the run's seed)")
    bench.add_argument("--resume", action="store_true",
                       help="keep the runs already in <out>/<name>.json and run the rest")
    bench.add_argument("--jobs", type=int_at_least(1), default=1, metavar="N",
                       help="run up to N fits at once, each in its own process (fit times "
                       "then include the contention)")
    for command in (fit, bench):
        command.add_argument("--max-memory", type=memory_size, default=None, metavar="SIZE",
                             help="refuse a fit whose estimated peak memory exceeds SIZE "
                             "(e.g. 8GB, 512MiB); fits beyond the available memory are "
                             "always refused")
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process stands (as Python raises SIGINT)."""

    signal_number = signal.SIGTERM


def _raise_terminated(number: int, frame: FrameType | None) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; SIGINT and SIGTERM end it with one line and exit status
    130 or 143 (a fit in training first finishes its step and writes its checkpoint)."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _main(argv)
    except KeyboardInterrupt as stop:
        number = getattr(stop, "signal_number", signal.SIGINT)
        path = getattr(stop, "checkpoint_path", None)
        resume = (f"; the fit is saved in {path}: run the same command with --resume to "
                  "continue it") if path is not None else ""
        print(f"mvgraph: interrupted by {signal.Signals(number).name}{resume}",
              file=sys.stderr)
        return 128 + number
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or an argument error already printed
        return int(stop.code or 0)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            if args.command == "datasets":
                return _datasets()
            if args.command == "fit":
                return _fit(args)
            if args.command == "plot":
                return _plot(args, Path(args.run_dir))
            if args.command == "report":
                return _report(args)
            return _bench(args)
    except EXPECTED_ERRORS as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"mvgraph: error: {message}", file=sys.stderr)
        return 2


def _show_warning(message: Warning | str, category: type[Warning], *args: object,
                  **kwargs: object) -> None:
    print(f"mvgraph: warning: {message}", file=sys.stderr, flush=True)


def _check_out_dir(out: Path) -> None:
    """Refuse an output folder that cannot be created or written, before any work."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out must name a folder; got the existing file '{out}'")
    existing = next(parent for parent in [out, *out.parents] if parent.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out '{out}' cannot be written: '{existing}' is not a writable "
                         "folder")


def _checkpoint(args: argparse.Namespace, out: Path) -> Path:
    """The checkpoint file of a deep fit: refused when ``--resume`` finds none, or when one
    is there and ``--resume`` is not given (it holds an unfinished fit)."""
    path = Path(args.checkpoint) if args.checkpoint is not None else out / "checkpoint.pt"
    if path.exists() and not path.is_file():
        raise ValueError(f"--checkpoint must name a file; got the folder '{path}'")
    if args.resume and not path.exists():
        raise ValueError(f"--resume: there is no checkpoint at '{path}'")
    if path.exists() and not args.resume:
        raise ValueError(f"the checkpoint '{path}' holds an unfinished fit: pass --resume to "
                         "continue it, or remove it to start afresh")
    return path


def _datasets() -> int:
    from mvgraph.data.registry import list_datasets

    rows = [
        [entry["name"], str(entry["n"]), str(entry["views"]), str(entry["classes"]),
         "yes" if entry["present"] else "no"]
        for entry in list_datasets()
    ]
    header = ["name", "samples", "views", "classes", "present"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    return 0


def _fit(args: argparse.Namespace) -> int:
    """One run; under ``torchrun`` every process fits its shard of the data and rank 0
    writes the results and prints."""
    from torch.distributed import DistError

    from mvgraph.distributed import process_group_from_environment

    try:
        with process_group_from_environment() as shard:
            return _fit_shard(args, shard)
    except DistError as error:  # another process failed, or a collective timed out
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no reason given"
        raise OSError(f"the distributed run lost a process: {reason}") from None


def _fit_shard(args: argparse.Namespace, shard: Shard) -> int:
    from mvgraph.experiment import (
        format_metrics_table,
        load_data,
        parse_params,
        run,
        write_run,
    )
    from mvgraph.metrics import METRIC_COLUMNS
    from mvgraph.models import get_method
    from mvgraph.utils import deterministic_mode, memory_limit

    params = parse_params(args.set)
    if args.plot:
        _check_projection(args)
    if args.scaler is not None:
        params["scaler"] = args.scaler
    if args.out is not None:
        _check_out_dir(Path(args.out))
    data = load_data(args.data, shard)
    out = Path(args.out or Path("runs") / args.method / Path(data.name or "data").stem
               / f"seed{args.seed}")
    if args.out is None:
        _check_out_dir(out)
    known = get_method(args.method)().get_params()
    if "checkpoint_path" not in known and (args.checkpoint or args.resume):
        raise ValueError(f"--checkpoint and --resume: {args.method} has no training to "
                         "checkpoint")
    checkpoint = _checkpoint(args, out) if "checkpoint_path" in known else None
    if checkpoint is not None:
        params["checkpoint_path"] = str(checkpoint)
    if "verbose" in known:
        params.setdefault("verbose", 0 if args.quiet or shard.rank else 1)
    if args.deterministic and "deterministic" in known:
        params["deterministic"] = True
    with deterministic_mode(args.deterministic), memory_limit(args.max_memory):
        result = run(args.method, data, seed=args.seed, n_clusters=args.clusters,
                     params=params, use_preset=not args.no_preset,
                     kmeans_runs=args.kmeans_runs, missing_rate=args.missing_rate)
    if shard.rank:
        return 0
    write_run(result, out)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    print(format_metrics_table([result.record()]))
    if result.clusters_found < result.n_clusters:
        print(f"note: the labels use {result.clusters_found} of the {result.n_clusters} "
              "clusters asked for")
    if result.kmeans_average:
        average = result.kmeans_average
        print(f"averaged over {average['runs']} k-means runs: " + ", ".join(
            f"{label} {average[key]:.4f}" for key, label in METRIC_COLUMNS if key in average))
    print(f"results written to {out}")
    if args.plot:
        _plot(args, out)
    return 0


def _check_projection(args: argparse.Namespace) -> None:
    if args.projection == "tsne" and args.max_points > 20000:
        raise ValueError(f"--max-points must be at most 20000 with --projection tsne; got "
                         f"{args.max_points}")


def _plot(args: argparse.Namespace, run_dir: Path) -> int:
    from mvgraph.plot import plot_run

    _check_projection(args)
    paths = plot_run(run_dir, projection=args.projection, max_points=args.max_points)
    print(f"pictures written to {run_dir}: " + ", ".join(path.name for path in paths))
    return 0


def _report(args: argparse.Namespace) -> int:
    from mvgraph.plot import write_html_report

    print(f"report written to {write_html_report(args.results, args.out)}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from mvgraph.benchmark import markdown_table, run_benchmark
    from mvgraph.experiment import format_metrics_table, parse_params

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError("bench runs its fits in processes of its own (--jobs); start it "
                         "without torchrun (fit runs under torchrun)")
    _check_out_dir(Path(args.out))
    params = parse_params(args.set)

    def progress(record: dict) -> None:
        print(format_metrics_table([record]).splitlines()[1], flush=True)

    report = run_benchmark(
        args.methods, args.datasets, seeds=args.seeds, name=args.name, out_dir=args.out,
        params=params, use_presets=not args.no_preset, kmeans_runs=args.kmeans_runs,
        missing_rate=args.missing_rate, resume=args.resume, jobs=args.jobs, progress=progress,
        max_memory=args.max_memory,
    )
    print()
    print(markdown_table(report))
    print(f"results written to {Path(args.out) / (report['name'] + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
