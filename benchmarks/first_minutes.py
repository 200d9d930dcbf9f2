"""Wall time of what a new user runs first: ``make demo``'s script, every ``python`` block
of the README and ``examples/deep_methods.py --short``, each in a fresh process, one after
another. Writes ``benchmarks/results/first-minutes.json`` and prints a table.

    python benchmarks/first_minutes.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from measure import machine

ROOT = Path(__file__).resolve().parents[1]


def main() -> dict:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    commands = {"examples/quickstart.py": [str(ROOT / "examples/quickstart.py")],
                **{f"README python block {i}": ["-c", code] for i, code in enumerate(blocks)},
                "examples/deep_methods.py --short": [str(ROOT / "examples/deep_methods.py"),
                                                     "--short"]}
    rows = []
    for name, arguments in commands.items():
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True,
                              cwd=ROOT, check=True)
        rows.append({"run": name, "seconds": time.perf_counter() - start,
                     "last_lines": done.stdout.strip().splitlines()[-3:]})
        print(f"| {name} | {rows[-1]['seconds']:.1f} |", flush=True)
    report = {"machine": machine(), "rows": rows}
    out = ROOT / "benchmarks/results/first-minutes.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
