"""Lazy package exports (PEP 562).

A package lists each name it exports with the module that defines it; that module is
imported on the first access to the name. Importing the package, or a light module
inside it, then costs nothing, so that ``mvgraph --help`` and ``mvgraph datasets``
answer without importing torch.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``, whose public name
    ``name`` is defined in the module ``exports[name]``.

    A resolved name is stored on the package, so that the lookup runs once per name.
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
