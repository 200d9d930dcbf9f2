"""Estimators, one module per method, and the registry of their command-line names.

Names are imported on first use (:mod:`mvgraph.utils.lazy`): :data:`METHOD_NAMES` needs
no import of any method, :func:`get_method` imports the one method asked for, and
``METHODS`` (name → estimator class) imports them all.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from mvgraph.utils.lazy import lazy_exports

if TYPE_CHECKING:
    from mvgraph.models.base import MultiViewClusterer

# Command-line name → estimator class name.
_METHOD_CLASSES = {
    "anchor-spectral": "AnchorSpectral",
    "bmvc": "BMvC",
    "concat-kmeans": "ConcatKMeans",
    "conan": "CONAN",
    "crrc": "CRRC",
    "dmac": "DMAC",
    "rav": "RAV",
}
METHOD_NAMES = tuple(_METHOD_CLASSES)

_EXPORTS = {
    "AnchorSpectral": "mvgraph.models.anchor_spectral",
    "BMvC": "mvgraph.models.bmvc",
    "CONAN": "mvgraph.models.conan",
    "CRRC": "mvgraph.models.crrc",
    "CollapseWarning": "mvgraph.models.base",
    "ConcatKMeans": "mvgraph.models.concat_kmeans",
    "DMAC": "mvgraph.models.dmac",
    "DeepMultiViewClusterer": "mvgraph.models.base",
    "DegenerateViewWarning": "mvgraph.models.base",
    "EmptyClustersWarning": "mvgraph.models.base",
    "MultiViewClusterer": "mvgraph.models.base",
    "RAV": "mvgraph.models.rav",
}

__all__ = ["METHODS", "METHOD_NAMES", "get_method", *_EXPORTS]
_export, __dir__ = lazy_exports(__name__, _EXPORTS)


def get_method(name: str) -> type[MultiViewClusterer]:
    """The estimator class registered under ``name`` (lower case, hyphenated)."""
    key = name.lower().replace("_", "-")
    if key not in _METHOD_CLASSES:
        raise ValueError(f"unknown method {name!r}; choose one of {sorted(METHOD_NAMES)}")
    return getattr(sys.modules[__name__], _METHOD_CLASSES[key])


def __getattr__(name: str) -> Any:
    if name == "METHODS":
        methods = {key: get_method(key) for key in METHOD_NAMES}
        globals()["METHODS"] = methods
        return methods
    return _export(name)
