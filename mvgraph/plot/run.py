"""The pictures of one run directory, as ``mvgraph fit`` writes it.

A run directory holds ``metrics.json``, ``labels.npy`` and ``embedding.npy``, and where
the run has them ``labels_true.npy``, ``history.json`` and ``views.json``
(:func:`mvgraph.experiment.write_run`). :func:`plot_run` draws from those files alone:

==================== ============================================================ ========
file                 what it shows                                                 needs
==================== ============================================================ ========
``training.png``     every loss term per epoch, and the evaluated metrics, with     history
                     the training phases marked
``embedding.png``    the embedding in 2-D (:func:`~mvgraph.plot.project_2d`),
                     coloured by cluster and, with labels, by class
``confusion.png``    the contingency table in the order of the Hungarian match      labels
                     (:func:`~mvgraph.metrics.matched_contingency_matrix`)
``cluster_sizes.png`` the sizes of the clusters, largest first, beside the classes'
``views.png``        what the method learned about the views (RAV's view weights,   views
                     CRRC's gates and attention)
==================== ============================================================ ========
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mvgraph.metrics import METRIC_KEYS, matched_contingency_matrix
from mvgraph.plot.canvas import new_figure, save_png
from mvgraph.plot.projection import TSNE_MAX_POINTS, project_2d

RUN_PICTURES = ("training", "embedding", "confusion", "cluster_sizes", "views")
# history keys that are not loss terms
_RECORD_KEYS = {"phase", "epoch", "seconds", "spread", "clusters"}
_METRICS = (("acc", "ACC"), ("nmi", "NMI"), ("ari", "ARI"))
_ANNOTATE_MAX = 20  # cells of a confusion matrix are written out up to this many classes


def plot_run(
    run_dir: str | Path,
    *,
    projection: str = "pca",
    max_points: int = TSNE_MAX_POINTS,
    random_state: int = 0,
) -> list[Path]:
    """Draw the pictures of the run in ``run_dir`` into ``run_dir`` and return their paths.

    Pictures whose files are missing are left out (``training.png`` without
    ``history.json``, ``confusion.png`` without ``labels_true.npy``, ``views.png``
    without ``views.json``). Every file is written atomically and has a fixed name.

    Args:
        run_dir: a folder written by ``mvgraph fit`` (or :func:`~mvgraph.experiment.write_run`).
        projection: ``"pca"`` or ``"tsne"`` for ``embedding.png``.
        max_points: the most points the embedding map shows (a stratified subsample
            beyond that, stated on the picture).
        random_state: seed of the subsample and of t-SNE.
    """
    run = Path(run_dir)
    metrics_path = run / "metrics.json"
    if not metrics_path.is_file():
        raise ValueError(f"run_dir must be a run directory written by mvgraph fit; "
                         f"'{run}' has no metrics.json")
    record = json.loads(metrics_path.read_text())
    predicted = np.load(run / "labels.npy")
    truth = np.load(run / "labels_true.npy") if (run / "labels_true.npy").is_file() else None
    title = f"{record.get('method', '?')} on {record.get('dataset', '?')}, seed " \
            f"{record.get('seed', '?')}"
    figures: dict[str, Figure] = {}
    if (run / "history.json").is_file():
        figures["training"] = training_figure(json.loads((run / "history.json").read_text()),
                                              title)
    if (run / "embedding.npy").is_file():
        embedding = np.load(run / "embedding.npy")
        groups = truth if truth is not None else predicted
        mapped = project_2d(embedding, projection, groups=groups, max_points=max_points,
                            random_state=random_state)
        figures["embedding"] = embedding_figure(
            mapped.points, predicted[mapped.index],
            None if truth is None else truth[mapped.index], f"{title}: {mapped.note}")
    if truth is not None:
        figures["confusion"] = confusion_figure(truth, predicted, title)
    figures["cluster_sizes"] = cluster_sizes_figure(predicted, truth, title)
    if (run / "views.json").is_file():
        values = json.loads((run / "views.json").read_text())
        if values:
            figures["views"] = views_figure(values, title)
    paths = []
    for name, figure in figures.items():
        path = run / f"{name}.png"
        save_png(figure, path)
        paths.append(path)
    return paths


def training_figure(history: Sequence[Mapping[str, Any]], title: str) -> Figure:
    """Loss terms per epoch (log scale when all are positive) and, when the history has
    them, the evaluated metrics; phases are shaded and named. 9 × 6 inches with metrics,
    9 × 3.5 without."""
    if not history:
        raise ValueError("history must hold at least one epoch; got none")
    steps = np.arange(1, len(history) + 1)
    terms = list(dict.fromkeys(
        key for row in history for key, value in row.items()
        if key not in _RECORD_KEYS and key not in METRIC_KEYS
        and isinstance(value, (int, float))
    ))
    evaluated = [(i, row) for i, row in zip(steps, history) if "acc" in row]
    figure = new_figure(9, 6 if evaluated else 3.5)
    axes = figure.subplots(2 if evaluated else 1, 1, sharex=True, squeeze=False)[:, 0]
    loss_axes = axes[0]
    positive = True
    for key in terms:
        values = np.array([row.get(key, np.nan) for row in history], dtype=float)
        positive &= bool(np.all(values[np.isfinite(values)] > 0))
        loss_axes.plot(steps, values, label=key, linewidth=2.2 if key == "loss" else 1.2)
    if positive:
        loss_axes.set_yscale("log")
    loss_axes.set_ylabel("loss (epoch mean)")
    loss_axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    loss_axes.set_title(f"{title}: training")
    if evaluated:
        metric_axes = axes[1]
        at = [i for i, _ in evaluated]
        for key, label in _METRICS:
            if key in evaluated[-1][1]:
                metric_axes.plot(at, [100 * row[key] for _, row in evaluated], marker=".",
                                 label=label)
        metric_axes.set_ylabel("% (evaluated epochs)")
        metric_axes.set_ylim(0, 100)
        metric_axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    for ax in axes:
        _mark_phases(ax, history)
    axes[-1].set_xlabel("epoch (all phases in order)")
    return figure


def _mark_phases(ax: Axes, history: Sequence[Mapping[str, Any]]) -> None:
    """Shade every other phase and write each phase's name at its start."""
    names = [str(row.get("phase", "")) for row in history]
    starts = [i for i in range(len(names)) if i == 0 or names[i] != names[i - 1]]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(names)
        if k % 2:
            ax.axvspan(start + 0.5, end + 0.5, color="0.92", zorder=0)
        ax.text(start + 1, 1.0, f" {names[start]}", transform=ax.get_xaxis_transform(),
                va="top", fontsize=8, color="0.35")


