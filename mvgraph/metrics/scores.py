"""External clustering scores, all computed from the contingency table.

Every function takes ``y_true`` (ground-truth classes) and ``y_pred`` (predicted
clusters) as 1-d integer labels of equal length ``n``: numpy arrays, lists or torch
tensors. Labels need not be contiguous or non-negative, and the number of clusters
may differ from the number of classes.

With ``n_ij`` the number of samples of class ``i`` in cluster ``j``, class sizes
``a_i = Σ_j n_ij`` and cluster sizes ``b_j = Σ_i n_ij``, each score costs
``O(n log n + k_true · k_pred)``, plus ``O(k³)`` for the Hungarian matching of ``acc``
and ``f1_macro``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from mvgraph.utils.validation import as_label_vector

Labels: TypeAlias = "np.ndarray | torch.Tensor | Sequence[int]"

_AVERAGE_METHODS = ("arithmetic", "geometric", "min", "max")


def contingency_matrix(y_true: Labels, y_pred: Labels) -> np.ndarray:
    """Count the samples of every (class, cluster) pair.

    Returns
    -------
    np.ndarray
        int64 counts ``n_ij`` of shape ``(n_classes, n_clusters)``; rows follow the sorted
        unique values of ``y_true``, columns those of ``y_pred``.
    """
    true, pred = _check_labels(y_true, y_pred)
    _, class_index = np.unique(true, return_inverse=True)
    _, cluster_index = np.unique(pred, return_inverse=True)
    n_classes, n_clusters = int(class_index.max()) + 1, int(cluster_index.max()) + 1
    counts = np.bincount(class_index * n_clusters + cluster_index, minlength=n_classes * n_clusters)
    return counts.reshape(n_classes, n_clusters).astype(np.int64, copy=False)


def matched_contingency_matrix(y_true: Labels, y_pred: Labels) -> tuple[np.ndarray, np.ndarray]:
    """The contingency table with its cluster columns in the order of the Hungarian match.

    The clusters matched to a class come first, in the order of their classes, then the
    others, largest first. With at least as many clusters as classes, column ``j`` is the
    cluster matched to class ``j`` and the diagonal holds the samples :func:`acc` counts
    as right (``trace / n == acc``).

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        The reordered int64 table ``(n_classes, n_clusters)`` and, per column, the cluster
        label of ``y_pred`` it shows.
    """
    true, pred = _check_labels(y_true, y_pred)
    table = contingency_matrix(true, pred)
    classes, clusters = linear_sum_assignment(table, maximize=True)
    matched = clusters[np.argsort(classes)]
    rest = np.setdiff1d(np.arange(table.shape[1]), matched)
    rest = rest[np.argsort(-table[:, rest].sum(0), kind="stable")]
    order = np.concatenate([matched, rest])
    return table[:, order], np.unique(pred)[order]


def acc(y_true: Labels, y_pred: Labels) -> float:
    """Clustering accuracy under the best one-to-one map of clusters to classes.

    ``ACC = max_π (1/n) Σ_j n_{π(j), j}`` over injective maps ``π`` between clusters and
    classes, found by the Hungarian method on the contingency table.
    """
    return _acc(contingency_matrix(y_true, y_pred))


def nmi(y_true: Labels, y_pred: Labels, average_method: str = "arithmetic") -> float:
    """Normalised mutual information ``NMI = I(Y; C) / mean(H(Y), H(C))``.

    ``I(Y; C) = Σ_ij (n_ij / n) log(n · n_ij / (a_i b_j))`` and ``H`` is the Shannon
    entropy of the class or cluster sizes (natural log). Equal to scikit-learn's
    ``normalized_mutual_info_score``, degenerate cases included: 1 when both labellings
    are constant, 0 when exactly one is.

    Parameters
    ----------
    average_method
        The mean in the denominator: ``"arithmetic"`` (the one most papers report),
        ``"geometric"``, ``"min"`` or ``"max"``.
    """
    if average_method not in _AVERAGE_METHODS:
        raise ValueError(
            f"average_method must be one of {', '.join(map(repr, _AVERAGE_METHODS))}; "
            f"got {average_method!r}"
        )
    return _nmi(contingency_matrix(y_true, y_pred), average_method)


def ari(y_true: Labels, y_pred: Labels) -> float:
    """Adjusted Rand index (Hubert & Arabie, 1985).

    With pair counts ``TP`` (same class, same cluster), ``FP``, ``FN`` and ``TN`` over the
    ``n(n-1)/2`` pairs, ``ARI = 2(TP·TN − FN·FP) / ((TP+FN)(FN+TN) + (TP+FP)(FP+TN))``,
    and 1 when ``FP = FN = 0`` (identical partitions), as in scikit-learn's
    ``adjusted_rand_score``. Lies in ``[-0.5, 1]``; 0 is chance level.
    """
    return _ari(contingency_matrix(y_true, y_pred))


def purity(y_true: Labels, y_pred: Labels) -> float:
    """Purity ``(1/n) Σ_j max_i n_ij``: every cluster counted by its majority class."""
    return _purity(contingency_matrix(y_true, y_pred))


def fscore_b3(y_true: Labels, y_pred: Labels) -> float:
    """B-cubed F-measure (Bagga & Baldwin, 1998), reported as "F-score" by BMvC.

    ``P = (1/n) Σ_ij n_ij² / b_j`` and ``R = (1/n) Σ_ij n_ij² / a_i`` average, over
    samples, the share of a sample's cluster that is of its class and the share of its
    class that is in its cluster; ``F = 2PR / (P + R)``. B-cubed depends only on the
    partitions, so it is invariant to any relabelling, best-map relabelling included.
    """
    return _fscore_b3(contingency_matrix(y_true, y_pred))


def f1_macro(y_true: Labels, y_pred: Labels) -> float:
    """Macro F1 after Hungarian matching of clusters to classes, as reported by DMAC.

    Each matched cluster takes its class's label; unmatched clusters (more clusters than
    classes) take fresh labels of their own. The score is then
    ``sklearn.metrics.f1_score(y_true, mapped, average="macro", zero_division=0)``: the
    mean over the union of labels of ``F1 = 2 n_ij / (a_i + b_j)`` for matched pairs,
    with 0 for every unmatched class or cluster. When several matchings tie on ``acc``,
    the one returned by ``scipy.optimize.linear_sum_assignment`` is used.
    """
    return _f1_macro(contingency_matrix(y_true, y_pred))


def fscore_pairwise(y_true: Labels, y_pred: Labels) -> float:
    """Pair-counting F-measure.

    ``TP = Σ_ij C(n_ij, 2)``, precision ``P = TP / Σ_j C(b_j, 2)``, recall
    ``R = TP / Σ_i C(a_i, 2)`` and ``F = 2PR / (P + R)``. Without any same-cluster pair
    (all clusters singletons) ``P = 1``, as no pair is wrongly joined; likewise ``R = 1``
    without any same-class pair. So two all-singleton labellings (or ``n = 1``) score 1,
    and ``F = 0`` when ``P = R = 0``.
    """
    return _fscore_pairwise(contingency_matrix(y_true, y_pred))


METRIC_KEYS = ("acc", "nmi", "purity", "ari", "fscore", "f1_macro", "fscore_pairwise")
# The headline metrics of a results table, with their column labels.
METRIC_COLUMNS = (("acc", "ACC"), ("nmi", "NMI"), ("purity", "PUR"), ("ari", "ARI"),
                  ("fscore", "F"))


def evaluate(y_true: Labels, y_pred: Labels) -> dict[str, float]:
    """All scores from one contingency table.

    Returns
    -------
    dict[str, float]
        ``acc``, ``nmi`` (arithmetic), ``purity``, ``ari``, ``fscore`` (B-cubed),
        ``f1_macro`` and ``fscore_pairwise`` (:data:`METRIC_KEYS`), as Python floats:
        fractions in ``[0, 1]`` except ``ari``, which may be negative.
    """
    table = contingency_matrix(y_true, y_pred)
    return {
        "acc": _acc(table),
        "nmi": _nmi(table, "arithmetic"),
        "purity": _purity(table),
        "ari": _ari(table),
        "fscore": _fscore_b3(table),
        "f1_macro": _f1_macro(table),
        "fscore_pairwise": _fscore_pairwise(table),
    }


def _acc(table: np.ndarray) -> float:
    classes, clusters = linear_sum_assignment(table, maximize=True)
    return float(table[classes, clusters].sum() / table.sum())


def _entropy(sizes: np.ndarray, n: int) -> float:
    p = sizes / n
    return float(-(p * np.log(p)).sum())


def _nmi(table: np.ndarray, average_method: str) -> float:
    n_classes, n_clusters = table.shape
    if n_classes == 1 or n_clusters == 1:
        return 1.0 if n_classes == n_clusters else 0.0
    n = int(table.sum())
    a, b = table.sum(axis=1), table.sum(axis=0)
    rows, cols = np.nonzero(table)
    n_ij = table[rows, cols].astype(np.float64)
    log_ratio = np.log(n_ij) + math.log(n) - np.log(a[rows]) - np.log(b[cols])
    mutual_information = float((n_ij / n * log_ratio).sum())
    if mutual_information <= 0.0:
        return 0.0
    h_true, h_pred = _entropy(a, n), _entropy(b, n)
    means = {
        "arithmetic": (h_true + h_pred) / 2,
        "geometric": math.sqrt(h_true * h_pred),
        "min": min(h_true, h_pred),
        "max": max(h_true, h_pred),
    }
    return mutual_information / means[average_method]


def _same_group_pairs(sizes: np.ndarray) -> int:
    """``Σ C(s, 2)``: the number of pairs that share a group, as an exact Python int."""
    return int((sizes * (sizes - 1) // 2).sum())


def _pair_counts(table: np.ndarray) -> tuple[int, int, int, int]:
    """``(TP, FP, FN, TN)`` over all pairs: same/different cluster × same/different class."""
    n = int(table.sum())
    true_positive = _same_group_pairs(table)
    false_positive = _same_group_pairs(table.sum(axis=0)) - true_positive
    false_negative = _same_group_pairs(table.sum(axis=1)) - true_positive
    true_negative = n * (n - 1) // 2 - true_positive - false_positive - false_negative
    return true_positive, false_positive, false_negative, true_negative


def _ari(table: np.ndarray) -> float:
    tp, fp, fn, tn = _pair_counts(table)
    if fp == 0 and fn == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def _purity(table: np.ndarray) -> float:
    return float(table.max(axis=0).sum() / table.sum())


def _harmonic_mean(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total > 0 else 0.0


def _fscore_b3(table: np.ndarray) -> float:
    counts = table.astype(np.float64)
    n = counts.sum()
    squares = counts**2
    precision = float((squares / counts.sum(axis=0, keepdims=True)).sum() / n)
    recall = float((squares / counts.sum(axis=1, keepdims=True)).sum() / n)
    return _harmonic_mean(precision, recall)


def _f1_macro(table: np.ndarray) -> float:
    classes, clusters = linear_sum_assignment(table, maximize=True)
    a, b = table.sum(axis=1), table.sum(axis=0)
    matched_f1 = 2 * table[classes, clusters] / (a[classes] + b[clusters])
    n_labels = table.shape[0] + table.shape[1] - len(classes)
    return float(matched_f1.sum() / n_labels)


def _fscore_pairwise(table: np.ndarray) -> float:
    tp, fp, fn, _ = _pair_counts(table)
    precision = tp / (tp + fp) if tp + fp > 0 else 1.0
    recall = tp / (tp + fn) if tp + fn > 0 else 1.0
    return _harmonic_mean(precision, recall)


def _check_labels(y_true: Labels, y_pred: Labels) -> tuple[np.ndarray, np.ndarray]:
    """Both labellings as 1-d integer arrays of the same, non-zero length."""
    true = as_label_vector(y_true, "y_true")
    pred = as_label_vector(y_pred, "y_pred")
    if len(true) != len(pred):
        raise ValueError(
            f"y_true and y_pred must have the same length; got {len(true)} and {len(pred)}"
        )
    return true, pred
