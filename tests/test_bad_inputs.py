"""Issue 29, the last bad inputs: each case runs `aa-gan` as a user would and checks its exit code, its one line and the sha256
of every folder involved (`tree_digest`: every file's hash, every link's target).

"Before TensorFlow loads" is checked, not timed: `NO_TF` puts a `tensorflow` package first on the path that fails when
imported, so a command that reaches TensorFlow ends in that error instead of its own line."""
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_reliability import DCGAN, aa_gan, image_folder, one_line_error, tree_digest  # noqa: E402  the helpers of issue 21


@pytest.fixture
def no_tf(tmp_path):
    "The environment of a command that must finish before TensorFlow loads: importing it fails, naming this test."
    fake = tmp_path / "no_tensorflow" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('TensorFlow was imported: this case must be decided before it loads')\n")
    return {"PYTHONPATH": str(fake.parent), "AA_GAN_CACHE_DIR": str(tmp_path / "cache")}


@pytest.fixture
def cache(tmp_path):
    "A decode cache of the test's own (never the real ~/.cache), as the environment of a command."
    return {"AA_GAN_CACHE_DIR": str(tmp_path / "cache")}


# --- X09: the decode cache is never written into the images ----------------------------------------------------------

@pytest.mark.parametrize("where", ["cache", "", "deep/er"])
def test_cache_inside_the_dataset(tmp_path, no_tf, where):
    images = image_folder(tmp_path / "images")
    before = tree_digest(images)
    err = one_line_error(aa_gan("train", "--dataset", images, *DCGAN, "--out", tmp_path / "run",
                                env={**no_tf, "AA_GAN_CACHE_DIR": str(images / where)}))
    assert "AA_GAN_CACHE_DIR" in err and f"inside the dataset folder {images}" in err and "'off'" in err, err
    assert tree_digest(images) == before and not (tmp_path / "run").exists()


def test_cache_inside_a_dataset_named_without_a_path(tmp_path):
    "`--dataset images` (a bare name, which could be a standard dataset's) is refused too, before anything is written."
    images = image_folder(tmp_path / "images")
    before = tree_digest(images)
    err = one_line_error(aa_gan("train", "--dataset", "images", *DCGAN, "--out", "run", cwd=tmp_path,
                                env={"AA_GAN_CACHE_DIR": "images/cache"}))
    assert "AA_GAN_CACHE_DIR" in err and "inside the dataset folder" in err, err
    assert tree_digest(images) == before and not (tmp_path / "run").exists()


# --- R59: links that loop are skipped, as they were -------------------------------------------------------------------

