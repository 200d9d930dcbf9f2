"""Multi-view data: the container (with a presence mask for incomplete data), file
loaders, the benchmark registry, scalers, synthetic generators (blobs, and manifolds where
k-means fails) and the incomplete-data protocol. Names are imported on
first use (:mod:`mvgraph.utils.lazy`)."""

from mvgraph.utils.lazy import lazy_exports

_EXPORTS = {
    "SCALERS": "mvgraph.data.scalers",
    "MultiViewData": "mvgraph.data.container",
    "ViewScaler": "mvgraph.data.scalers",
    "as_multiview": "mvgraph.data.container",
    "data_home": "mvgraph.data.registry",
    "dataset_info": "mvgraph.data.registry",
    "impute_from_neighbors": "mvgraph.data.incomplete",
    "list_datasets": "mvgraph.data.registry",
    "load_dataset": "mvgraph.data.registry",
    "load_mat": "mvgraph.data.matlab",
    "load_npz": "mvgraph.data.npz",
    "load_views": "mvgraph.data.matlab",
    "make_incomplete": "mvgraph.data.incomplete",
    "make_multiview_blobs": "mvgraph.data.synthetic",
    "make_multiview_manifolds": "mvgraph.data.manifolds",
    "save_npz": "mvgraph.data.npz",
    "shard_bounds": "mvgraph.data.container",
    "with_presence": "mvgraph.data.container",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
