"""`aa-gan evaluate` meets the user as `generate` does (issue 30): the shipped generators by name, any folder scored with
no option, and every mistake answered by one line that names the problem and the fix, with exit code 2."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


sys.path.insert(0, str(Path(__file__).parent))
from test_colour_evaluation import aa_gan, one_error_line  # noqa: E402,F401  one set of command-line helpers


def icons(folder: Path, n: int = 60, classes=None, size: int = 32):
    "n small colour pictures, loose in `folder` or spread over class sub-folders."
    rng = np.random.default_rng(0)
    for i in range(n):
        im = np.full((size, size, 3), 255, np.uint8)
        y, x = rng.integers(2, size - 12, 2)
        im[y:y + 10, x:x + 10] = rng.integers(0, 256, 3)
        where = folder / classes[i % len(classes)] if classes else folder
        where.mkdir(parents=True, exist_ok=True)
        Image.fromarray(im).save(where / f"{i:03d}.png")
    return folder


@pytest.fixture
def private(tmp_path):
    "No classifier trained here, and no InceptionV3 weights: a machine with nothing cached."
    return {"AA_GAN_EVALUATOR_DIR": str(tmp_path / "evaluators"), "KERAS_HOME": str(tmp_path / "keras")}


def test_evaluate_takes_the_shipped_names_and_scores_any_folder(tmp_path, private):
    "The issue's command, with a shipped name instead of a run: a flat folder of icons gets SWD and its calibration rows."
    folder = icons(tmp_path / "my_icons")
    r = aa_gan("evaluate", "--generator", "emoji", "--dataset", folder, "--json", tmp_path / "m.json", env=private)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Using the emoji generator shipped with aa_gan" in r.stdout
    assert "SWD x1e3" in r.stdout and "features: no network" in r.stdout and "real at 8x8 and back" in r.stdout
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["extractor"] == "swd" and m["n_real"] == 60 and m["swd"] > m["calibration"]["real half vs other half"]["swd"]


@pytest.mark.parametrize("name", ["fashion_mnist", "fashion_mnist_conditional"])
def test_evaluate_knows_every_name_generate_knows(name, private):
    "-n 50 on Fashion-MNIST: the fix is -n 129, said on the command line's terms (and the name was found)."
    r = aa_gan("evaluate", "--generator", name, "-n", 50, env=private)
    assert f"Using the {name} generator shipped" in r.stdout, r.stdout
    line = one_error_line(r)
    assert "too few for FID with the 128 features" in line and "(-n 129)" in line


def test_messages_before_tensorflow(tmp_path, private):
    (tmp_path / "empty").mkdir()
    line = one_error_line(aa_gan("evaluate", "--generator", "emojii", env=private))
    assert "--generator emojii: no such file" in line and "emoji" in line.split("one of")[1]
    line = one_error_line(aa_gan("evaluate", "--generator", "emoji", "--dataset", tmp_path / "empty", env=private))
    assert "holds no images" in line and "put PNG, JPEG" in line and "classifier" not in line
    line = one_error_line(aa_gan("evaluate", "--generator", "emoji", "--dataset", tmp_path / "missing", env=private))
    assert "No folder there" in line
    bad = tmp_path / "weights.h5"; bad.write_text("not weights\n")
    line = one_error_line(aa_gan("evaluate", "--generator", "emoji", "--extractor", "inception", "--inception-weights", bad, env=private))
    assert "is not an HDF5 weights file" in line and "inception_v3_weights_tf_dim_ordering_tf_kernels.h5" in line
    line = one_error_line(aa_gan("evaluate", env=private))
    assert "--generator" in line and "emoji" in line
    line = one_error_line(aa_gan("evaluate", "--train-evaluator", "--dataset", icons(tmp_path / "flat", 10), env=private))
    assert "has 0 sub-folders of images" in line and "leave out --train-evaluator" in line
    line = one_error_line(aa_gan("evaluate", "--train-evaluator", "--evaluator", "emoji", "--dataset", tmp_path / "flat", env=private))
    assert "leave out --evaluator" in line


def test_messages_about_the_classifier(tmp_path, private):
    from aa_gan.cli import shipped_generators
    folder = icons(tmp_path / "icons")
    line = one_error_line(aa_gan("evaluate", "--generator", "emoji", "--dataset", folder, "--evaluator", "bogus", env=private))
    assert "No classifier named 'bogus'" in line and "--train-evaluator" in line and "--evaluator FILE.keras" in line
    assert "python" not in line.lower()
    line = one_error_line(aa_gan("evaluate", "--generator", "emoji", "--dataset", folder, "--evaluator",
                                 shipped_generators()["emoji"], env=private))
    assert "is not a classifier made by train_evaluator" in line and "a generator" in line and "No such layer" not in line


def test_train_evaluator_from_the_command_line(tmp_path, private):
    "--train-evaluator learns the sub-folders' classes, keeps the classifier for the folder, and scores with it and SWD."
    folder = icons(tmp_path / "sorted", 300, classes=["a", "b"])
    r = aa_gan("evaluate", "--generator", "emoji", "--dataset", folder, "--train-evaluator", "-n", 300, env=private)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (Path(private["AA_GAN_EVALUATOR_DIR"]) / "sorted_classifier.keras").exists()
    assert "Training a classifier of the 2 classes" in r.stdout and "features: domain:sorted (128) and SWD" in r.stdout
    assert "FID" in r.stdout and "SWD x1e3" in r.stdout
