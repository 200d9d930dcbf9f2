"""The accuracy harness behind ``mvgraph bench``: every method × dataset × seed.

Results are written after every run (atomically), so an interrupted benchmark keeps
what it finished: ``<out>/<name>.json`` holds every run's record and a summary per
(method, dataset) with mean ± std; ``<out>/<name>.md`` is the table, with the
numbers published for the method beside ours.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mvgraph import __version__
from mvgraph.data import MultiViewData, dataset_info
from mvgraph.experiment import applied_preset, load_data, run
from mvgraph.metrics import METRIC_COLUMNS
from mvgraph.models import get_method
from mvgraph.utils import atomic_save_json, atomic_write, memory_limit

Task = tuple[str, str, int]  # (method, dataset spec, seed)
SUMMARY_METRICS = ("acc", "nmi", "purity", "ari", "fscore", "f1_macro")

# The two halves of benchmarks/PROTOCOL.md: defaults are chosen on "tuning" only.
PROTOCOL_HALVES: dict[str, list[str]] = {
    "tuning": ["ngs", "bbcsport", "movies", "citeseer", "handwritten", "handwritten-3v", "cub",
               "orl", "scene15", "mnist_usps", "prokaryotic"],
    "report": ["bbc", "3sources", "reuters1200", "cora", "wikipedia", "pie", "landuse21",
               "hdigit", "ccv", "bdgp", "proteinfold", "synthetic3d"],
}


@cache
def published_results() -> dict[str, Any]:
    """The table of results reported in the methods' papers (fractions in [0, 1])."""
    text = resources.files("mvgraph").joinpath("published_results.json").read_text()
    return json.loads(text)


def reference_result(method: str, dataset: str, scaler: str) -> dict[str, Any] | None:
    """The published numbers for ``method`` on ``dataset``, if any.

    For ``concat-kmeans`` the reference is the registry's k-means baseline with the
    same scaling (min-max or row-L2), measured with the same protocol.
    """
    if method == "concat-kmeans":
        baseline = {"minmax": "kmeans_minmax_concat", "l2": "kmeans_rowl2_concat"}.get(scaler)
        try:
            info = dataset_info(dataset)
        except ValueError:
            return None
        if baseline is None or baseline not in info:
            return None
        return {**info[baseline], "source": f"registry baseline {baseline}"}
    return published_results()["results"].get(method, {}).get(dataset)


