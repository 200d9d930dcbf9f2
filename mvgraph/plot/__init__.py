"""Pictures of runs and benchmark results, drawn with matplotlib's Agg canvas (headless).

- :func:`plot_run`: the PNGs of one ``mvgraph fit`` run directory (training curves,
  2-D embedding, matched confusion matrix, cluster sizes, what the method learned about
  the views);
- :func:`write_html_report`: one self-contained HTML file (tables and inline PNGs) for a
  ``mvgraph bench`` report or a scaling benchmark's results.

The library's core never imports this package, so ``import mvgraph`` does not load
matplotlib; the command line imports it only for ``plot``, ``report`` and ``fit --plot``.
"""

from mvgraph.plot.canvas import png_bytes, save_png
from mvgraph.plot.projection import PROJECTIONS, Projection, project_2d
from mvgraph.plot.report import write_html_report
from mvgraph.plot.run import RUN_PICTURES, plot_run

__all__ = [
    "PROJECTIONS",
    "RUN_PICTURES",
    "Projection",
    "plot_run",
    "png_bytes",
    "project_2d",
    "save_png",
    "write_html_report",
]
