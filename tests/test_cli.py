import json

import numpy as np
import pytest
import scipy.io

from mvgraph.cli import main
from mvgraph.data import MultiViewData, load_mat, load_views
from mvgraph.experiment import load_data
from mvgraph.metrics import evaluate


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fit_writes_results(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "fit", "concat-kmeans", "--data",
                              "synthetic:n=300,views=2,clusters=3,dim=8", "--seed", "1",
                              "--set", "n_init=2", "--out", str(out))
    assert code == 0
    assert "ACC" in stdout and "NMI" in stdout and "PUR" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    labels = np.load(out / "labels.npy")
    truth = load_data("synthetic:n=300,views=2,clusters=3,dim=8").labels
    for key, value in evaluate(truth, labels).items():  # the metrics of the saved labels
        assert metrics[key] == pytest.approx(value)
    assert metrics["method"] == "concat-kmeans" and metrics["seed"] == 1
    assert metrics["params"]["n_init"] == 2 and metrics["scaler"] == "auto"
    assert metrics["view_scalers"] == ["minmax", "minmax"]  # dense views
    assert labels.shape == (300,)
    assert np.load(out / "embedding.npy").shape[0] == 300


def test_fit_concat_kmeans_on_ngs_scales_the_text_views_by_rows(tmp_path, capsys):
    try:
        load_data("ngs")
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")
    out = tmp_path / "ngs"
    code, _, _ = run_cli(capsys, "fit", "concat-kmeans", "--data", "ngs", "--out", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert code == 0 and metrics["view_scalers"] == ["l2", "l2", "l2"]
    assert metrics["acc"] >= 0.95  # min-max on every view, the old default: 0.212


def test_bench_writes_json_and_table(tmp_path, capsys):
    code, stdout, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              "synthetic:n=200,views=2,clusters=4", "--seeds", "2",
                              "--name", "smoke", "--out", str(tmp_path))
    assert code == 0
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert len(report["runs"]) == 2 and report["summary"][0]["seeds"] == [0, 1]
    assert {"acc", "acc_std", "nmi", "seconds"} <= set(report["summary"][0])
    assert "| concat-kmeans |" in (tmp_path / "smoke.md").read_text()


def test_bench_jobs_run_in_processes_and_give_the_serial_report(tmp_path, capsys):
    data = ["synthetic:n=200,views=2,clusters=4", "synthetic:n=150,views=3,clusters=3"]
    reports = {}
    for jobs in ("1", "2"):
        code, _, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets", *data,
                             "--seeds", "2", "--name", f"jobs{jobs}", "--out", str(tmp_path),
                             "--jobs", jobs)
        assert code == 0
        reports[jobs] = json.loads((tmp_path / f"jobs{jobs}.json").read_text())

    def timeless(report):
        runs = [{k: v for k, v in r.items() if k != "seconds"} for r in report["runs"]]
        summary = [{k: v for k, v in s.items() if not k.startswith("seconds")}
                   for s in report["summary"]]
        return runs, summary

    assert [(r["dataset"], r["seed"]) for r in reports["2"]["runs"]] == [
        (data[0], 0), (data[0], 1), (data[1], 0), (data[1], 1)]
    assert timeless(reports["2"]) == timeless(reports["1"])
    assert run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets", data[0],
                   "--jobs", "0", "--out", str(tmp_path))[0] == 2
    # an error in a worker process stops the benchmark with the worker's message
    code, _, stderr = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              *data, "--seeds", "2", "--jobs", "2", "--set", "bogus=1",
                              "--out", str(tmp_path))
    assert code == 2 and "unknown parameter" in stderr and "bogus" in stderr