def summarize(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean and (population) std over seeds of each metric and of the fit time; the same
    for the k-means averages (``kmeans_average``) when the runs have them."""
    summary: dict[str, Any] = {"seeds": [r["seed"] for r in records]}
    summary.update(_mean_std(records, (*SUMMARY_METRICS, "seconds")))
    best = [r.get("best_epoch", {}) for r in records]
    if all(best):
        summary.update({f"best_epoch_{key}": value
                        for key, value in _mean_std(best, ("acc", "nmi")).items()})
    averages = [r["kmeans_average"] for r in records if "kmeans_average" in r]
    if averages:
        summary["kmeans_average"] = {"runs": averages[0]["runs"],
                                     **_mean_std(averages, SUMMARY_METRICS)}
    return summary


def _mean_std(records: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in keys:
        values = [r[key] for r in records if key in r]
        if values:
            out[key] = float(np.mean(values))
            out[f"{key}_std"] = float(np.std(values))
    return out


def run_benchmark(
    methods: Sequence[str],
    datasets: Sequence[str],
    *,
    seeds: int = 5,
    name: str | None = None,
    out_dir: str | Path = "benchmarks/results",
    params: Mapping[str, Any] | None = None,
    use_presets: bool = True,
    kmeans_runs: int = 0,
    missing_rate: float = 0.0,
    resume: bool = False,
    jobs: int = 1,
    progress: Callable[[dict[str, Any]], None] | None = None,
    max_memory: int | str | None = None,
) -> dict[str, Any]:
    """Run every (method, dataset) pair for seeds ``0 .. seeds-1`` and write the results.

    ``datasets`` are data specs (see :func:`~mvgraph.experiment.load_data`); ``"tuning"``
    and ``"report"`` stand for the sets of that half of the protocol
    (:data:`PROTOCOL_HALVES`).

    ``params`` (for example from ``--set``) apply to every method, on top of the
    method's per-dataset preset when ``use_presets``. With ``kmeans_runs > 0`` every run
    also reports metrics averaged over that many k-means runs of its final embedding
    (:func:`~mvgraph.experiment.kmeans_average`). With ``missing_rate > 0`` every run
    first makes that fraction of its samples incomplete, drawn with the run's seed
    (:func:`~mvgraph.data.make_incomplete`). With ``resume``, the runs already in
    ``<out_dir>/<name>.json`` (same parameters, presets and k-means runs) are kept instead
    of being run again (unless the method's preset for the set has changed since), so an
    interrupted benchmark can be finished or extended. With ``jobs > 1`` up to that many
    runs go at once, each in its own process with ``cpu_count // jobs`` torch threads;
    the report has the same runs in the same order, but every fit time then includes the
    contention of the others, and a deep method's fits may differ from serial ones: a
    different thread count rounds differently, and training amplifies it. Returns the
    report that is written to ``<out_dir>/<name>.json``. ``max_memory`` refuses a fit
    whose estimated peak memory exceeds it (:func:`~mvgraph.utils.memory_limit`).
    """
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1; got {seeds}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1; got {jobs!r}")
    name = name or "-".join(methods)
    datasets = [name for spec in datasets for name in PROTOCOL_HALVES.get(spec, [spec])]
    out = Path(out_dir)
    report: dict[str, Any] = {
        "name": name,
        "methods": list(methods),
        "datasets": list(datasets),
        "seeds": seeds,
        "params": dict(params or {}),
        "use_presets": use_presets,
        "kmeans_runs": kmeans_runs,
        "missing_rate": missing_rate,
        "environment": environment(jobs),
        "runs": [],
        "summary": [],
    }
    done = _finished_runs(out / f"{name}.json", report) if resume else {}
    load = _LastLoaded()
    names = {spec: load(spec).name for spec in datasets}
    groups = [(method, spec) for spec in datasets for method in methods]
    records: dict[tuple[str, str, int], dict[str, Any]] = {}
    tasks = []
    for method, spec in groups:
        for seed in range(seeds):
            key = (method, names[spec], seed)
            record = done.get(key)
            if record is not None and preset_is_current(record, params, use_presets):
                records[key] = record
            else:
                tasks.append((method, spec, seed))
    settings = (dict(params or {}), use_presets, kmeans_runs, missing_rate, max_memory)
    for method, spec, seed, record in _run_all(tasks, settings, jobs, load):
        records[(method, names[spec], seed)] = record
        if progress is not None:
            progress(record)
        _assemble(report, groups, names, seeds, records)
        write_report(report, out, name)
    _assemble(report, groups, names, seeds, records)
    write_report(report, out, name)
    return report


def _run_all(
    tasks: Sequence[Task],
    settings: tuple[dict[str, Any], bool, int, float, int | str | None],
    jobs: int,
    load: Callable[[str], MultiViewData],
) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    """Run the (method, dataset spec, seed) ``tasks`` and yield each with its record as it
    finishes: in order in this process, or in a pool of ``jobs`` processes."""
    if jobs == 1 or not tasks:
        for method, spec, seed in tasks:
            yield method, spec, seed, _run_record(method, load(spec), seed, *settings)
        return
    threads = _threads_per_fit(jobs)
    context = multiprocessing.get_context("spawn")  # a forked torch may deadlock
    pool = ProcessPoolExecutor(
        min(jobs, len(tasks)), mp_context=context, initializer=torch.set_num_threads,
        initargs=(threads,),
    )
    try:
        futures = {pool.submit(_run_in_worker, *task, *settings): task for task in tasks}
        for future in as_completed(futures):
            yield (*futures[future], future.result())
    finally:  # a failed run stops the benchmark: the runs not started are dropped
        pool.shutdown(cancel_futures=True)


def _run_record(
    method: str, data: MultiViewData, seed: int, params: dict[str, Any], use_presets: bool,
    kmeans_runs: int, missing_rate: float, max_memory: int | str | None,
) -> dict[str, Any]:
    if "verbose" in get_method(method)().get_params():  # the report lines are the progress
        params = {"verbose": 0, **params}
    with memory_limit(max_memory):
        result = run(method, data, seed=seed, params=params, use_preset=use_presets,
                     kmeans_runs=kmeans_runs, missing_rate=missing_rate)
    return _as_json(result.record())


class _LastLoaded:
    """``load_data(spec)``, keeping only the last data set loaded (runs come grouped by
    data set)."""

    def __init__(self) -> None:
        self.spec: str | None = None
        self.data: MultiViewData | None = None

    def __call__(self, spec: str) -> MultiViewData:
        if spec != self.spec:
            self.data = None  # release the previous set before loading the next
            self.data, self.spec = load_data(spec), spec
        return self.data


_worker_data = _LastLoaded()  # used only in the pool's worker processes


def _run_in_worker(method: str, spec: str, seed: int, *settings: Any) -> dict[str, Any]:
    return _run_record(method, _worker_data(spec), seed, *settings)


def _assemble(
    report: dict[str, Any],
    groups: Sequence[tuple[str, str]],
    names: Mapping[str, str],
    seeds: int,
    records: Mapping[tuple[str, str, int], dict[str, Any]],
) -> None:
    """Fill ``report``'s runs (in method × dataset × seed order) and the summaries of the
    (method, dataset) pairs whose seeds have all finished."""
    report["runs"], report["summary"] = [], []
    for method, spec in groups:
        finished = [records[key] for key in ((method, names[spec], seed) for seed in
                                             range(seeds)) if key in records]
        report["runs"].extend(finished)
        if len(finished) < seeds:
            continue
        summary = {"method": method, "dataset": names[spec], **summarize(finished)}
        summary["scaler"] = finished[0]["scaler"]
        summary["preset"] = finished[0]["preset"]
        summary["published"] = reference_result(method, names[spec], summary["scaler"])
        report["summary"].append(summary)


def preset_is_current(
    record: Mapping[str, Any], params: Mapping[str, Any] | None, use_presets: bool = True
) -> bool:
    """Whether the run ``record`` applied the preset that its method has for its data set
    today (a run made before a preset was added or changed is out of date)."""
    preset = applied_preset(record["method"], record["dataset"], params, use_presets)
    return record.get("preset") == _as_json(preset)


def _as_json(value: Any) -> Any:
    """``value`` as it reads back from a report (tuples become lists)."""
    return json.loads(json.dumps(value))


def _finished_runs(
    path: Path, report: Mapping[str, Any]
) -> dict[tuple[str, str, int], dict[str, Any]]:
    """The runs of an earlier report at ``path`` by (method, dataset, seed); empty when
    there is none. An earlier report run with other settings is an error."""
    if not path.exists():
        return {}
    try:
        earlier = json.loads(path.read_text())
        settings = [(earlier["params"], earlier["use_presets"], earlier.get("kmeans_runs", 0),
                     earlier.get("missing_rate", 0.0)),
                    (report["params"], report["use_presets"], report["kmeans_runs"],
                     report["missing_rate"])]
        runs = earlier["runs"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"cannot resume from {path}: not a benchmark report ({error})") from error
    if settings[0] != settings[1]:
        raise ValueError(
            f"cannot resume from {path}: it was run with params, presets, k-means runs and "
            "missing rate "
            f"{settings[0]}, not {settings[1]}; choose another --name"
        )
    return {(r["method"], r["dataset"], r["seed"]): r for r in runs}


def markdown_table(report: Mapping[str, Any]) -> str:
    """Mean ± std (in %) per (method, dataset), with the published numbers beside them.

    A dataset marked ``(preset)`` ran with the method's per-dataset preset; the values
    are listed under the table. When runs recorded per-epoch metrics, a last column gives
    the best-epoch ACC, a diagnostic chosen with the labels (see
    :func:`mvgraph.experiment.best_epoch_metrics`). Rows with k-means averages get a
    second table.
    """
    diagnostic = any("best_epoch_acc" in row for row in report["summary"])
    header = ["method", "dataset", "seeds"] + [label for _, label in METRIC_COLUMNS]
    header += ["time (s)", "published"]
    if diagnostic:
        header.append("best-epoch ACC (diagnostic)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    presets = []
    for row in report["summary"]:
        dataset = row["dataset"]
        if row.get("preset"):
            presets.append(f"- {row['method']} on {dataset}: " + ", ".join(
                f"{key}={value!r}" for key, value in row["preset"].items()))
            dataset += " (preset)"
        cells = [row["method"], dataset, str(len(row["seeds"]))]
        for key, _ in METRIC_COLUMNS:
            cells.append(
                f"{100 * row[key]:.2f} ± {100 * row[f'{key}_std']:.2f}" if key in row else "-"
            )
        cells.append(f"{row['seconds']:.2f}")
        cells.append(_format_published(row.get("published")))
        if diagnostic:
            cells.append(
                f"{100 * row['best_epoch_acc']:.2f} ± {100 * row['best_epoch_acc_std']:.2f}"
                if "best_epoch_acc" in row else "-"
            )
        lines.append("| " + " | ".join(cells) + " |")
    averaged = [row for row in report["summary"] if row.get("kmeans_average")]
    if averaged:
        runs = averaged[0]["kmeans_average"]["runs"]
        lines += ["", f"Metrics averaged over {runs} k-means runs (n_init=10) of each seed's "
                  "final embedding, then mean ± std over seeds:", "",
                  "| method | dataset | seeds | " + " | ".join(
                      label for _, label in METRIC_COLUMNS) + " |",
                  "|" + "---|" * (3 + len(METRIC_COLUMNS))]
        for row in averaged:
            average = row["kmeans_average"]
            cells = [row["method"], row["dataset"], str(len(row["seeds"]))] + [
                f"{100 * average[key]:.2f} ± {100 * average[f'{key}_std']:.2f}"
                if key in average else "-" for key, _ in METRIC_COLUMNS
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if presets:
        lines += ["", "Per-dataset presets:", *presets]
    return "\n".join(lines) + "\n"


def _format_published(published: Mapping[str, Any] | None) -> str:
    if not published:
        return "-"
    parts = [
        f"{label} {100 * published[key]:.2f}"
        for key, label in (*METRIC_COLUMNS, ("f1_macro", "F1"))
        if isinstance(published.get(key), (int, float))
    ]
    text = ", ".join(parts)
    if published.get("comparable") is False:
        text += " (not comparable)"
    return f"{text} [{published.get('source', '')}]"


def write_report(
    report: Mapping[str, Any],
    out: Path,
    name: str,
    table: Callable[[Mapping[str, Any]], str] = markdown_table,
) -> None:
    """Write ``report`` to ``<out>/<name>.json`` and its ``table`` to ``<name>.md``,
    both atomically."""
    atomic_save_json(report, out / f"{name}.json")
    with atomic_write(out / f"{name}.md", "w") as handle:
        handle.write(f"# {name}\n\n" + table(report))


def _threads_per_fit(jobs: int) -> int:
    """Torch threads of every fit: this process's for serial runs, else an equal share."""
    return torch.get_num_threads() if jobs == 1 else max(1, (os.cpu_count() or 1) // jobs)


def environment(jobs: int) -> dict[str, Any]:
    """Versions, machine and the processes (``jobs``) and torch threads of every fit."""
    return {
        "mvgraph": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "jobs": jobs,
        "threads": _threads_per_fit(jobs),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
