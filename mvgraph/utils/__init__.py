"""Small shared utilities: atomic file output, devices, seeds, deterministic runs and the
memory guard."""

from mvgraph.utils.lazy import lazy_exports

_EXPORTS = {
    "atomic_save_json": "mvgraph.utils.io",
    "atomic_save_npy": "mvgraph.utils.io",
    "atomic_torch_save": "mvgraph.utils.io",
    "atomic_write": "mvgraph.utils.io",
    "deterministic_mode": "mvgraph.utils.runtime",
    "global_rng_state": "mvgraph.utils.runtime",
    "InsufficientMemoryError": "mvgraph.utils.memory",
    "memory_limit": "mvgraph.utils.memory",
    "resolve_device": "mvgraph.utils.runtime",
    "seed_everything": "mvgraph.utils.runtime",
    "set_global_rng_state": "mvgraph.utils.runtime",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
