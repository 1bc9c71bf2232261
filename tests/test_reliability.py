"""Reliability: what `aa-gan` promises when a user is careless or unlucky. Each case runs the command line as a user
would; `CASES` is the table that nbs/07a_checkpoints.ipynb prints with the results.

Exit codes: 2 for a user's mistake (one line on stderr), 1 for a run that failed through no fault of the user's,
128 + N for signal N. No case may end in a traceback."""
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
    # issue 21: nothing lost, ever
    "init_from_the_folder_it_overwrites": "exit 2: --overwrite would delete what --init-from needs; the run is untouched",
    "out_is_a_folder_of_user_files": "exit 2 without --overwrite, naming what the folder holds; the user's files are untouched",
    "old_run_files_without_run_json": "exit 2: a folder of an old run's files without run.json is refused, and --resume names run.json; nothing mixed",
    "empty_out_and_empty_dataset": "exit 2 for --out '' and --dataset '': the current folder is never written nor trained on",
    "symlink_in_the_dataset_to_the_run": "exit 2: a link inside the dataset that leads to the run folder counts as --out inside the dataset",
    "n_monitor_is_bounded": "exit 2 at once for --n-monitor beyond what a grid can show, like generate's -n",
    "permission_denied_on_out": "exit 2, one line naming the folder and the fix, for train and generate",
    "read_only_folder": "exit 2 before the work for train, generate --out and evaluate --json on a read-only folder, never 'free some space'",
    "out_under_a_file": "exit 2: --out afile.txt/run cannot be made, afile.txt is a file",
    "data_dir_is_a_file": "exit 2 at once naming --data-dir, before any dataset is prepared",
    "name_over_255_bytes": "exit 2: a file or folder name longer than the file system allows, for train and generate",
    "legal_250_character_png_name": "generate writes a 250-character name: the temporary name never makes a legal name illegal",
    "train_piped_into_head": "`aa-gan train ... | head -1`: the closed pipe does not stop the run; its checkpoints and networks are written",
    "generate_piped_into_head": "`aa-gan generate ... | head -c1`: the grid is saved, no traceback",
    "malformed_tf_config": "exit 2, one line naming TF_CONFIG, before anything starts, for [], no cluster, a cluster of 5, an index of 'x'",
    "advice_after_a_run_stopped_before_its_first_checkpoint": "the command the message suggests works (a full disk at the first checkpoint)",
    "stale_lock_whose_pid_is_reused": "a lock whose process id now belongs to an unrelated live process (a container restart) does not block",
    "busy_message_names_the_lock_file": "the message of a busy folder names its .lock file",
    "init_from_another_recipe_family": "exit 2 naming --init-from and --model; the new folder is not left behind",
    "init_from_a_conditional_run_with_model_fast": "exit 2: the run is conditional, use a conditional recipe",
    "hand_edited_run_json_field": "exit 2 naming run.json and the field that no longer matches the checkpoint",
    "resume_with_fewer_epochs": "exit 2: --epochs 1 on a run of 2 epochs; run.json is not rewritten",
    "resume_with_overwrite": "exit 2: --resume does not take --overwrite; the run is untouched",
    "resume_with_out": "exit 2 naming --out (the flag the user typed), not --out-dir",
    "binary_history_csv": "exit 2 naming history.csv; the run is untouched",
    "negative_seed": "exit 2 naming --seed",
    "float16_on_a_cpu": "no TensorFlow C++ line on stderr: only aa-gan's own lines",
    "grammar_of_one": "'1 image', 'Trained 1 epoch', 'Saved 1 image'",
}

TINY = ["--model", "bce", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "4", "--max-images", "16", "--seed", "0",
        "--quiet"]


