"""Figures rendered to PNG bytes without a display, and written atomically."""

from __future__ import annotations

import io
import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mvgraph.utils import atomic_write

DPI = 100  # a figure of w × h inches is 100 w × 100 h pixels


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` × ``height`` inches on the Agg canvas (no pyplot state)."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """``figure`` as PNG, at its own size (no tight cropping, so sizes are predictable)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def save_png(figure: Figure, path: str | os.PathLike) -> None:
    """Write ``figure`` as a PNG file atomically."""
    data = png_bytes(figure)
    with atomic_write(path) as handle:
        handle.write(data)
