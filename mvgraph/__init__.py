"""mvgraph: deep multi-view clustering built from graph operators on PyTorch and PyG.

Estimators follow scikit-learn::

    import mvgraph
    data = mvgraph.load_dataset("handwritten")
    model = mvgraph.ConcatKMeans(n_clusters=data.n_classes, random_state=0).fit(data)
    mvgraph.evaluate(data.labels, model.labels_)

Names are imported on first use (:mod:`mvgraph.utils.lazy`), so ``import mvgraph`` and
the command line start without importing torch.
"""

__version__ = "0.1.0"

from mvgraph.utils.lazy import lazy_exports  # noqa: E402

_EXPORTS = {
    "AnchorSpectral": "mvgraph.models",
    "CONAN": "mvgraph.models",
    "CRRC": "mvgraph.models",
    "DMAC": "mvgraph.models",
    "METHODS": "mvgraph.models",
    "RAV": "mvgraph.models",
    "BMvC": "mvgraph.models",
    "CollapseWarning": "mvgraph.models",
    "ConcatKMeans": "mvgraph.models",
    "DegenerateViewWarning": "mvgraph.models",
    "EmptyClustersWarning": "mvgraph.models",
    "MultiViewData": "mvgraph.data",
    "evaluate": "mvgraph.metrics",
    "list_datasets": "mvgraph.data",
    "load_dataset": "mvgraph.data",
    "load_mat": "mvgraph.data",
    "make_multiview_blobs": "mvgraph.data",
    "make_multiview_manifolds": "mvgraph.data",
}

__all__ = ["__version__", *_EXPORTS]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
