"""One clustering run: resolve the data, fit a method with a seed, score, write results.

Shared by ``mvgraph fit`` and the benchmark harness, so a table row and a single run
are produced by the same code.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mvgraph import __version__
from mvgraph.cluster import kmeans
from mvgraph.data import (
    MultiViewData,
    load_dataset,
    load_npz,
    load_views,
    make_incomplete,
    make_multiview_blobs,
    shard_bounds,
)
from mvgraph.distributed import SINGLE_PROCESS, Shard, current_shard
from mvgraph.metrics import METRIC_COLUMNS, METRIC_KEYS, evaluate
from mvgraph.models import get_method
from mvgraph.utils import atomic_save_json, atomic_save_npy

SYNTHETIC_OPTIONS = {
    "n": ("n_samples", int),
    "views": ("n_views", int),
    "clusters": ("n_clusters", int),
    "dim": ("dims", int),
    "noise": ("noise", float),
}


def load_data(spec: str, shard: Shard = SINGLE_PROCESS) -> MultiViewData:
    """Data from a registry name, a ``.mat``/``.npz`` path, or ``synthetic[:opt=value,...]``.

    Synthetic options: ``n``, ``views``, ``clusters``, ``dim``, ``noise`` (for example
    ``synthetic:n=100000,views=3,clusters=20``); the generator's seed is fixed at 0 so
    every method sees the same data.

    With a distributed ``shard``, this process's contiguous samples
    (:func:`~mvgraph.data.shard_bounds`): a ``.npz`` file is read for those rows only,
    any other source is loaded whole and cut.
    """
    path = Path(spec)
    if shard.is_distributed:
        if path.suffix.lower() == ".npz":
            return load_npz(path, part=(shard.rank, shard.world_size))
        data = load_data(spec)
        start, stop = shard_bounds(data.n_samples, shard.rank, shard.world_size)
        return data.subset(np.arange(start, stop))
    if path.suffix.lower() in {".mat", ".npz"} or path.exists():
        return load_views(path)
    name, _, options = spec.partition(":")
    if name.lower() == "synthetic":
        kwargs: dict[str, Any] = {}
        for item in filter(None, options.split(",")):
            key, _, value = item.partition("=")
            if key not in SYNTHETIC_OPTIONS:
                raise ValueError(
                    f"unknown synthetic option {key!r} in {spec!r}; "
                    f"choose from {sorted(SYNTHETIC_OPTIONS)}"
                )
            argument, cast = SYNTHETIC_OPTIONS[key]
            try:
                kwargs[argument] = cast(value)
            except ValueError:
                kind = "an integer" if cast is int else "a number"
                raise ValueError(
                    f"synthetic option {key} must be {kind}; got {value!r} in {spec!r}"
                ) from None
        data = make_multiview_blobs(random_state=0, **kwargs)
        data.name = spec
        return data
    return load_dataset(spec)


def parse_params(assignments: Sequence[str]) -> dict[str, Any]:
    """``["lr=1e-3", "fusion='average'"]`` → ``{"lr": 0.001, "fusion": "average"}``.

    Values are Python literals when they parse as one, strings otherwise.
    """
    params: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name:
            raise ValueError(f"--set expects name=value; got {assignment!r}")
        try:
            params[name.strip()] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            params[name.strip()] = text.strip()
    return params


def kmeans_average(
    embedding: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    *,
    runs: int = 20,
    n_init: int = 10,
    random_state: int | None = None,
) -> dict[str, float]:
    """Metrics of ``runs`` k-means clusterings of one embedding, averaged.

    The protocol of papers that train once and report the mean over repeated k-means
    (BMvC's code: 20 runs of ``n_init=10`` with random seeds). The seeds of the runs are
    drawn from ``random_state``. Returns the mean of every metric of
    :func:`~mvgraph.metrics.evaluate` and ``runs``.
    """
    if not isinstance(runs, (int, np.integer)) or isinstance(runs, bool) or runs < 1:
        raise ValueError(f"runs must be a positive integer; got {runs!r}")
    seeds = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=int(runs))
    scores = [
        evaluate(labels, kmeans(embedding, n_clusters, n_init=n_init,
                                random_state=int(seed)).labels)
        for seed in seeds
    ]
    average = {key: float(np.mean([score[key] for score in scores])) for key in scores[0]}
    return {**average, "runs": int(runs)}


@dataclass
class RunResult:
    """What one run produced: metrics (fractions), timing, labels and embedding.

    ``scaler`` is the scaling method, ``view_scalers`` what it did to each view (the
    per-view choice of ``"auto"``).
    ``preset`` holds the per-dataset overrides that were applied (empty when none);
    ``best_epoch`` the :func:`best_epoch_metrics` diagnostic (empty when not available).
    ``kmeans_average`` the metrics of :func:`kmeans_average` when asked for (else empty).
    ``clusters_found`` counts the clusters the labels use (fewer than ``n_clusters`` when
    some were left empty).
    ``restarts`` describes the training runs of an estimator fitted with ``n_restarts > 1``
    (final ``losses``, ``cluster_counts``, ``seeds``, the ``kept`` index; else empty).
    ``history`` is the estimator's per-epoch ``history_`` (empty for a method without
    training), ``true_labels`` the data's labels when it has them, and ``view_values``
    what the method learned about the views (:func:`learned_view_values`).
    ``missing_rate`` is the fraction of samples made incomplete before the fit (0: none).
    """

    method: str
    dataset: str
    seed: int
    params: dict[str, Any]
    scaler: str
    seconds: float
    view_scalers: list[str] = field(default_factory=list)
    preset: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    best_epoch: dict[str, float] = field(default_factory=dict)
    kmeans_average: dict[str, float] = field(default_factory=dict)
    restarts: dict[str, Any] = field(default_factory=dict)
    labels: np.ndarray | None = None
    embedding: np.ndarray | None = None
    true_labels: np.ndarray | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    view_values: dict[str, np.ndarray] = field(default_factory=dict)
    n_samples: int = 0
    n_views: int = 0
    n_clusters: int = 0
    clusters_found: int = 0
    missing_rate: float = 0.0

    def record(self) -> dict[str, Any]:
        """The JSON record: metric keys first, then the run's description."""
        return {
            **self.metrics,
            "seconds": self.seconds,
            "method": self.method,
            "dataset": self.dataset,
            "seed": self.seed,
            "scaler": self.scaler,
            "view_scalers": self.view_scalers,
            "n_samples": self.n_samples,
            "n_views": self.n_views,
            "n_clusters": self.n_clusters,
            "clusters_found": self.clusters_found,
            **({"missing_rate": self.missing_rate} if self.missing_rate else {}),
            "params": self.params,
            "preset": self.preset,
            "best_epoch": self.best_epoch,
            **({"kmeans_average": self.kmeans_average} if self.kmeans_average else {}),
            **({"restarts": self.restarts} if self.restarts else {}),
            "mvgraph_version": __version__,
        }