def embedding_figure(
    points: np.ndarray, predicted: np.ndarray, truth: np.ndarray | None, title: str
) -> Figure:
    """The 2-D map coloured by cluster and, beside it, by class: 10 × 4.8 inches with
    classes, 5.5 × 4.8 without."""
    panels = [("clusters", predicted)] + ([("classes", truth)] if truth is not None else [])
    figure = new_figure(5 * len(panels) + 0.5, 4.8)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    size = float(np.clip(4000 / len(points), 1, 30))
    for ax, (name, labels) in zip(axes, panels):
        _, codes = np.unique(labels, return_inverse=True)
        ax.scatter(points[:, 0], points[:, 1], c=codes, cmap=_colormap(codes.max() + 1),
                   s=size, linewidths=0, alpha=0.8)
        ax.set_title(f"coloured by {name} ({codes.max() + 1})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle(title, fontsize=10)
    return figure


def _colormap(count: int) -> str:
    return "tab10" if count <= 10 else "tab20" if count <= 20 else "turbo"


def confusion_figure(truth: np.ndarray, predicted: np.ndarray, title: str) -> Figure:
    """Row-normalised matched contingency table (counts written when there are at most
    20 classes): 6.5 × 5.5 inches."""
    table, clusters = matched_contingency_matrix(truth, predicted)
    classes = np.unique(truth)
    share = table / np.maximum(table.sum(1, keepdims=True), 1)
    figure = new_figure(6.5, 5.5)
    ax = figure.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    figure.colorbar(image, ax=ax, label="share of the class")
    if max(table.shape) <= _ANNOTATE_MAX:
        for (i, j), count in np.ndenumerate(table):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.6 else "black")
        ax.set_xticks(range(len(clusters)), [str(c) for c in clusters], fontsize=7)
        ax.set_yticks(range(len(classes)), [str(c) for c in classes], fontsize=7)
    accuracy = np.trace(table[:, : min(table.shape)]) / table.sum() \
        if table.shape[1] >= table.shape[0] else None
    ax.set_xlabel("cluster (in the order of the matched classes)")
    ax.set_ylabel("class")
    note = f", matched ACC {100 * accuracy:.1f}%" if accuracy is not None else ""
    ax.set_title(f"{title}{note}", fontsize=10)
    return figure


def cluster_sizes_figure(predicted: np.ndarray, truth: np.ndarray | None, title: str) -> Figure:
    """Cluster sizes, largest first, with the class sizes (also sorted) as a step line:
    7 × 3.5 inches."""
    sizes = np.sort(np.unique(predicted, return_counts=True)[1])[::-1]
    figure = new_figure(7, 3.5)
    ax = figure.subplots()
    ax.bar(np.arange(1, len(sizes) + 1), sizes, color="tab:blue", label="clusters")
    if truth is not None:
        class_sizes = np.sort(np.unique(truth, return_counts=True)[1])[::-1]
        ax.step(np.arange(1, len(class_sizes) + 1), class_sizes, where="mid", color="black",
                label="classes")
        ax.legend(fontsize=8)
    ax.set_xlabel("rank")
    ax.set_ylabel("samples")
    ax.set_title(f"{title}: {len(sizes)} clusters used", fontsize=10)
    return figure


def views_figure(values: Mapping[str, Any], title: str) -> Figure:
    """One panel per learned quantity: bars for one value per view, a heat map for a
    view × view matrix. 4.5 inches wide per panel, 4 high."""
    figure = new_figure(4.5 * len(values), 4)
    axes = figure.subplots(1, len(values), squeeze=False)[0]
    for ax, (name, value) in zip(axes, values.items()):
        array = np.asarray(value, dtype=float)
        if array.ndim == 1:
            ax.bar(np.arange(len(array)), array, color="tab:green")
            ax.set_xticks(range(len(array)), [f"view {v}" for v in range(len(array))])
        elif array.ndim == 2:
            image = ax.imshow(array, cmap="viridis")
            figure.colorbar(image, ax=ax)
            ax.set_xticks(range(array.shape[1]))
            ax.set_yticks(range(array.shape[0]))
            ax.set_xlabel("view")
            ax.set_ylabel("view")
            if array.size <= 144:
                for (i, j), x in np.ndenumerate(array):
                    ax.text(j, i, f"{x:.2g}" if math.isfinite(x) else "-", ha="center",
                            va="center", fontsize=7, color="white")
        else:
            raise ValueError(f"views.json entry {name!r} must be a vector or a matrix; got "
                             f"{array.ndim} dimensions")
        ax.set_title(name, fontsize=10)
    figure.suptitle(title, fontsize=10)
    return figure
