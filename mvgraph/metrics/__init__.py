"""Clustering quality against ground-truth labels."""

from mvgraph.metrics.scores import (
    acc,
    ari,
    contingency_matrix,
    evaluate,
    f1_macro,
    fscore_b3,
    fscore_pairwise,
    nmi,
    purity,
)

__all__ = [
    "acc",
    "ari",
    "contingency_matrix",
    "evaluate",
    "f1_macro",
    "fscore_b3",
    "fscore_pairwise",
    "nmi",
    "purity",
]
