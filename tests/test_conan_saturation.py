import json

import pytest


@pytest.fixture
def saturation(benchmark_script):
    return benchmark_script("conan_saturation")


def test_rows_compare_each_epoch_count_with_the_previous(saturation, tmp_path):
    out = tmp_path / "saturation.json"
    report = saturation.main(["--datasets", "synthetic:n=150,views=2,clusters=3,dim=6",
                              "--seeds", "2", "--epochs", "1", "4", "--out", str(out)])
    rows = report["rows"]
    assert [(row["seed"], row["epochs"]) for row in rows] == [(0, 1), (0, 4), (1, 1), (1, 4)]
    assert [row["ari_previous"] is None for row in rows] == [True, False, True, False]
    assert all(-1.0 <= row["ari_previous"] <= 1.0 for row in rows[1::2])
    assert all(1 / 3 - 1e-6 <= row["largest_probability"] <= 1 + 1e-6 for row in rows)
    assert all(0.0 <= row["acc"] <= 1.0 for row in rows)
    assert json.loads(out.read_text())["rows"] == rows
    assert report["environment"]["jobs"] == 1