def test_bench_resumes_from_the_runs_already_written(tmp_path, capsys, monkeypatch):
    data = "synthetic:n=200,views=2,clusters=4"
    args = ("bench", "--methods", "concat-kmeans", "--datasets", data, "--name", "resume",
            "--out", str(tmp_path))
    assert run_cli(capsys, *args, "--seeds", "2")[0] == 0
    first = json.loads((tmp_path / "resume.json").read_text())["runs"]

    import mvgraph.benchmark as benchmark

    calls = []
    real_run = benchmark.run

    def counted_run(*args, **kwargs):
        calls.append(kwargs["seed"])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(benchmark, "run", counted_run)
    assert run_cli(capsys, *args, "--seeds", "3", "--resume")[0] == 0
    report = json.loads((tmp_path / "resume.json").read_text())
    assert calls == [2]  # seeds 0 and 1 were kept, not run again
    assert report["runs"][:2] == first and report["summary"][0]["seeds"] == [0, 1, 2]
    code, _, stderr = run_cli(capsys, *args, "--seeds", "3", "--resume", "--set", "n_init=2")
    assert code == 2 and "cannot resume" in stderr

    # a preset added for the set since: every seed runs again, with it
    from mvgraph.models import ConcatKMeans

    monkeypatch.setattr(ConcatKMeans, "presets", {data: {"scaler": "l2"}})
    calls.clear()
    assert run_cli(capsys, *args, "--seeds", "3", "--resume")[0] == 0
    report = json.loads((tmp_path / "resume.json").read_text())
    assert calls == [0, 1, 2] and all(r["preset"] == {"scaler": "l2"} for r in report["runs"])


def test_datasets_lists_registry(capsys):
    code, stdout, _ = run_cli(capsys, "datasets")
    assert code == 0
    assert "handwritten" in stdout and "present" in stdout


def _assert_same_one_line_error(capsys, path, api_call):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", str(path))
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mvgraph: error: ")
    with pytest.raises(ValueError) as raised:
        api_call(path)
    assert lines[0] == f"mvgraph: error: {raised.value}"


def test_truncated_mat_file(tmp_path, capsys):
    path = tmp_path / "cut.mat"
    rng = np.random.default_rng(0)
    scipy.io.savemat(path, {"X1": rng.normal(size=(50, 20)), "X2": rng.normal(size=(50, 9)),
                            "Y": np.arange(50) % 3})
    path.write_bytes(path.read_bytes()[:3000])
    _assert_same_one_line_error(capsys, path, load_mat)


def test_view_with_nan(tmp_path, capsys):
    path = tmp_path / "nan.mat"
    view = np.ones((20, 3))
    view[4, 2] = np.nan
    scipy.io.savemat(path, {"X1": view, "X2": np.ones((20, 2)), "Y": np.arange(20) % 2})
    _assert_same_one_line_error(capsys, path, load_mat)


def test_views_with_different_sample_counts(tmp_path, capsys):
    path = tmp_path / "mismatch.npz"
    np.savez(path, view_0=np.ones((20, 3)), view_1=np.ones((19, 3)))
    _assert_same_one_line_error(capsys, path, load_views)
    with pytest.raises(ValueError, match="same number of samples"):
        MultiViewData([np.ones((20, 3)), np.ones((19, 3))])


def test_unknown_method_parameter(capsys):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=50",
                              "--set", "epochs=3")
    assert code == 2 and "unknown parameter(s) ['epochs']" in stderr


def test_more_clusters_than_samples(capsys):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "synthetic:n=50",
                              "--clusters", "60")
    assert code == 2 and "n_clusters=60 exceeds the number of samples (50)" in stderr


def test_unknown_dataset(capsys):
    code, _, stderr = run_cli(capsys, "fit", "concat-kmeans", "--data", "no-such-set")
    assert code == 2 and "no-such-set" in stderr


