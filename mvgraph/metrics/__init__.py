"""Clustering quality against ground-truth labels."""

from mvgraph.metrics.scores import (
    METRIC_COLUMNS,
    METRIC_KEYS,
    acc,
    ari,
    contingency_matrix,
    evaluate,
    f1_macro,
    fscore_b3,
    fscore_pairwise,
    matched_contingency_matrix,
    nmi,
    purity,
)

__all__ = [
    "METRIC_COLUMNS",
    "METRIC_KEYS",
    "acc",
    "ari",
    "contingency_matrix",
    "evaluate",
    "f1_macro",
    "fscore_b3",
    "fscore_pairwise",
    "matched_contingency_matrix",
    "nmi",
    "purity",
]
