"""Ablation of one method on one data set: every value of one hyper-parameter, over seeds.

For each value of ``--param`` (for example CRRC's ``recalibration``, whose values are the
rows M1–M7 of its paper's ablation tables), the method is fitted with
``random_state = 0 .. --seeds - 1`` and its final-epoch metrics are summarised as mean ± std
over the seeds, beside the paper's ablation row where ``mvgraph/published_results.json``
holds one (its ``ablations`` table). Fits run one after another with this process's torch
threads; the report's ``environment`` records them. Results go to
``benchmarks/results/<name>.json`` and ``.md``, rewritten atomically after every run;
``--resume`` keeps the runs already there (unless the method's preset for the set has
changed since).

    python benchmarks/ablation.py --method crrc --dataset ngs --param recalibration \\
        --values full reconstruction attention gating residual concat no-gate no-attention
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mvgraph.benchmark import (
    environment,
    preset_is_current,
    published_results,
    summarize,
    write_report,
)
from mvgraph.experiment import load_data, parse_params, run
from mvgraph.metrics import METRIC_COLUMNS


def published_ablation(method: str, dataset: str, param: str) -> dict[str, Any]:
    """The paper's ablation rows of ``method`` on ``dataset`` by value of ``param``."""
    table = published_results().get("ablations", {}).get(method, {}).get(dataset, {})
    return table.get(param, {})


def markdown_table(report: Mapping[str, Any]) -> str:
    """Mean ± std (in %) per value, with the paper's row beside it."""
    labels = [label for _, label in METRIC_COLUMNS]
    lines = [
        f"`{report['method']}` on `{report['dataset']}`, {report['seeds']} seeds, by "
        f"`{report['param']}`" + (f"; also set: {report['params']}" if report["params"] else ""),
        "",
        "| value | " + " | ".join(labels) + " | time (s) | paper (ACC / NMI / PUR) |",
        "|" + "---|" * (len(labels) + 3),
    ]
    for row in report["summary"]:
        cells = [f"`{row['value']}`"] + [
            f"{100 * row[key]:.2f} ± {100 * row[f'{key}_std']:.2f}" if key in row else "-"
            for key, _ in METRIC_COLUMNS
        ]
        cells.append(f"{row['seconds']:.1f}")
        paper = row.get("published")
        cells.append(
            " / ".join(f"{100 * paper[key]:.2f}" for key in ("acc", "nmi", "purity"))
            + f" ({paper['row']})" if paper else "-"
        )
        lines.append("| " + " | ".join(cells) + " |")
    source = report.get("published_source")
    if source:
        lines += ["", f"Paper: {source}."]
    return "\n".join(lines) + "\n"


def run_ablation(
    method: str,
    dataset: str,
    param: str,
    values: Sequence[Any],
    *,
    seeds: int,
    name: str,
    out_dir: Path,
    params: Mapping[str, Any],
    resume: bool,
) -> dict[str, Any]:
    if param in params:
        raise ValueError(f"--set must not name the ablated parameter {param!r}")
    path = out_dir / f"{name}.json"
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if resume and path.exists():
        earlier = json.loads(path.read_text())
        if (earlier["method"], earlier["dataset"], earlier["param"], earlier["params"]) != (
            method, dataset, param, dict(params)
        ):
            raise ValueError(f"cannot resume from {path}: it ablates another setting")
        done = {(json.dumps(r["value"]), r["seed"]): r for r in earlier["runs"]}
    data = load_data(dataset)
    paper = published_ablation(method, data.name, param)
    report: dict[str, Any] = {
        "method": method, "dataset": data.name, "param": param, "values": list(values),
        "seeds": seeds, "params": dict(params), "runs": [], "summary": [],
        "published_source": paper.get("source"), "environment": environment(jobs=1),
    }
    for value in values:
        records = []
        for seed in range(seeds):
            record = done.get((json.dumps(value), seed))
            if record is None or not preset_is_current(record, {**params, param: value}):
                record = run(method, data, seed=seed, params={**params, param: value}).record()
                record["value"] = value
                print(f"{param}={value!r} seed {seed}: ACC {100 * record['acc']:.2f}", flush=True)
            records.append(record)
            report["runs"].append(record)
            write_report(report, out_dir, name, markdown_table)
        row = {"value": value, **summarize(records)}
        published = paper.get("rows", {}).get(str(value))
        if published is not None:
            row["published"] = published
        report["summary"].append(row)
        write_report(report, out_dir, name, markdown_table)
    return report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--param", required=True, help="the hyper-parameter to vary")
    parser.add_argument("--values", nargs="+", required=True,
                        help="Python literals where they parse as one, else strings")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="another hyper-parameter for every run; repeatable")
    parser.add_argument("--name", help="result file stem (default: <method>-ablation-<dataset>)")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    values = [parse_params([f"value={text}"])["value"] for text in args.values]
    report = run_ablation(
        args.method, args.dataset, args.param, values, seeds=args.seeds,
        name=args.name or f"{args.method}-ablation-{args.dataset}", out_dir=Path(args.out),
        params=parse_params(args.set), resume=args.resume,
    )
    print(markdown_table(report))
    return report


if __name__ == "__main__":
    main()
