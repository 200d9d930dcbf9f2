"""One self-contained HTML file for a results file: tables and inline PNG pictures.

Two kinds of results are read:

- a ``mvgraph bench`` report (``runs`` and ``summary``): per data set, each method's mean
  ACC with its standard deviation over the seeds as bars, the floor (``concat-kmeans``
  with its defaults, from the report itself or else from ``concat-kmeans.json`` beside
  it) as a black line over each group and the paper's number as a red diamond (hollow
  when the paper's protocol is not comparable); then the fit time per (method, set) on
  a log scale, and the summary table;
- a scaling benchmark's results (``rows`` of ``n``, ``method``, ``seconds`` and memory,
  as ``benchmarks/scaling.py`` writes them): time and peak memory against ``n`` per
  method, log-log, and the rows as a table.

The pictures are embedded as ``data:image/png;base64`` images, so the file opens alone,
offline.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mvgraph.plot.canvas import new_figure, png_bytes
from mvgraph.utils import atomic_write

FLOOR = "concat-kmeans"
_MEMORY_KEYS = (("peak_rss_mib", "peak resident memory (MiB)"),
                ("cuda_peak_extra_mib", "CUDA peak allocation growth (MiB)"))


def write_html_report(results: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of the results file ``results`` and return its path.

    Args:
        results: a ``mvgraph bench`` report or a scaling benchmark's JSON.
        out: the HTML file; by default ``results`` with the suffix ``.html``.
    """
    path = Path(results)
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"results must be a readable JSON file; '{path}': {error}") from error
    if isinstance(report, dict) and "summary" in report and "runs" in report:
        title, body = _bench_body(report, path)
    elif isinstance(report, dict) and _is_scaling(report.get("rows")):
        title, body = _scaling_body(report, path)
    else:
        raise ValueError(f"results must be a mvgraph bench report (with 'runs' and "
                         f"'summary') or a scaling benchmark's (with 'rows' of n, method and "
                         f"seconds); '{path}' is neither")
    target = Path(out) if out is not None else path.with_suffix(".html")
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:1em auto}"
        "table{border-collapse:collapse;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        "th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}"
        "img{max-width:100%}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}</body></html>\n"
    )
    with atomic_write(target, "w") as handle:
        handle.write(page)
    return target


def _image(figure: Figure, alt: str) -> str:
    data = base64.b64encode(png_bytes(figure)).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>\n'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
                   + "</tr>\n" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n"


def _percent(row: Mapping[str, Any], key: str) -> str:
    if key not in row:
        return "-"
    return f"{100 * row[key]:.2f} ± {100 * row.get(f'{key}_std', 0.0):.2f}"


def floor_rows(report: Mapping[str, Any], path: Path) -> tuple[dict[str, Any], str]:
    """The floor's summary row per data set, and where it came from: the report's own
    ``concat-kmeans`` rows, else those of ``concat-kmeans.json`` beside ``path``."""
    own = {row["dataset"]: row for row in report["summary"] if row["method"] == FLOOR}
    if own:
        return own, "this report"
    beside = path.with_name(f"{FLOOR}.json")
    if beside.is_file():
        rows = json.loads(beside.read_text()).get("summary", [])
        return {row["dataset"]: row for row in rows if row["method"] == FLOOR}, beside.name
    return {}, "none found"


def _bench_body(report: Mapping[str, Any], path: Path) -> tuple[str, str]:
    summary = report["summary"]
    if not summary:
        raise ValueError(f"'{path}' has no finished (method, data set) pair to report")
    floors, floor_source = floor_rows(report, path)
    methods = list(dict.fromkeys(row["method"] for row in summary))
    shown = [m for m in methods if m != FLOOR] or methods
    datasets = list(dict.fromkeys(row["dataset"] for row in summary))
    cells = {(row["method"], row["dataset"]): row for row in summary}
    settings = (f"{len(report['runs'])} runs: methods {', '.join(methods)}; seeds "
                f"{report.get('seeds', '?')}; parameters {json.dumps(report.get('params', {}))}; "
                f"presets {'on' if report.get('use_presets', True) else 'off'}. Environment: "
                f"{json.dumps(report.get('environment', {}))}. Floor: {FLOOR} from "
                f"{floor_source}.")
    parts = [
        f"<p>{html.escape(settings)}</p>\n",
        _image(accuracy_figure(shown, datasets, cells, floors), "ACC per data set"),
        _image(time_figure(shown, datasets, cells), "fit time per data set"),
    ]
    header = ["method", "dataset", "seeds", "ACC", "NMI", "ARI", "time (s)", "floor ACC",
              "published ACC"]
    rows = []
    for row in summary:
        floor = floors.get(row["dataset"])
        published = row.get("published") or {}
        paper = (f"{100 * published['acc']:.2f}" if isinstance(published.get("acc"), (int, float))
                 else "-")
        if paper != "-" and published.get("comparable") is False:
            paper += " (not comparable)"
        rows.append([row["method"], row["dataset"], str(len(row["seeds"])), _percent(row, "acc"),
                     _percent(row, "nmi"), _percent(row, "ari"), f"{row['seconds']:.2f}",
                     _percent(floor, "acc") if floor else "-", paper])
    parts.append(_table(header, rows))
    return f"{report.get('name', path.stem)}: benchmark report", "".join(parts)