def aa_gan_command() -> list:
    exe = shutil.which("aa-gan")
    return [exe] if exe else [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"]


def aa_gan(*args, cwd=None, timeout=300, env=None, prefix=()):
    return subprocess.run([*prefix, *aa_gan_command()] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
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


# ---------------------------------------------------------------------------------------------------------------------
# Issue 21, "Nothing lost, ever": each case runs the command line as a user would and compares the sha256 of every file
# involved before and after. Each training command costs about 10 s of TensorFlow start-up; the slowest are marked.

def tree_digest(folder) -> dict:
    "{relative path: sha256} of every file under `folder` (links recorded as '-> target', never followed); {} if it is missing."
    folder, found = Path(folder), {}
    if not folder.exists(): return found
    for root, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            p = Path(root) / name
            rel = str(p.relative_to(folder))
            if p.is_symlink(): found[rel] = "-> " + os.readlink(p)
            elif p.is_file(): found[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def image_folder(folder: Path, n: int = 16, size: int = 12, mode: str = "RGB") -> Path:
    "A folder of `n` small synthetic PNG images."
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n): Image.new(mode, (size, size), (37 * i % 256, 11 * i % 256, 0) if mode == "RGB" else 9 * i % 256).save(folder / f"{i:03d}.png")
    return folder


DCGAN = ["--model", "dcgan", "--image-size", "32", "--channels", "3", "--latent-dim", "16", "--epochs", "1", "--steps-per-epoch", "1",
         "--batch-size", "4", "--seed", "0", "--quiet"]


@contextlib.contextmanager
def read_only_folder(folder: Path):
    "A folder nobody can write, root included: a read-only bind mount of itself (chmod where we are not root)."
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.txt").write_text("mine")
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try: yield folder
        finally: folder.chmod(0o755)
        return
    for cmd in (["mount", "--bind", str(folder), str(folder)], ["mount", "-o", "remount,ro,bind", str(folder)]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["umount", str(folder)], capture_output=True)
            pytest.skip(f"root here, and no read-only bind mount possible ({r.stderr.strip()}): chmod cannot stop root's writes")
    try: yield folder
    finally: subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture
def unprivileged(tmp_path_factory):
    """(prefix, env, base): run aa-gan without the right to write a root-owned 0555 folder base/locked. As root (where chmod
    stops nothing) the command runs as `nobody` through setpriv, in a world-readable base folder outside pytest's 0700 one."""
    base = Path(tempfile.mkdtemp(prefix="aa_gan_eacces_")); base.chmod(0o755)
    (base / "home").mkdir(); (base / "home").chmod(0o777)
    (base / "locked").mkdir(); (base / "locked" / "mine.txt").write_text("mine"); (base / "locked").chmod(0o555)
    prefix = ()
    if os.geteuid() == 0:
        if not shutil.which("setpriv"): pytest.skip("root here and no setpriv to drop privileges: chmod cannot stop root's writes")
        prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    try: yield prefix, {"HOME": str(base / "home"), "MPLCONFIGDIR": str(base / "home")}, base
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_init_from_the_folder_it_overwrites(finished, tmp_path):
    run = tmp_path / "a"
    shutil.copytree(finished, run)
    before = tree_digest(run)
    err = one_line_error(aa_gan("train", *TINY, "--init-from", run, "--out", run, "--overwrite"))
    assert "--init-from" in err and "--overwrite" in err and str(run) in err, err
    assert tree_digest(run) == before


def test_out_is_a_folder_of_user_files(tmp_path):
    mine = tmp_path / "mine"; mine.mkdir()
    for name in ("generator.keras", "history.csv", "epoch_001.png", "notes.txt"): (mine / name).write_bytes(f"my {name}".encode())
    before = tree_digest(mine)
    err = one_line_error(aa_gan("train", *TINY, "--out", mine))
    assert str(mine) in err and "--overwrite" in err and "generator.keras" in err, err  # names what is in it
    assert tree_digest(mine) == before


def test_old_run_files_without_run_json(finished, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(finished, old)
    (old / "run.json").unlink()  # an old run's files (checkpoints of 2 epochs, history, grids) but no run.json
    before = tree_digest(old)
    err = one_line_error(aa_gan("train", *TINY, "--out", old))
    assert str(old) in err and "--overwrite" in err, err
    assert tree_digest(old) == before
    err = one_line_error(aa_gan("train", "--resume", old))  # and --resume cannot mix a new run with the old checkpoints
    assert "run.json" in err, err
    assert tree_digest(old) == before


def test_empty_out_and_empty_dataset(tmp_path):
    here = tmp_path / "here"
    image_folder(here, n=16)  # the current folder holds images and files a run would overwrite
    (here / "generator.keras").write_bytes(b"my network"); (here / "history.csv").write_text("my,history\n")
    before = tree_digest(here)
    err = one_line_error(aa_gan("train", *TINY, "--out", "", cwd=here))
    assert "--out" in err, err
    assert tree_digest(here) == before
    err = one_line_error(aa_gan("train", *TINY, "--dataset", "", "--out", tmp_path / "run", cwd=here))
    assert "--dataset" in err, err
    assert tree_digest(here) == before and not (tmp_path / "run").exists()


def test_symlink_in_the_dataset_to_the_run(tmp_path):  # slow: two dcgan runs' start-up
    images, run = image_folder(tmp_path / "images"), tmp_path / "run"
    r = aa_gan("train", "--dataset", images, *DCGAN, "--out", run)
    assert r.returncode == 0 and "16 images" in r.stdout, r.stderr[-2000:]
    (images / "my_runs").symlink_to(run, target_is_directory=True)  # a link out of the dataset, into the run
    before_run, before_images = tree_digest(run), tree_digest(images)
    err = one_line_error(aa_gan("train", "--resume", run, "--epochs", "2"))
    assert "inside the dataset" in err and "my_runs" in err, err
    assert tree_digest(run) == before_run and tree_digest(images) == before_images


def test_n_monitor_is_bounded(tmp_path):
    t0 = time.time()
    err = one_line_error(aa_gan("train", *TINY, "--n-monitor", 10_001, "--out", tmp_path / "run"))
    assert "--n-monitor" in err and "10,000" in err, err
    assert time.time() - t0 < 60 and not (tmp_path / "run").exists()


def test_permission_denied_on_out(unprivileged):
    prefix, env, base = unprivileged
    image_folder(base / "images")
    before = tree_digest(base / "locked")
    err = one_line_error(aa_gan("train", "--dataset", base / "images", *DCGAN, "--out", base / "locked" / "run",
                                prefix=prefix, env=env, cwd=base))
    assert "--out locked/run" in err and "ermission" in err and str(base) not in err, err  # named relative to the working folder
    err = one_line_error(aa_gan("generate", "-n", 4, "--out", base / "locked" / "g.png", prefix=prefix, env=env, cwd=base))
    assert "locked" in err and "ermission" in err and "--out" in err and str(base) not in err, err
    assert tree_digest(base / "locked") == before


def test_read_only_folder(finished, tmp_path):  # slow: an evaluation that must be refused before it starts
    with read_only_folder(tmp_path / "ro") as ro:
        before = tree_digest(ro)
        err = one_line_error(aa_gan("train", *TINY, "--out", ro / "run"))
        assert str(ro) in err and "read-only" in err.lower() and "space" not in err, err  # not reported as a full disk
        err = one_line_error(aa_gan("generate", "-n", 4, "--out", ro / "g.png"))
        assert str(ro) in err and "read-only" in err.lower(), err
        r = aa_gan("evaluate", "--generator", finished / "generator.keras", "-n", 200, "--json", ro / "m.json")
        err = one_line_error(r)
        assert "--json" in err and str(ro) in err and "read-only" in err.lower(), err
        assert "FID" not in r.stdout, r.stdout  # refused before the work: no metrics computed and then lost
        assert tree_digest(ro) == before


def test_out_under_a_file(tmp_path):
    (tmp_path / "afile.txt").write_text("mine")
    err = one_line_error(aa_gan("train", *TINY, "--out", tmp_path / "afile.txt" / "run"))
    assert str(tmp_path / "afile.txt") in err and "not a folder" in err, err
    assert (tmp_path / "afile.txt").read_text() == "mine"


def test_data_dir_is_a_file(tmp_path):
    (tmp_path / "afile").write_text("mine")
    t0 = time.time()
    r = aa_gan("train", *TINY, "--data-dir", tmp_path / "afile", "--out", tmp_path / "run")
    err = one_line_error(r)
    assert "--data-dir" in err and str(tmp_path / "afile") in err and "not a folder" in err, err
    assert "Preparing" not in r.stdout and time.time() - t0 < 60 and (tmp_path / "afile").read_text() == "mine"
    assert not (tmp_path / "run").exists()


def test_name_over_255_bytes(tmp_path):
    long = "a" * 300
    err = one_line_error(aa_gan("train", *TINY, "--out", tmp_path / long))
    assert "--out" in err and "too long" in err, err
    err = one_line_error(aa_gan("generate", "-n", 4, "--out", tmp_path / (long + ".png")))
    assert "--out" in err and "too long" in err, err
    assert tree_digest(tmp_path) == {}


def test_legal_250_character_png_name(tmp_path):
    name = "b" * 246 + ".png"  # 250 bytes: legal on every common file system (255 at most)
    r = aa_gan("generate", "-n", 4, "--out", tmp_path / name)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG" and sorted(os.listdir(tmp_path)) == [name]  # no temporary left


def piped(args, into: str, timeout=300, cwd=None):
    "Run `aa-gan ARGS | INTO` in bash as a user would; returns (aa-gan's exit code, what INTO printed, aa-gan's stderr)."
    r = subprocess.run(["bash", "-c", f'"$@" | {into}; exit "${{PIPESTATUS[0]}}"', "_", *aa_gan_command(), *map(str, args)],
                       capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


def test_train_piped_into_head(tmp_path):
    run = tmp_path / "run"
    code, out, err = piped(["train", *TINY[:3], "2", *TINY[4:-1], "--out", run], "head -1")  # a progress bar: many lines
    assert "Traceback" not in err and "Exception" not in err, err[-2000:]
    assert code in (0, 141), (code, err[-2000:])  # finished, or stopped by the pipe only after saving
    assert (run / "checkpoints" / "epoch_0002").is_dir() and (run / "generator.keras").exists(), tree_digest(run).keys()
    assert not (run / ".lock").exists()


def test_generate_piped_into_head(tmp_path):
    code, out, err = piped(["generate", "-n", 4, "--out", tmp_path / "g.png"], "head -c1")
    assert code in (0, 141) and "Traceback" not in err and "Exception" not in err, (code, err[-2000:])
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("spec", ["[]", '{"task": "worker"}', '{"cluster": 5}',
                                  '{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": "x"}}'])
def test_malformed_tf_config(tmp_path, spec):
    t0 = time.time()
    r = aa_gan("train", *TINY, "--strategy", "multiworker", "--out", tmp_path / "run", env={"TF_CONFIG": spec}, timeout=120)
    err = one_line_error(r)
    assert "TF_CONFIG" in err, err
    assert not (tmp_path / "run").exists() and "fashion_mnist" not in r.stdout and time.time() - t0 < 60


def test_advice_after_a_run_stopped_before_its_first_checkpoint(tmp_path):  # slow: three runs
    "A full disk at the first checkpoint; once space is freed, the command that the message suggests must work."
    disk = tmp_path / "disk"; disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0: pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        err = one_line_error(aa_gan("train", *TINY, "--out", disk / "run"), code=1)
        import re, shlex
        suggested = re.findall(r"`(aa-gan [^`]+)`", err)
        assert suggested, err
        grown = subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], capture_output=True, text=True)
        assert grown.returncode == 0, grown.stderr  # the user frees some space
        args = shlex.split(suggested[0])[1:]
        r = aa_gan(*args)
        assert r.returncode == 0, (suggested[0], r.stderr[-2000:])  # the advice works; no circle
        assert (disk / "run" / "checkpoints" / "epoch_0001").is_dir()
    finally: subprocess.run(["umount", str(disk)], capture_output=True)


def test_stale_lock_whose_pid_is_reused(tmp_path):
    "A run in another PID namespace (a container before its restart) took the lock as process 1 and died; here 1 is init."
    run = tmp_path / "run"; run.mkdir()
    take = f"import os; from aa_gan.core import RunLock; RunLock({str(run)!r}).__enter__(); os._exit(0)"  # dies holding it
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", take], capture_output=True, text=True)
    if r.returncode != 0: pytest.skip(f"no PID namespace here: {r.stderr.strip()[-300:]}")
    assert (run / ".lock").exists()  # it names process 1, which here is alive and unrelated (this container's init)
    r = aa_gan("train", *TINY, "--out", run)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (run / ".lock").exists()


def test_busy_message_names_the_lock_file(tmp_path):
    run = tmp_path / "run"
    hold = f"import time; from aa_gan.core import RunLock; RunLock({str(run)!r}).__enter__(); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        err = one_line_error(aa_gan("train", *TINY, "--out", run))
        assert str(run / ".lock") in err and str(holder.pid) in err, err
    finally: holder.kill(); holder.wait()


def test_init_from_another_recipe_family(finished, tmp_path):
    before = tree_digest(finished)
    err = one_line_error(aa_gan("train", "--model", "fashiongan", *TINY[2:], "--init-from", finished, "--out", tmp_path / "run"))
    assert "--init-from" in err and "--model" in err and "not enough values" not in err, err
    assert not (tmp_path / "run").exists() and tree_digest(finished) == before  # the new folder is not left blocked


def test_init_from_a_conditional_run_with_model_fast(tmp_path):  # slow: a conditional run first
    cond = tmp_path / "cond"
    r = aa_gan("train", "--model", "fast-cond", *TINY[2:], "--out", cond)
    assert r.returncode == 0, r.stderr[-2000:]
    before = tree_digest(cond)
    err = one_line_error(aa_gan("train", "--model", "fast", *TINY[2:], "--init-from", cond, "--out", tmp_path / "run"))
    assert "conditional" in err and "--model fast-cond" in err, err
    assert not (tmp_path / "run").exists() and tree_digest(cond) == before


def test_hand_edited_run_json_field(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    settings = json.loads((run / "run.json").read_text()); settings["latent_dim"] = 64
    (run / "run.json").write_text(json.dumps(settings, indent=1))
    before = tree_digest(run)
    err = one_line_error(aa_gan("train", "--resume", run, "--epochs", 3))
    assert "run.json" in err and "latent_dim" in err, err
    assert tree_digest(run) == before


def test_resume_with_fewer_epochs(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    before = tree_digest(run)
    err = one_line_error(aa_gan("train", "--resume", run, "--epochs", 1))
    assert "--epochs" in err and "2" in err, err
    assert tree_digest(run) == before


def test_resume_with_overwrite(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    before = tree_digest(run)
    err = one_line_error(aa_gan("train", "--resume", run, "--overwrite"))
    assert "--overwrite" in err, err
    assert tree_digest(run) == before


def test_resume_with_out(finished, tmp_path):
    err = one_line_error(aa_gan("train", "--resume", finished, "--out", tmp_path / "other"))
    assert "--out" in err and "--out-dir" not in err, err
    assert not (tmp_path / "other").exists()


def test_binary_history_csv(finished, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    (run / "history.csv").write_bytes(bytes(range(256)) * 4)
    before = tree_digest(run)
    err = one_line_error(aa_gan("train", "--resume", run, "--epochs", 3))
    assert str(run / "history.csv") in err, err
    assert tree_digest(run) == before


def test_negative_seed(tmp_path):
    err = one_line_error(aa_gan("train", *TINY[:-3], "--seed", "-1", "--quiet", "--out", tmp_path / "run"))
    assert "--seed" in err, err
    assert not (tmp_path / "run").exists()


def test_float16_on_a_cpu(tmp_path):  # the slowest case (~150 s): float16 fashiongan on a CPU without AVX-512 FP16
    "The default architecture (fashiongan) in float16 on a CPU: TensorFlow's C++ log lines (oneDNN, grappler) must not leak."
    r = aa_gan("train", "--model", "fashiongan", *TINY[2:], "--precision", "float16", "--out", tmp_path / "run")
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    foreign = [line for line in r.stderr.splitlines() if line.strip() and not line.startswith("aa-gan")]
    assert not foreign, foreign  # e.g. TensorFlow's C++ logging
    assert r.returncode in (0, 2), r.stderr[-2000:]


def test_grammar_of_one(tmp_path):
    images = image_folder(tmp_path / "one", n=1)
    r = aa_gan("train", "--dataset", images, *DCGAN[:-5], "--batch-size", 1, "--seed", 0, "--quiet", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "1 image " in r.stdout or "1 image," in r.stdout or "1 image;" in r.stdout or "1 image (" in r.stdout, r.stdout
    assert "1 images" not in r.stdout and "Trained 1 epoch:" in r.stdout, r.stdout
    r = aa_gan("generate", "-n", 1, "--out", tmp_path / "g.png")
    assert r.returncode == 0 and "Saved 1 image to" in r.stdout, (r.stdout, r.stderr[-2000:])


def test_every_case_has_its_test():
    names = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    assert set(CASES) <= names, set(CASES) - names