def applied_preset(
    method: str, dataset: str, params: Mapping[str, Any] | None, use_preset: bool = True
) -> dict[str, Any]:
    """The part of ``method``'s preset for ``dataset`` that a run with ``params`` applies
    (``params`` override the preset; empty when ``use_preset`` is false)."""
    if not use_preset:
        return {}
    preset = get_method(method).presets.get(dataset, {})
    return {key: value for key, value in preset.items() if key not in (params or {})}


def run(
    method: str,
    data: MultiViewData,
    *,
    seed: int = 0,
    n_clusters: int | None = None,
    params: Mapping[str, Any] | None = None,
    use_preset: bool = True,
    kmeans_runs: int = 0,
    missing_rate: float = 0.0,
) -> RunResult:
    """Fit ``method`` on ``data`` with ``random_state=seed`` and score it if labels exist.

    When ``use_preset`` is true and the method has a preset for ``data.name`` (see
    ``MultiViewClusterer.presets``), the preset's values replace the defaults; ``params``
    override both. The preset actually applied is part of the result. With
    ``kmeans_runs > 0`` and labels, the result also holds :func:`kmeans_average` of the
    fitted embedding over that many k-means runs (seeded from ``seed``).
    With ``missing_rate > 0`` that fraction of the samples lose some of their views
    first (:func:`~mvgraph.data.make_incomplete`, drawn with ``seed``); the metrics still
    score every sample.

    In a distributed run (an initialised process group of several processes) ``data``
    is this process's shard (:func:`load_data`); the labels, embeddings and true labels
    of all shards are gathered, so every rank returns the result of the whole data.

    ``n_clusters`` may also come as a parameter (not both, unless equal); ``random_state``
    is ``seed`` and cannot. Every value must follow its parameter's rule
    (:meth:`~mvgraph.models.base.MultiViewClusterer.check_parameters`), checked before the
    fit starts.
    """
    estimator_class = get_method(method)
    params = dict(params or {})
    known = estimator_class().get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for method {method!r}; valid: {sorted(known)}"
        )
    if "random_state" in params:
        raise ValueError("random_state is the run's seed (--seed, --seeds); it cannot be set "
                         f"as a parameter; got random_state={params['random_state']!r}")
    if n_clusters is not None and params.get("n_clusters", n_clusters) != n_clusters:
        raise ValueError(f"n_clusters is given twice: {n_clusters} (--clusters) and "
                         f"{params['n_clusters']} (a parameter)")
    n_clusters = params.pop("n_clusters", n_clusters)
    preset = applied_preset(method, data.name, params, use_preset)
    params = {**preset, **params}
    shard = current_shard()
    true_labels = None if data.labels is None else _gathered(data.label_values[data.labels],
                                                             shard)
    if true_labels is not None:
        true_labels = np.unique(true_labels, return_inverse=True)[1]
    if n_clusters is None:
        if true_labels is None:
            raise ValueError("n_clusters is required when the data has no labels")
        n_clusters = int(true_labels.max()) + 1
    estimator = estimator_class(**{**params, "n_clusters": n_clusters, "random_state": seed})
    estimator.check_parameters()
    if missing_rate and shard.is_distributed:
        raise ValueError("missing_rate: a distributed run takes the missing views of its "
                         f"data file, it does not draw them; got {missing_rate}")
    data = make_incomplete(data, missing_rate, random_state=seed)
    start = time.perf_counter()
    estimator.fit(data)
    seconds = time.perf_counter() - start
    labels = _gathered(estimator.labels_, shard)
    embedding = _gathered(estimator.embedding_, shard)
    metrics = evaluate(true_labels, labels) if true_labels is not None else {}
    average = (
        kmeans_average(embedding, true_labels, int(n_clusters), runs=kmeans_runs,
                       random_state=seed)
        if kmeans_runs and true_labels is not None
        else {}
    )
    return RunResult(
        method=method,
        dataset=data.name or "data",
        seed=seed,
        params=estimator.get_params(),
        scaler=estimator.scaler_method,
        seconds=seconds,
        view_scalers=list(estimator.scaler_.view_methods_),
        preset=preset,
        metrics=metrics,
        best_epoch=best_epoch_metrics(getattr(estimator, "history_", [])),
        kmeans_average=average,
        restarts=restart_summary(estimator),
        labels=labels,
        embedding=embedding,
        true_labels=true_labels,
        history=list(getattr(estimator, "history_", [])),
        view_values=learned_view_values(estimator),
        n_samples=len(labels),
        n_views=data.n_views,
        n_clusters=int(n_clusters),
        clusters_found=int(np.unique(labels).size),
        missing_rate=float(missing_rate),
    )


