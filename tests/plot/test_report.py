import base64
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mvgraph.benchmark import run_benchmark
from mvgraph.cli import main
from mvgraph.plot import write_html_report

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def inline_images(page: str) -> list[np.ndarray]:
    """Every ``<img>`` of the page, which must be an inline PNG that decodes."""
    sources = re.findall(r"<img [^>]*src=\"([^\"]*)\"", page)
    assert len(sources) == page.count("<img ")
    images = []
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))) as image:
            assert image.format == "PNG"
            images.append(np.asarray(image.convert("L"), dtype=float))
    return images


def test_a_bench_report_gets_bars_against_its_own_floor_and_a_table(tmp_path):
    run_benchmark(["concat-kmeans"], ["synthetic:n=200,views=2,clusters=3"], seeds=2,
                  name="floor", out_dir=tmp_path)
    path = write_html_report(tmp_path / "floor.json")
    assert path == tmp_path / "floor.html"
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    images = inline_images(page)
    assert len(images) == 2 and all(image.std() > 5 for image in images)
    assert "Floor: concat-kmeans from this report" in page
    assert page.count("<tr>") == 2  # header and one (method, set) row


def test_a_committed_report_takes_the_floor_and_the_papers_from_beside_it(tmp_path):
    for name in ("crrc-stable-report.json", "concat-kmeans.json"):
        shutil.copy(RESULTS / name, tmp_path / name)
    out = tmp_path / "pages" / "crrc.html"
    assert write_html_report(tmp_path / "crrc-stable-report.json", out) == out
    page = out.read_text()
    assert "Floor: concat-kmeans from concat-kmeans.json" in page
    report = json.loads((RESULTS / "crrc-stable-report.json").read_text())
    floor = {row["dataset"]: row for row in json.loads(
        (RESULTS / "concat-kmeans.json").read_text())["summary"]}
    for row in report["summary"]:  # every row with its floor's ACC
        cell = f"{100 * floor[row['dataset']]['acc']:.2f} ± "
        assert f"<td>{row['dataset']}</td>" in page and cell in page
    assert len(inline_images(page)) == 2


def test_a_scaling_benchmark_gets_time_and_memory_against_n(tmp_path):
    shutil.copy(RESULTS / "scaling-cpu.json", tmp_path / "scaling-cpu.json")
    page = write_html_report(tmp_path / "scaling-cpu.json").read_text()
    (image,) = inline_images(page)
    assert image.shape == (420, 1100) and image.std() > 5
    assert "<td>1000000</td>" in page


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "results must be a readable JSON file"),
    ('{"rows": [{"n": 1}]}', "results must be a mvgraph bench report"),
    ('{"runs": [], "summary": []}', "has no finished (method, data set) pair"),
])
def test_other_files_are_refused(tmp_path, capsys, content, message):
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=re.escape(message)):
        write_html_report(path)
    assert main(["report", str(path)]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("mvgraph: error: ") and stderr.count("\n") == 1
    assert not (tmp_path / "results.html").exists()


def test_report_command_writes_where_asked(tmp_path, capsys):
    shutil.copy(RESULTS / "scaling-cpu.json", tmp_path / "s.json")
    assert main(["report", str(tmp_path / "s.json"), "--out", str(tmp_path / "x.html")]) == 0
    assert f"report written to {tmp_path / 'x.html'}" in capsys.readouterr().out
    assert (tmp_path / "x.html").is_file() and not (tmp_path / "s.html").exists()