def test_presets_apply_per_dataset_and_can_be_switched_off(tmp_path, capsys, monkeypatch):
    from mvgraph.models import ConcatKMeans

    spec = "synthetic:n=120,views=2,clusters=3,dim=4"
    monkeypatch.setattr(ConcatKMeans, "presets", {spec: {"n_init": 3, "scaler": "l2"}})
    code, stdout, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets", spec,
                              "--seeds", "1", "--set", "n_init=2", "--name", "p",
                              "--out", str(tmp_path))
    assert code == 0
    run = json.loads((tmp_path / "p.json").read_text())["runs"][0]
    # --set wins over the preset; the rest of the preset applies and is recorded.
    assert run["params"]["n_init"] == 2 and run["scaler"] == "l2"
    assert run["preset"] == {"scaler": "l2"}
    assert "(preset)" in (tmp_path / "p.md").read_text()

    out = tmp_path / "fit"
    code, _, _ = run_cli(capsys, "fit", "concat-kmeans", "--data", spec, "--no-preset",
                         "--out", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert code == 0 and metrics["preset"] == {} and metrics["scaler"] == "auto"


def test_best_epoch_diagnostic_is_recorded_beside_the_final_metrics():
    from mvgraph.experiment import best_epoch_metrics

    history = [
        {"phase": "pretrain", "epoch": 0, "acc": 0.9},
        {"phase": "main", "epoch": 0, "acc": 0.5, "nmi": 0.7},
        {"phase": "main", "epoch": 1, "loss": 1.0},
        {"phase": "main", "epoch": 2, "acc": 0.6, "nmi": 0.4},
    ]
    assert best_epoch_metrics(history) == {"acc": 0.6, "nmi": 0.7}
    assert best_epoch_metrics(history[:2]) == {}
    assert best_epoch_metrics([]) == {}


def test_kmeans_average_is_the_mean_of_seeded_runs(tmp_path, capsys):
    from mvgraph.cluster import kmeans
    from mvgraph.experiment import kmeans_average
    from mvgraph.metrics import evaluate

    generator = np.random.default_rng(0)
    embedding = np.concatenate([generator.normal(c, 1.2, size=(40, 2)) for c in (0, 3, 6)])
    labels = np.repeat(np.arange(3), 40)
    average = kmeans_average(embedding, labels, 3, runs=4, n_init=1, random_state=7)
    seeds = np.random.default_rng(7).integers(0, 2**31 - 1, size=4)
    accs = [evaluate(labels, kmeans(embedding, 3, n_init=1, random_state=int(s)).labels)["acc"]
            for s in seeds]
    assert average["runs"] == 4 and average["acc"] == pytest.approx(np.mean(accs))
    with pytest.raises(ValueError, match="runs"):
        kmeans_average(embedding, labels, 3, runs=0)

    code, stdout, _ = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                              "synthetic:n=120,views=2,clusters=3", "--seeds", "2",
                              "--kmeans-runs", "3", "--name", "avg", "--out", str(tmp_path))
    assert code == 0
    report = json.loads((tmp_path / "avg.json").read_text())
    assert report["runs"][0]["kmeans_average"]["runs"] == 3
    summary = report["summary"][0]["kmeans_average"]
    assert {"runs", "acc", "acc_std", "nmi"} <= set(summary)
    assert "averaged over 3 k-means runs" in (tmp_path / "avg.md").read_text()
    code, stdout, _ = run_cli(capsys, "fit", "concat-kmeans", "--data",
                              "synthetic:n=120,views=2,clusters=3", "--kmeans-runs", "2",
                              "--out", str(tmp_path / "fit"))
    assert code == 0 and "averaged over 2 k-means runs" in stdout
    metrics = json.loads((tmp_path / "fit" / "metrics.json").read_text())
    assert metrics["kmeans_average"]["runs"] == 2


def test_bench_records_every_restart_of_a_run(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "bench", "--methods", "conan", "--datasets",
                         "synthetic:n=120,views=2,clusters=3", "--seeds", "1",
                         "--set", "n_restarts=3", "--set", "epochs=2",
                         "--name", "restarts", "--out", str(tmp_path))
    assert code == 0
    restarts = json.loads((tmp_path / "restarts.json").read_text())["runs"][0]["restarts"]
    assert len(restarts["losses"]) == len(restarts["cluster_counts"]) == 3
    assert restarts["seeds"][0] == 0 and len(set(restarts["seeds"])) == 3
    usable = [i for i, used in enumerate(restarts["cluster_counts"]) if used == 3]
    candidates = usable or range(3)
    assert restarts["kept"] == min(candidates, key=restarts["losses"].__getitem__)

    code, _, _ = run_cli(capsys, "bench", "--methods", "conan", "--datasets",
                         "synthetic:n=120,views=2,clusters=3", "--seeds", "1",
                         "--set", "epochs=2", "--name", "single", "--out", str(tmp_path))
    assert "restarts" not in json.loads((tmp_path / "single.json").read_text())["runs"][0]
