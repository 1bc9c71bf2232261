"The command line, run as a user runs it: a subprocess of the installed `aa-gan` script."
import json
import shutil
import subprocess
import sys

import pytest
from PIL import Image

AA_GAN = shutil.which("aa-gan") or f"{sys.executable} -m aa_gan.cli"


def aa_gan(*args, timeout=600):
    cmd = [shutil.which("aa-gan")] if shutil.which("aa-gan") else [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def test_train_then_generate(tmp_path):
    "The acceptance check: two epochs of two steps write two grids, the CSV and the generator; generate draws from it."
    run = tmp_path / "run"
    r = aa_gan("train", "--epochs", 2, "--steps-per-epoch", 2, "--batch-size", 8, "--max-images", 64, "--seed", 0, "--out", run)
    assert r.returncode == 0, r.stderr[-2000:]
    assert {"epoch_001.png", "epoch_002.png", "history.csv", "losses.png", "generator.keras"} <= {p.name for p in run.iterdir()}
    rows = (run / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,d_loss,g_loss") and len(rows) == 3
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1"]
    assert "first 64 used" in r.stdout and json.loads((run / "run.json").read_text())["batch_size"] == 8  # the small run it asked for
    r = aa_gan("generate", "--generator", run / "generator.keras", "-n", 16, "--out", tmp_path / "grid.png")
    assert r.returncode == 0, r.stderr[-2000:]
    assert Image.open(tmp_path / "grid.png").size == (2 * (4 * 30 + 2),) * 2


@pytest.mark.parametrize("args, message", [
    (["train", "--epochs", "0", "--out", "x"], "argument --epochs: expected a positive whole number, got 0"),
    (["train", "--batch-size", "many", "--out", "x"], "argument --batch-size: expected a positive whole number, got 'many'"),
    (["train", "--bogus", "--out", "x"], "unrecognized arguments: --bogus"),
    (["generate", "--generator", "missing.keras", "--out", "g.png"], "No generator at missing.keras"),
    (["launch"], "invalid choice: 'launch'"),
])
def test_bad_flags_give_one_line_and_exit_code_2(args, message, tmp_path):
    r = aa_gan(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aa-gan: error: ") and message in lines[0], r.stderr


def test_missing_dataset_is_one_line(tmp_path):
    r = aa_gan("train", "--dataset", "mnist", "--idx-dir", tmp_path, "--out", tmp_path / "run")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "is not available" in r.stderr and "To provide it" in r.stderr
    assert not (tmp_path / "run").exists()  # nothing was created for a run that could not start


def test_evaluate_offline_advice_is_a_flag(tmp_path):
    "Inception's weights with no network: the advice names a flag the command line has, and the flag is checked before any work."
    from aa_gan.cli import PRETRAINED_GENERATOR
    r = aa_gan("evaluate", "--generator", PRETRAINED_GENERATOR, "--extractor", "inception", "--inception-weights", tmp_path / "none.h5", "-n", 4)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stderr.strip().splitlines() == [f"aa-gan: error: No InceptionV3 weights file {tmp_path / 'none.h5'}; expected "
                                             "inception_v3_weights_tf_dim_ordering_tf_kernels.h5."]
    r = aa_gan("evaluate", "--generator", PRETRAINED_GENERATOR, "--inception-weights", tmp_path / "none.h5", "-n", 4)
    assert r.returncode == 2 and "--inception-weights is for --extractor inception" in r.stderr, r.stderr[-2000:]


def test_help_names_every_shipped_generator():
    "`aa-gan generate --help` and `aa-gan evaluate --help` list each generator that ships (evaluate's once lacked emoji64)."
    from aa_gan.cli import shipped_generators
    for command in ("generate", "evaluate"):
        r = aa_gan(command, "--help", timeout=120)
        text = " ".join(r.stdout.split())
        missing = [name for name in shipped_generators() if f" {name}" not in text]
        assert r.returncode == 0 and missing == [], (command, missing)