def _gathered(rows: np.ndarray, shard: Shard) -> np.ndarray:
    """The rows of every process's shard, in rank order (``rows`` itself on one)."""
    rows = np.asarray(rows)
    if not shard.is_distributed:
        return rows
    return shard.all_gather_rows(torch.from_numpy(np.ascontiguousarray(rows))).numpy()


def restart_summary(estimator: Any) -> dict[str, Any]:
    """The final loss, cluster count and seed of every restart of a fitted estimator, and
    the index of the one kept; empty after a single training run."""
    losses = getattr(estimator, "restart_losses_", None)
    if losses is None or len(losses) < 2:
        return {}
    return {
        "losses": [float(loss) for loss in losses],
        "cluster_counts": [int(count) for count in estimator.restart_cluster_counts_],
        "seeds": [int(seed) for seed in estimator.restart_seeds_],
        "kept": int(estimator.best_restart_),
    }


def best_epoch_metrics(history: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Per metric, the best value over the evaluated epochs of the last training phase.

    This is how some reference codes report results (the maximum over epochs of each
    metric separately); it selects with the labels, so it is a diagnostic of what the
    training passed through, never a clustering result. Empty unless the last phase has
    at least two evaluated epochs.
    """
    if not history:
        return {}
    last = history[-1].get("phase")
    evaluated = [r for r in history if r.get("phase") == last and "acc" in r]
    if len(evaluated) < 2:
        return {}
    keys = [key for key in evaluated[-1] if key in METRIC_KEYS]
    return {key: max(float(r[key]) for r in evaluated) for key in keys}


def learned_view_values(estimator: Any) -> dict[str, np.ndarray]:
    """The fitted attributes ``view_*_`` of ``estimator`` that are arrays (what it learned
    about the views: RAV's ``view_weights_`` and ``view_distances_``, CRRC's
    ``view_gates_`` and ``view_attention_``), by name without the trailing underscore."""
    return {
        name[:-1]: value for name, value in sorted(vars(estimator).items())
        if name.startswith("view_") and name.endswith("_") and isinstance(value, np.ndarray)
    }


def write_run(result: RunResult, out_dir: str | Path) -> Path:
    """Write the run's files to ``out_dir``, each atomically: ``metrics.json`` (the
    :meth:`RunResult.record`), ``labels.npy`` and ``embedding.npy``, and where the run has
    them ``labels_true.npy`` (the data's labels), ``history.json`` (per-epoch losses and
    metrics) and ``views.json`` (:func:`learned_view_values`, as nested lists)."""
    out = Path(out_dir)
    atomic_save_json(result.record(), out / "metrics.json")
    for name, array in (("labels", result.labels), ("embedding", result.embedding),
                        ("labels_true", result.true_labels)):
        if array is not None:
            atomic_save_npy(np.asarray(array), out / f"{name}.npy")
    if result.history:
        atomic_save_json(result.history, out / "history.json")
    if result.view_values:
        atomic_save_json({name: value.tolist() for name, value in result.view_values.items()},
                         out / "views.json")
    return out


def format_metrics_table(records: Sequence[Mapping[str, Any]]) -> str:
    """Plain-text table of runs: method, dataset, seed, the five headline metrics, time."""
    header = ["method", "dataset", "seed"] + [label for _, label in METRIC_COLUMNS] + ["time (s)"]
    rows = [
        [str(r["method"]), str(r["dataset"]), str(r["seed"])]
        + [f"{r[key]:.4f}" if key in r else "-" for key, _ in METRIC_COLUMNS]
        + [f"{r['seconds']:.2f}"]
        for r in records
    ]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in
             [header, *rows]]
    return "\n".join(lines)
