"""The benchmark harness: summaries, the table, resuming and the report files."""

import json

import pytest

from mvgraph.benchmark import (
    PROTOCOL_HALVES,
    environment,
    markdown_table,
    preset_is_current,
    reference_result,
    run_benchmark,
    summarize,
    write_report,
)
from mvgraph.data import dataset_info
from mvgraph.models import ConcatKMeans

DATA = "synthetic:n=60,views=2,clusters=3"
HEADER = "| method | dataset | seeds | ACC | NMI | PUR | ARI | F | time (s) | published |"


def test_summarize_gives_mean_and_population_std_per_metric():
    records = [{"seed": 0, "acc": 0.5, "nmi": 0.2, "seconds": 1.0, "best_epoch": {}},
               {"seed": 1, "acc": 0.7, "nmi": 0.4, "seconds": 3.0, "best_epoch": {}}]
    summary = summarize(records)
    assert summary.keys() == {"seeds", "acc", "acc_std", "nmi", "nmi_std", "seconds",
                              "seconds_std"}
    assert summary["seeds"] == [0, 1]
    for key, mean, std in (("acc", 0.6, 0.1), ("nmi", 0.3, 0.1), ("seconds", 2.0, 1.0)):
        assert summary[key] == pytest.approx(mean) and summary[f"{key}_std"] == pytest.approx(std)


def test_summarize_adds_best_epochs_only_when_every_run_has_one_and_kmeans_averages():
    records = [
        {"seed": 3, "acc": 1.0, "seconds": 1.0, "best_epoch": {"acc": 0.8, "nmi": 0.5},
         "kmeans_average": {"runs": 4, "acc": 0.6}},
        {"seed": 4, "acc": 1.0, "seconds": 1.0, "best_epoch": {"acc": 0.9, "nmi": 0.7},
         "kmeans_average": {"runs": 4, "acc": 0.8}},
    ]
    summary = summarize(records)
    assert summary["acc_std"] == 0.0
    assert summary["best_epoch_acc"] == pytest.approx(0.85)
    assert summary["best_epoch_acc_std"] == pytest.approx(0.05)
    assert summary["best_epoch_nmi"] == pytest.approx(0.6)
    assert summary["kmeans_average"] == {"runs": 4, "acc": pytest.approx(0.7),
                                         "acc_std": pytest.approx(0.1)}
    records[1]["best_epoch"] = {}
    assert not any(key.startswith("best_epoch") for key in summarize(records))


def test_markdown_table_of_one_row():
    report = {"summary": [{"method": "m", "dataset": "d", "seeds": [0, 1], "acc": 0.6,
                           "acc_std": 0.1, "nmi": 0.25, "nmi_std": 0.0, "seconds": 2.0,
                           "published": None, "preset": {}}]}
    assert markdown_table(report) == "\n".join([
        HEADER,
        "|" + "---|" * 10,
        "| m | d | 2 | 60.00 ± 10.00 | 25.00 ± 0.00 | - | - | - | 2.00 | - |",
    ]) + "\n"


def test_markdown_table_marks_presets_published_numbers_and_diagnostics():
    row = {"method": "m", "dataset": "d", "seeds": [0], "acc": 0.5, "acc_std": 0.0,
           "seconds": 0.123, "preset": {"k": 5, "mode": "x"}, "best_epoch_acc": 0.75,
           "best_epoch_acc_std": 0.05,
           "published": {"acc": 0.9, "nmi": 0.8, "f1_macro": 0.7, "source": "paper, Table 2",
                         "comparable": False}}
    other = {"method": "m", "dataset": "e", "seeds": [0], "seconds": 1.0, "published": {},
             "kmeans_average": {"runs": 3, "acc": 0.4, "acc_std": 0.02}}
    lines = markdown_table({"summary": [row, other]}).splitlines()
    assert lines[0] == HEADER + " best-epoch ACC (diagnostic) |"
    assert lines[2] == ("| m | d (preset) | 1 | 50.00 ± 0.00 | - | - | - | - | 0.12 | "
                        "ACC 90.00, NMI 80.00, F1 70.00 (not comparable) [paper, Table 2] | "
                        "75.00 ± 5.00 |")
    assert lines[3] == "| m | e | 1 | - | - | - | - | - | 1.00 | - | - |"
    assert lines[5].startswith("Metrics averaged over 3 k-means runs")
    assert lines[9] == "| m | e | 1 | 40.00 ± 2.00 | - | - | - | - |"
    assert lines[-3:] == ["", "Per-dataset presets:", "- m on d: k=5, mode='x'"]