def _group_positions(n_methods: int) -> tuple[np.ndarray, float]:
    width = 0.8 / n_methods
    return (np.arange(n_methods) - (n_methods - 1) / 2) * width, width


def accuracy_figure(
    methods: Sequence[str],
    datasets: Sequence[str],
    cells: Mapping[tuple[str, str], Mapping[str, Any]],
    floors: Mapping[str, Mapping[str, Any]],
) -> Figure:
    """Grouped bars of mean ACC (%) ± std per data set and method, the floor as a black
    line over each group and the published ACC as red diamonds; 0.9 inch per set (at
    least 7) by 4.5."""
    figure = new_figure(max(7.0, 0.9 * len(datasets) * max(1, len(methods) / 3)), 4.5)
    ax = figure.subplots()
    offsets, width = _group_positions(len(methods))
    x = np.arange(len(datasets))
    for k, method in enumerate(methods):
        rows = [cells.get((method, name)) for name in datasets]
        means = [100 * row["acc"] if row else np.nan for row in rows]
        stds = [100 * row.get("acc_std", 0.0) if row else 0.0 for row in rows]
        ax.bar(x + offsets[k], means, width, yerr=stds, capsize=2, label=method)
        for i, row in enumerate(rows):
            published = (row or {}).get("published") or {}
            if isinstance(published.get("acc"), (int, float)):
                hollow = published.get("comparable") is False
                ax.plot(x[i] + offsets[k], 100 * published["acc"], "D", markersize=6,
                        color="red", markerfacecolor="none" if hollow else "red",
                        label=None if "paper" in ax.get_legend_handles_labels()[1] else "paper")
    floored = [i for i, name in enumerate(datasets) if name in floors]
    for i in floored:
        ax.hlines(100 * floors[datasets[i]]["acc"], x[i] - 0.45, x[i] + 0.45, colors="black",
                  linewidth=2, label="floor" if i == floored[0] else None)
    ax.set_xticks(x, datasets, rotation=30, ha="right")
    ax.set_ylabel("ACC (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, ncols=len(methods) + 2, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)
    return figure


def time_figure(
    methods: Sequence[str],
    datasets: Sequence[str],
    cells: Mapping[tuple[str, str], Mapping[str, Any]],
) -> Figure:
    """Grouped bars of the mean fit time per data set and method, log scale; the same
    size as :func:`accuracy_figure`."""
    figure = new_figure(max(7.0, 0.9 * len(datasets) * max(1, len(methods) / 3)), 4.5)
    ax = figure.subplots()
    offsets, width = _group_positions(len(methods))
    x = np.arange(len(datasets))
    for k, method in enumerate(methods):
        seconds = [cells[(method, name)]["seconds"] if (method, name) in cells else np.nan
                   for name in datasets]
        ax.bar(x + offsets[k], seconds, width, label=method)
    ax.set_yscale("log")
    ax.set_xticks(x, datasets, rotation=30, ha="right")
    ax.set_ylabel("fit time (s, mean over seeds)")
    ax.legend(fontsize=8, ncols=len(methods), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    return figure


def _is_scaling(rows: Any) -> bool:
    return (isinstance(rows, list) and bool(rows)
            and all(isinstance(row, dict) and {"n", "method"} <= set(row) for row in rows)
            and any("seconds" in row for row in rows))


def _series(row: Mapping[str, Any]) -> str:
    """A scaling row's curve: its method, and its data kind where rows have one."""
    return row["method"] + (f" ({row['kind']})" if "kind" in row else "")


def scaling_figure(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """Fit time and, where the rows have them, peak memory against ``n``, log-log, one
    curve per method (and data kind); rows without ``seconds`` (not run) are left out.
    5.5 inches wide per panel, 4.2 high."""
    series = list(dict.fromkeys(_series(row) for row in rows))
    memory = [(key, label) for key, label in _MEMORY_KEYS if any(key in row for row in rows)]
    figure = new_figure(5.5 * (1 + len(memory)), 4.2)
    axes = figure.subplots(1, 1 + len(memory), squeeze=False)[0]
    for ax, (key, label) in zip(axes, [("seconds", "fit time (s)"), *memory]):
        for name in series:
            points = sorted((row["n"], row[key]) for row in rows
                            if _series(row) == name and row.get(key) is not None)
            if points:
                ax.plot(*zip(*points), marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("samples n")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    return figure


def _scaling_body(report: Mapping[str, Any], path: Path) -> tuple[str, str]:
    rows = report["rows"]
    memory = [key for key, _ in _MEMORY_KEYS if any(key in row for row in rows)]
    keys = ["n", *(["kind"] if any("kind" in row for row in rows) else []), "method",
            "seconds", *memory, "acc", "nmi", *(["skipped"] if any(
                "skipped" in row for row in rows) else [])]
    table = _table(keys, [[_cell(row.get(key)) for key in keys] for row in rows])
    context = {key: report[key] for key in ("machine", "device", "threads") if key in report}
    body = (f"<p>{html.escape(json.dumps(context))}</p>\n"
            + _image(scaling_figure(rows), "time and memory against n") + table)
    return f"{path.stem}: time and memory against n", body


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
