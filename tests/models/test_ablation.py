import json

import pytest
import torch

DATA = "synthetic:n=150,views=2,clusters=3,dim=6"


@pytest.fixture
def ablation(benchmark_script):
    return benchmark_script("ablation")


def test_ablation_runs_every_value_and_seed_and_resumes(ablation, tmp_path, monkeypatch):
    args = ["--method", "concat-kmeans", "--dataset", DATA, "--param", "scaler",
            "--values", "minmax", "l2", "--seeds", "2", "--set", "n_init=2",
            "--name", "abl", "--out", str(tmp_path)]
    report = ablation.main(args)
    assert [(r["value"], r["seed"]) for r in report["runs"]] == [
        ("minmax", 0), ("minmax", 1), ("l2", 0), ("l2", 1)
    ]
    assert all(r["params"]["n_init"] == 2 for r in report["runs"])
    assert [r["scaler"] for r in report["runs"]] == ["minmax", "minmax", "l2", "l2"]
    assert [row["seeds"] for row in report["summary"]] == [[0, 1], [0, 1]]
    assert json.loads((tmp_path / "abl.json").read_text())["summary"] == report["summary"]
    assert report["environment"]["jobs"] == 1
    assert report["environment"]["threads"] == torch.get_num_threads()
    table = (tmp_path / "abl.md").read_text()
    assert "| `minmax` |" in table and "| `l2` |" in table

    calls = []
    real_run = ablation.run
    monkeypatch.setattr(ablation, "run", lambda *a, **k: calls.append(k) or real_run(*a, **k))
    resumed = ablation.main([*args[:7], "minmax", "l2", "none", *args[9:], "--resume"])
    assert [c["params"]["scaler"] for c in calls] == ["none", "none"]
    assert resumed["runs"][:4] == report["runs"]
    with pytest.raises(ValueError, match="cannot resume"):
        ablation.main([*args[:-4], "--set", "n_init=3", "--name", "abl", "--out",
                       str(tmp_path), "--resume"])


def test_resume_runs_again_where_the_preset_changed(ablation, tmp_path, monkeypatch):
    from mvgraph.models import ConcatKMeans

    args = ["--method", "concat-kmeans", "--dataset", DATA, "--param", "scaler",
            "--values", "minmax", "--seeds", "2", "--name", "abl", "--out", str(tmp_path)]
    ablation.main(args)
    monkeypatch.setattr(ConcatKMeans, "presets", {DATA: {"n_init": 3}})
    calls = []
    real_run = ablation.run
    monkeypatch.setattr(ablation, "run", lambda *a, **k: calls.append(k) or real_run(*a, **k))
    report = ablation.main([*args, "--resume"])
    assert [c["seed"] for c in calls] == [0, 1]
    assert all(r["preset"] == {"n_init": 3} for r in report["runs"])


def test_paper_rows_are_shown_beside_the_measured_ones(ablation):
    rows = ablation.published_ablation("crrc", "ngs", "recalibration")
    assert rows["rows"]["reconstruction"] == {"row": "M1", "acc": 0.56, "nmi": 0.3883,
                                              "purity": 0.57}
    report = {"method": "crrc", "dataset": "ngs", "param": "recalibration", "seeds": 1,
              "params": {}, "published_source": rows["source"], "summary": [
                  {"value": "reconstruction", "acc": 0.5, "acc_std": 0.0, "seconds": 1.0,
                   "published": rows["rows"]["reconstruction"]}]}
    table = ablation.markdown_table(report)
    row = "| `reconstruction` | 50.00 ± 0.00 | - | - | - | - | 1.0 | 56.00 / 38.83 / 57.00 (M1) |"
    assert row in table
    assert "Table 3" in table