def test_reference_result_of_the_floor_is_the_registry_baseline_of_its_scaling():
    for scaler, key in (("minmax", "kmeans_minmax_concat"), ("l2", "kmeans_rowl2_concat")):
        expected = {**dataset_info("handwritten")[key], "source": f"registry baseline {key}"}
        assert reference_result("concat-kmeans", "handwritten", scaler) == expected
    assert reference_result("concat-kmeans", "handwritten", "standard") is None
    assert reference_result("concat-kmeans", DATA, "minmax") is None  # not in the registry


def test_reference_result_of_a_method_is_its_papers_number():
    from mvgraph.benchmark import published_results

    assert reference_result("crrc", "ngs", "auto") == published_results()["results"]["crrc"]["ngs"]
    assert reference_result("crrc", "no-such-set", "auto") is None
    assert reference_result("no-such-method", "ngs", "auto") is None


def test_the_protocol_halves_are_disjoint_registry_sets():
    tuning, report = PROTOCOL_HALVES["tuning"], PROTOCOL_HALVES["report"]
    assert not set(tuning) & set(report)
    for name in tuning + report:
        dataset_info(name)  # raises for a name the registry does not know


def test_a_preset_is_current_when_the_record_applied_todays(monkeypatch):
    monkeypatch.setattr(ConcatKMeans, "presets", {"x": {"n_init": 3, "scaler": "l2"}})
    record = {"method": "concat-kmeans", "dataset": "x", "preset": {"n_init": 3, "scaler": "l2"}}
    assert preset_is_current(record, None)
    assert not preset_is_current({**record, "preset": {}}, None)
    # --set n_init wins over the preset: only the scaler was applied
    assert preset_is_current({**record, "preset": {"scaler": "l2"}}, {"n_init": 2})
    assert preset_is_current({**record, "preset": {}}, None, use_presets=False)
    monkeypatch.setattr(ConcatKMeans, "presets", {"x": {"max_iter": (5,)}})
    assert preset_is_current({**record, "preset": {"max_iter": [5]}}, None)  # as JSON reads


def test_write_report_writes_the_json_and_the_titled_table(tmp_path):
    report = {"name": "r", "summary": [], "values": (1, 2)}
    write_report(report, tmp_path / "out", "r", table=lambda rep: f"{len(rep)} keys\n")
    assert json.loads((tmp_path / "out" / "r.json").read_text()) == {
        "name": "r", "summary": [], "values": [1, 2]}
    assert (tmp_path / "out" / "r.md").read_text() == "# r\n\n3 keys\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.json", "r.md"]


def test_environment_gives_the_threads_of_every_fit(monkeypatch):
    import os

    import torch

    serial = environment(1)
    assert serial["jobs"] == 1 and serial["threads"] == torch.get_num_threads()
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert environment(3)["threads"] == 2 and environment(16)["threads"] == 1


def test_a_benchmark_writes_every_run_and_a_summary_per_pair(tmp_path):
    seen = []
    report = run_benchmark(["concat-kmeans"], [DATA], seeds=2, name="b", out_dir=tmp_path,
                           progress=seen.append)
    assert [(r["method"], r["dataset"], r["seed"]) for r in report["runs"]] == [
        ("concat-kmeans", DATA, 0), ("concat-kmeans", DATA, 1)]
    assert seen == report["runs"]
    summary = report["summary"][0]
    assert summary["seeds"] == [0, 1] and summary["published"] is None
    assert summary["acc"] == pytest.approx(summarize(report["runs"])["acc"])
    assert json.loads((tmp_path / "b.json").read_text()) == json.loads(json.dumps(report))
    assert (tmp_path / "b.md").read_text() == "# b\n\n" + markdown_table(report)


@pytest.mark.parametrize(("options", "message"), [
    ({"seeds": 0}, "seeds must be >= 1; got 0"),
    ({"jobs": 0}, "jobs must be an integer >= 1; got 0"),
    ({"jobs": True}, "jobs must be an integer >= 1; got True"),
    ({"jobs": 2.0}, "jobs must be an integer >= 1; got 2.0"),
])
def test_bad_seeds_and_jobs_are_refused_before_any_run(tmp_path, options, message):
    with pytest.raises(ValueError) as raised:
        run_benchmark(["concat-kmeans"], [DATA], out_dir=tmp_path, **options)
    assert str(raised.value) == message
    assert list(tmp_path.iterdir()) == []


def test_resume_refuses_a_report_of_other_settings_or_no_report(tmp_path):
    run_benchmark(["concat-kmeans"], [DATA], seeds=1, name="r", out_dir=tmp_path)
    with pytest.raises(ValueError, match=r"cannot resume from .*r\.json: it was run with "):
        run_benchmark(["concat-kmeans"], [DATA], seeds=1, name="r", out_dir=tmp_path,
                      params={"n_init": 2}, resume=True)
    (tmp_path / "junk.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"cannot resume from .*junk\.json: not a benchmark "):
        run_benchmark(["concat-kmeans"], [DATA], seeds=1, name="junk", out_dir=tmp_path,
                      resume=True)