def test_symlink_loops_train_cleanly(tmp_path, cache):
    images = tmp_path / "data" / "images"
    image_folder(images / "sub", n=4)
    (images / "a").symlink_to("b"); (images / "b").symlink_to("a")  # a -> b -> a
    (images / "me").symlink_to("me")  # a link to itself
    (images / "sub" / "up").symlink_to("..", target_is_directory=True)  # a link to ..
    before = tree_digest(images)
    r = aa_gan("train", "--dataset", images, *DCGAN, "--out", tmp_path / "run", env=cache, timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "4 images" in r.stdout, r.stdout[-2000:]
    assert tree_digest(images) == before and (tmp_path / "run" / "generator.keras").exists()


# --- options checked when they are read, before the folder scan and TensorFlow ----------------------------------------

def test_resume_a_file(tmp_path, no_tf):
    (tmp_path / "afile.txt").write_text("my notes")
    (tmp_path / "run").mkdir(); (tmp_path / "run" / "run.json").write_text("{}")
    before = tree_digest(tmp_path)
    err = one_line_error(aa_gan("train", "--resume", "afile.txt", cwd=tmp_path, env=no_tf))
    assert "--resume afile.txt is a file, not a run's folder" in err and "damaged" not in err, err
    err = one_line_error(aa_gan("train", "--resume", "run/run.json", cwd=tmp_path, env=no_tf))
    assert "is a file, not a run's folder" in err and "--resume run" in err, err  # the fix: the folder of that run.json
    assert tree_digest(tmp_path) == before


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_out_in_proc(tmp_path, no_tf):
    images = image_folder(tmp_path / "images")
    before = tree_digest(images)
    err = one_line_error(aa_gan("train", "--dataset", images, *DCGAN, "--out", "/proc/x", env=no_tf))
    assert err.startswith("aa-gan: error: --out /proc/x") and "/proc" in err and "Errno" not in err, err
    assert "choose" in err, err  # the fix
    err = one_line_error(aa_gan("generate", "-n", 4, "--out", "/proc/x.png", env=no_tf))
    assert err.startswith("aa-gan: error: --out /proc/x.png") and "Errno" not in err and "choose" in err, err
    assert tree_digest(images) == before and not Path("/proc/x").exists()


def test_unknown_augment_policy(tmp_path, no_tf):
    images = image_folder(tmp_path / "images")
    before = tree_digest(images)
    err = one_line_error(aa_gan("train", "--dataset", images, *DCGAN, "--augment", "color,flip", "--out", tmp_path / "run", env=no_tf))
    assert "Unknown augmentation 'flip'" in err and "--augment color,translation" in err, err
    assert tree_digest(images) == before and not (tmp_path / "run").exists()


def test_negative_r1_weight(tmp_path, no_tf):
    images = image_folder(tmp_path / "images")
    before = tree_digest(images)
    err = one_line_error(aa_gan("train", "--dataset", images, *DCGAN, "--r1", "-1", "--out", tmp_path / "run", env=no_tf))
    assert "--r1" in err and "must be a weight, 0 or more" in err, err
    assert tree_digest(images) == before and not (tmp_path / "run").exists()


def test_unknown_generator_name(tmp_path, no_tf):
    err = one_line_error(aa_gan("generate", "--generator", "emojii", "-n", 4, "--out", tmp_path / "g.png", env=no_tf))
    assert "--generator emojii" in err and "no generator of that name ships" in err and "emoji" in err, err
    assert not (tmp_path / "g.png").exists()


# --- a moved dataset on --resume: `--dataset NEWPATH` says where it went ----------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    "A run of one epoch on a folder of 16 images, with its own decode cache: (run, images, cache env)."
    base = tmp_path_factory.mktemp("moved")
    images, cache = image_folder(base.resolve() / "old" / "images"), {"AA_GAN_CACHE_DIR": str(base / "cache")}
    r = aa_gan("train", "--dataset", images, *DCGAN, "--out", base / "run", env=cache)
    assert r.returncode == 0, r.stderr[-2000:]
    return base / "run", images, cache


@pytest.fixture
def moved(trained, tmp_path):
    """(a copy of the run, where its images were, where they are now, the environment with a copy of its decode cache),
    while its images are moved (`mv`: the same names, sizes and times) elsewhere; moved back after the case."""
    run, images, cache = trained
    copy, new, own = tmp_path / "run", (tmp_path / "new" / "pictures").resolve(), tmp_path / "cache"
    shutil.copytree(run, copy); shutil.copytree(cache["AA_GAN_CACHE_DIR"], own); new.parent.mkdir()
    os.rename(images, new)
    try: yield copy, images, new, {"AA_GAN_CACHE_DIR": str(own)}
    finally: os.rename(new, images)


def test_moved_dataset_is_named_before_tensorflow(moved, tmp_path, no_tf):
    run, gone, new, _ = moved
    before_run, before_new = tree_digest(run), tree_digest(new)
    err = one_line_error(aa_gan("train", "--resume", run, "--epochs", 2, env=no_tf))
    assert f"{gone}" in err and f"--resume {run} --dataset NEWPATH" in err, err
    err = one_line_error(aa_gan("train", "--resume", run, "--dataset", tmp_path / "nowhere", env=no_tf))
    assert f"--dataset {tmp_path / 'nowhere'}: no such folder" in err, err
    settings = json.loads((run / "run.json").read_text()); settings["dataset"] = "fashion_mnist"
    (run / "run.json").write_text(json.dumps(settings))
    err = one_line_error(aa_gan("train", "--resume", run, "--dataset", new, env=no_tf))
    assert "trained on fashion_mnist" in err and "leave out --dataset" in err, err
    assert tree_digest(new) == before_new and {k: v for k, v in tree_digest(run).items() if k != "run.json"} == {
        k: v for k, v in before_run.items() if k != "run.json"}


def test_moved_dataset_with_other_images_is_refused(moved, tmp_path):
    run, gone, new, cache = moved
    other = image_folder(tmp_path / "other", n=15)  # not the images it trained on: 014.png missing, extra.png added
    (other / "extra.png").write_bytes((new / "000.png").read_bytes())
    (other / "014.png").unlink()
    before = {p: tree_digest(p) for p in (run, new, other)}
    err = one_line_error(aa_gan("train", "--resume", run, "--dataset", other, "--epochs", 2, env=cache))
    assert f"--dataset {other} does not hold the images" in err and "014.png" in err and "extra.png" in err, err
    assert {p: tree_digest(p) for p in (run, new, other)} == before


def test_moved_dataset_resumes(moved):
    run, gone, new, cache = moved
    before_new = tree_digest(new)
    r = aa_gan("train", "--resume", run, "--dataset", new, "--epochs", 2, env=cache)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert f"{gone} moved to {new}" in r.stdout and "the same 16 files" in r.stdout and "Resuming" in r.stdout, r.stdout
    assert json.loads((run / "run.json").read_text())["dataset"] == str(new)  # recorded, written whole
    assert [row.split(",")[0] for row in (run / "history.csv").read_text().splitlines()[1:]] == ["0", "1"]
    assert tree_digest(new) == before_new
    r = aa_gan("train", "--resume", run, "--epochs", 3, env=cache)  # from now on the run knows where its images are
    assert r.returncode == 0, r.stderr[-2000:]


def test_errors_name_paths_as_the_user_wrote_them(tmp_path):
    "A relative path in a one-line error stays relative: the message names what the user typed, not the machine's folders."
    err = one_line_error(aa_gan("train", "--dataset", "./my_pictures", "--out", "runs/x", cwd=tmp_path))
    assert "No folder at my_pictures" in err and str(tmp_path) not in err, err


@pytest.mark.parametrize("args, says", [
    (["--ada-target", "1.5"], "in (-1, 1) such as 0.6, got 1.5"),
    (["--ada-target", "0.6", "--augment-p", "0.5"], "drop --augment-p"),
    (["--ada-target", "0.6", "--augment", "none"], "give a policy such as color,translation"),
])
def test_ada_target_that_cannot_work(tmp_path, no_tf, args, says):
    images = image_folder(tmp_path / "images")
    before = tree_digest(images)
    err = one_line_error(aa_gan("train", "--dataset", images, *DCGAN, *args, "--out", tmp_path / "run", env=no_tf))
    assert "--ada-target" in err and says in err, err
    assert tree_digest(images) == before and not (tmp_path / "run").exists()
