"""Reliability: what `aa-gan` promises when a user is careless or unlucky. Each case runs the command line as a user
would; `CASES` is the table that nbs/11_checkpoints.ipynb prints with the results.

Exit codes: 2 for a user's mistake (one line on stderr), 1 for a run that failed through no fault of the user's,
128 + N for signal N. No case may end in a traceback."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

# case -> what a user gets
CASES = {
    "rerun_into_a_finished_run": "exit 2 naming --resume and --overwrite; the finished run is untouched",
    "overwrite_replaces_the_whole_run": "--overwrite removes the old run's files: no grid or checkpoint of it is left",
    "second_run_on_a_busy_folder": "exit 2 at once: the folder is in use by another process",
    "stale_lock_of_a_killed_run": "a lock left by a dead process does not block: the run goes ahead",
    "sigterm_saves_and_stops": "SIGTERM stops after the batch, saves whole networks, says how to resume, exit 143",
    "full_disk": "exit 1, one line: what could not be written, that older checkpoints survive, and `--resume`",
    "leftover_temporaries_are_removed": "temporary files of a run killed mid-write are removed by the next run",
    "symlink_loops_in_an_image_folder": "each real image counted once; the scan ends",
    "out_inside_the_dataset_folder": "exit 2: the run would write into the images it trains on",
    "batch_larger_than_the_dataset": "exit 2 before any training",
    "out_is_a_file": "exit 2: --out names a file, not a folder",
    "generate_out_is_a_folder": "exit 2: --out must name a .png file",
    "generate_out_exists": "exit 2 unless --overwrite; the existing image is untouched",
    "evaluate_json_under_a_file": "exit 2 at once, before the evaluation runs",
    "generate_too_many_images": "exit 2 at once for -n beyond what a grid can show",
    "wrong_kind_of_keras_file": "exit 2: the file is a discriminator (or an encoder), not a generator",
    "dataset_name_beside_a_folder_of_that_name": "--dataset fashion_mnist means the standard dataset, ./fashion_mnist the folder",
    "resume_from_another_directory": "run.json stores absolute paths: --resume works from anywhere",
    "damaged_run_json": "exit 2, one line, for a run.json with an unknown key or of the wrong type",
    "damaged_checkpoint_meta": "a meta.json of [] is a damaged checkpoint: warned once, the older one is used",
}

TINY = ["--model", "bce", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "4", "--max-images", "16", "--seed", "0",
        "--quiet"]


def aa_gan(*args, cwd=None, timeout=300, env=None):
    exe = shutil.which("aa-gan")
    cmd = [exe] if exe else [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})})


def one_line_error(r, code=2) -> str:
    "The one stderr line of a failed command (and no traceback)."
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-2000:]
    return lines[0]


def tree(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    "A finished run of two epochs."
    run = tmp_path_factory.mktemp("finished") / "run"
    r = aa_gan("train", *TINY[:3], "2", *TINY[4:], "--out", run)
    assert r.returncode == 0, r.stderr[-2000:]
    return run


def test_rerun_into_a_finished_run(finished):
    before = tree(finished)
    err = one_line_error(aa_gan("train", *TINY, "--model", "hinge", "--out", finished))
    assert "already holds a training run" in err and "--resume" in err and "--overwrite" in err
    assert tree(finished) == before


def test_overwrite_replaces_the_whole_run(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    assert (run / "epoch_002.png").exists()
    r = aa_gan("train", *TINY, "--overwrite", "--out", run)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (run / "epoch_002.png").exists() and sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_0001"]
    assert json.loads((run / "run.json").read_text())["epochs"] == 1


def test_second_run_on_a_busy_folder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "run").mkdir(); (tmp_path / "run" / ".lock").write_text(str(holder.pid))
        t0 = time.time()
        err = one_line_error(aa_gan("train", *TINY, "--out", tmp_path / "run"))
        assert f"in use by another run (process {holder.pid})" in err and time.time() - t0 < 60
    finally: holder.kill(); holder.wait()


def test_stale_lock_of_a_killed_run(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"]); dead.wait()
    (tmp_path / "run").mkdir(); (tmp_path / "run" / ".lock").write_text(str(dead.pid))
    r = aa_gan("train", *TINY, "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (tmp_path / "run" / ".lock").exists()


def test_sigterm_saves_and_stops(tmp_path):
    run = tmp_path / "run"
    exe = shutil.which("aa-gan") or sys.executable
    cmd = ([exe] if exe.endswith("aa-gan") else [exe, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"])
    proc = subprocess.Popen(cmd + ["train", "--model", "bce", "--epochs", "50", "--steps-per-epoch", "5", "--batch-size", "8",
                                   "--max-images", "64", "--seed", "0", "--quiet", "--out", str(run)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (run / "checkpoints" / "epoch_0001").exists():
        assert proc.poll() is None and time.time() - t0 < 240, "the run ended or stalled before its first checkpoint"
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 143, err[-2000:]
    assert "Stopped (SIGTERM)" in out and "--resume" in out and "Traceback" not in err
    from aa_gan.gan import load_model
    assert load_model(run / "generator.keras").count_params() == 960_257  # whole, loadable
    assert not list(run.glob(".tmp_*")) and not (run / ".lock").exists()


def test_full_disk(tmp_path):
    "A real full disk: a 6 MB tmpfs, too small for the first checkpoint of the small recipe (about 11 MB)."
    disk = tmp_path / "disk"; disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0: pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        err = one_line_error(aa_gan("train", *TINY, "--out", disk / "run"), code=1)
        assert "No space left on device" in err and "--resume" in err and "untouched" in err, err
        assert not list((disk / "run" / "checkpoints").glob(".tmp_*"))  # no half-written checkpoint left behind
    finally: subprocess.run(["umount", str(disk)], capture_output=True)


def test_leftover_temporaries_are_removed(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    (run / ".tmp_123_generator.keras").write_bytes(b"half a network")
    (run / "checkpoints" / ".tmp_epoch_0003_123").mkdir()
    r = aa_gan("train", "--resume", run, "--epochs", "3")
    assert r.returncode == 0, r.stderr[-2000:]
    assert not list(run.glob(".tmp_*")) and not list((run / "checkpoints").glob(".tmp_*"))


def test_symlink_loops_in_an_image_folder(tmp_path):
    images = tmp_path / "images"; (images / "sub").mkdir(parents=True)
    for i in range(4): Image.new("RGB", (12, 12), (60 * i, 0, 0)).save(images / "sub" / f"{i}.png")
    (images / "self_loop").symlink_to(".", target_is_directory=True)
    (images / "sub" / "up_loop").symlink_to("..", target_is_directory=True)
    r = aa_gan("train", "--dataset", images, "--model", "dcgan", "--image-size", 32, "--channels", 3, "--epochs", 1,
               "--steps-per-epoch", 1, "--batch-size", 4, "--latent-dim", 16, "--quiet", "--out", tmp_path / "run", timeout=240)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "4 images" in r.stdout, r.stdout[-2000:]


def test_out_inside_the_dataset_folder(tmp_path):
    images = tmp_path / "images"; images.mkdir()
    for i in range(4): Image.new("RGB", (12, 12)).save(images / f"{i}.png")
    err = one_line_error(aa_gan("train", "--dataset", images, "--model", "dcgan", "--image-size", 32, "--out", images / "run"))
    assert "is inside the dataset folder" in err and not (images / "run").exists()


def test_batch_larger_than_the_dataset(tmp_path):
    t0 = time.time()
    err = one_line_error(aa_gan("train", "--model", "bce", "--batch-size", 100000, "--out", tmp_path / "run"))
    assert "--batch-size 100000 is larger than the dataset (60,000 images)" in err and time.time() - t0 < 120


def test_out_is_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    err = one_line_error(aa_gan("train", *TINY, "--out", tmp_path / "notes.txt"))
    assert "is a file, not a folder" in err and (tmp_path / "notes.txt").read_text() == "mine"


def test_generate_out_is_a_folder(tmp_path):
    (tmp_path / "grid.png").mkdir()
    assert "is a folder" in one_line_error(aa_gan("generate", "-n", 4, "--out", tmp_path / "grid.png"))


def test_generate_out_exists(tmp_path):
    (tmp_path / "grid.png").write_bytes(b"my picture")
    assert "exists: add --overwrite" in one_line_error(aa_gan("generate", "-n", 4, "--out", tmp_path / "grid.png"))
    assert (tmp_path / "grid.png").read_bytes() == b"my picture"
    assert aa_gan("generate", "-n", 4, "--overwrite", "--out", tmp_path / "grid.png").returncode == 0
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"


def test_evaluate_json_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    t0 = time.time()
    err = one_line_error(aa_gan("evaluate", "--generator", "missing.keras", "--json", tmp_path / "file" / "m.json"))
    assert "is a file, not a folder" in err and time.time() - t0 < 60


def test_generate_too_many_images(tmp_path):
    t0 = time.time()
    assert "more images than a grid can show" in one_line_error(aa_gan("generate", "-n", 5000000, "--out", tmp_path / "g.png"))
    assert time.time() - t0 < 60 and not (tmp_path / "g.png").exists()


def test_wrong_kind_of_keras_file(finished, tmp_path):
    err = one_line_error(aa_gan("generate", "--generator", finished / "discriminator.keras", "--out", tmp_path / "g.png"))
    assert "is a discriminator (images to a real/fake score), not a generator" in err
    err = one_line_error(aa_gan("evaluate", "--generator", finished / "discriminator.keras", "-n", 200))
    assert "is a discriminator" in err


def test_dataset_name_beside_a_folder_of_that_name(tmp_path):
    decoy = tmp_path / "fashion_mnist"; decoy.mkdir()
    for i in range(4): Image.new("L", (28, 28)).save(decoy / f"{i}.png")
    r = aa_gan("train", *TINY, "--dataset", "fashion_mnist", "--out", "run1", cwd=tmp_path)
    assert r.returncode == 0 and "fashion_mnist [train] from tensorflow-datasets" in r.stdout, r.stderr[-2000:]
    r = aa_gan("train", *TINY, "--dataset", "./fashion_mnist", "--out", "run2", cwd=tmp_path)
    assert r.returncode == 0 and "4 images" in r.stdout, r.stderr[-2000:]
    assert json.loads((tmp_path / "run2" / "run.json").read_text())["dataset"] == str(decoy.resolve())


def test_resume_from_another_directory(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    elsewhere = tmp_path / "elsewhere"; elsewhere.mkdir()
    assert Path(json.loads((run / "run.json").read_text())["out_dir"]).is_absolute()
    r = aa_gan("train", "--resume", os.path.relpath(run, elsewhere), "--epochs", "3", cwd=elsewhere)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((run / "run.json").read_text())["epochs"] == 3  # run.json follows --epochs
    assert len((run / "history.csv").read_text().splitlines()) == 4


@pytest.mark.parametrize("content, message", [('{"epochs": 2, "colour": "red"}', "unexpected: ['colour']"), ("[]", "unexpected: list")])
def test_damaged_run_json(finished, tmp_path, content, message):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    (run / "run.json").write_text(content)
    err = one_line_error(aa_gan("train", "--resume", run))
    assert "is not a run's settings" in err and message in err


def test_damaged_checkpoint_meta(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    (run / "checkpoints" / "epoch_0002" / "meta.json").write_text("[]")
    r = aa_gan("train", "--resume", run, "--epochs", "3")
    assert r.returncode == 0, r.stderr[-2000:]
    warned = [line for line in r.stderr.splitlines() if "damaged checkpoint" in line]
    assert len(warned) == 1 and "Resuming" in r.stdout and "epoch_0001" in r.stdout, r.stderr[-2000:]


def test_every_case_has_its_test():
    names = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    assert set(CASES) <= names, set(CASES) - names
