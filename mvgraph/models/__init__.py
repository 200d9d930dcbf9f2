"""Estimators, one module per method, and the registry of their command-line names."""

from __future__ import annotations

from mvgraph.models.base import CollapseWarning, DeepMultiViewClusterer, MultiViewClusterer
from mvgraph.models.bmvc import BMvC
from mvgraph.models.conan import CONAN
from mvgraph.models.concat_kmeans import ConcatKMeans
from mvgraph.models.crrc import CRRC
from mvgraph.models.dmac import DMAC
from mvgraph.models.rav import RAV

METHODS: dict[str, type[MultiViewClusterer]] = {
    "bmvc": BMvC,
    "concat-kmeans": ConcatKMeans,
    "conan": CONAN,
    "crrc": CRRC,
    "dmac": DMAC,
    "rav": RAV,
}


def get_method(name: str) -> type[MultiViewClusterer]:
    """The estimator class registered under ``name`` (lower case, hyphenated)."""
    key = name.lower().replace("_", "-")
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of {sorted(METHODS)}")
    return METHODS[key]


__all__ = [
    "CONAN",
    "CRRC",
    "DMAC",
    "METHODS",
    "RAV",
    "BMvC",
    "CollapseWarning",
    "ConcatKMeans",
    "DeepMultiViewClusterer",
    "MultiViewClusterer",
    "get_method",
]
