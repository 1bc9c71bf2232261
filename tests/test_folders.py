"Folders of the user's own images: loading, skipping broken files with one warning, clear errors, and the command line."
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aa_gan.folders import load_image_folder


def aa_gan(*args, env=None, timeout=600):
    "Run the `aa-gan` command line as a user would, optionally with more environment variables."
    cmd = [shutil.which("aa-gan")] if shutil.which("aa-gan") else [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def make_folder(root: Path) -> Path:
    "PNG and JPEG images of mixed sizes and modes (RGB, RGBA, palette, grayscale), one corrupt PNG, one text file."
    (root / "cats").mkdir(parents=True); (root / "dogs" / "deeper").mkdir(parents=True)
    rng = np.random.default_rng(0)
    def picture(size):
        im = Image.new("RGB", size, tuple(int(v) for v in rng.integers(0, 255, 3)))
        ImageDraw.Draw(im).ellipse((size[0] * .2, size[1] * .2, size[0] * .8, size[1] * .7), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
        return im
    picture((80, 60)).save(root / "cats" / "a.png")
    picture((50, 70)).convert("RGBA").save(root / "cats" / "b_rgba.png")
    picture((64, 64)).convert("P", palette=Image.Palette.ADAPTIVE).save(root / "cats" / "c_palette.png")
    picture((100, 40)).convert("L").save(root / "dogs" / "d_gray.jpg")
    picture((30, 30)).save(root / "dogs" / "deeper" / "e.jpeg", quality=85)
    picture((90, 90)).save(root / "dogs" / "f.JPG")
    good = (root / "cats" / "a.png").read_bytes()
    (root / "dogs" / "corrupt.png").write_bytes(good[:len(good) // 3])
    (root / "dogs" / "readme.txt").write_text("these are my pets")
    return root


def fingerprint(root: Path) -> dict:
    "Every path under `root` (folders too) with the SHA-256 of its bytes and its modification time."
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir", p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def folder(tmp_path):
    return make_folder(tmp_path / "pets")


def test_loads_converts_resizes_and_warns_once(folder, capsys):
    before = fingerprint(folder)
    ds = load_image_folder(folder, image_size=(16, 24), channels=3, scale="-1,1", batch_size=16, with_labels=True,
                           shuffle=False, verbose=False)
    x, y = next(iter(ds))
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("Warning: Skipped"), said  # one line for a person, not a Python warning
    msg = said[0]
    assert "Skipped 1 of 8 files" in msg and "corrupt.png" in msg and "readme.txt" not in msg  # a note beside the images is expected
    assert x.shape == (6, 16, 24, 3) and x.dtype.name == "float32"
    assert -1.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0
    assert ds.class_names == ["cats", "dogs"] and y.numpy().tolist() == [0, 0, 0, 1, 1, 1]
    gray = next(iter(load_image_folder(folder, image_size=8, channels=1, batch_size=16, shuffle=False, verbose=False)))
    assert gray.shape == (6, 8, 8, 1)
    assert fingerprint(folder) == before


def test_transparent_pixels_become_white(tmp_path):
    (tmp_path / "f").mkdir()
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(tmp_path / "f" / "clear.png")
    x = next(iter(load_image_folder(tmp_path / "f", image_size=4, batch_size=1, verbose=False)))
    assert float(np.min(x)) == 1.0


@pytest.mark.parametrize("setup, kwargs, error, message", [
    (lambda p: None, {}, FileNotFoundError, "No folder at"),
    (lambda p: p.mkdir(), {}, ValueError, "holds no files. Put PNG, JPEG, BMP or GIF images in it"),
    (lambda p: (p.mkdir(), (p / "x.txt").write_text("hi"), (p / "y.jpg").write_bytes(b"")), {}, ValueError,
     "None of the 2 files in"),
    (lambda p: p.write_text("a file"), {}, ValueError, "is a file, not a folder"),
    (lambda p: p.mkdir(), {"channels": 2}, ValueError, "channels must be 1 (grayscale) or 3 (RGB), got 2"),
    (lambda p: p.mkdir(), {"image_size": (0, 5)}, ValueError, "image_size must be (height, width)"),
    (lambda p: p.mkdir(), {"fit": "zoom"}, ValueError, "Unknown fit 'zoom'. Choose one of: crop, pad, stretch"),
])
def test_bad_folders_and_arguments(tmp_path, setup, kwargs, error, message):
    target = tmp_path / "target"
    setup(target)
    with pytest.raises(error) as e: load_image_folder(target, **kwargs)
    assert message in str(e.value)


def test_unreadable_folder_names_the_files(tmp_path):
    (tmp_path / "bad").mkdir(); (tmp_path / "bad" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"None of the 1 files in .* is a readable image: notes.txt \(not an image\)"):
        load_image_folder(tmp_path / "bad")


def test_cli_trains_on_the_folder_at_64x64x3(folder, tmp_path):
    "The acceptance check: mixed folder, 64x64x3 DCGAN, a few steps; the warning counts 2 skipped files; folder unchanged."
    before = fingerprint(folder)
    run = tmp_path / "run"
    r = aa_gan("train", "--dataset", folder, "--model", "dcgan", "--image-size", 64, "--channels", 3, "--epochs", 1,
               "--steps-per-epoch", 2, "--batch-size", 4, "--latent-dim", 32, "--seed", 0, "--quiet", "--out", run,
               env={"PYTHONWARNINGS": "ignore"})  # a user warning is not a Python warning: filters do not hide it
    assert r.returncode == 0, r.stderr[-3000:]
    warned = [line for line in r.stderr.splitlines() if "Skipped" in line]
    assert len(warned) == 1 and warned[0].startswith("aa-gan: warning: Skipped 1 of 8 files"), r.stderr[-3000:]
    assert ".py:" not in r.stderr and "UserWarning" not in r.stderr, r.stderr[-3000:]  # no file, line or source
    assert "6 images" in r.stdout and "64x64x3" in r.stdout
    grid = Image.open(run / "epoch_001.png")
    assert grid.mode == "RGB"
    assert {"generator.keras", "discriminator.keras", "history.csv"} <= {p.name for p in run.iterdir()}
    assert fingerprint(folder) == before


def test_cli_trains_dcgan_in_bfloat16(folder, tmp_path):
    "DCGAN's generator hands bfloat16 images to DiffAugment under mixed precision: the run trains, not a TypeError."
    r = aa_gan("train", "--dataset", folder, "--model", "dcgan", "--image-size", 32, "--epochs", 1, "--steps-per-epoch", 2,
               "--batch-size", 4, "--latent-dim", 16, "--precision", "bfloat16", "--quiet", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "run" / "generator.keras").exists()


def test_cli_huge_images_are_said_once_not_warned_by_pillow(tmp_path):
    "A drawing over Pillow's 89-megapixel guard (openclipart-png has dozens): decoded, said in one line; one over 179: skipped, said why."
    folder = tmp_path / "art"; folder.mkdir()
    for i in range(3): Image.new("RGB", (40, 40), (60 * i, 90, 200)).save(folder / f"small{i}.png")
    Image.new("L", (9_500, 9_500), 128).save(folder / "huge.png")  # 90.25 million pixels, a small file
    Image.new("L", (13_500, 13_500), 128).save(folder / "giant.png")  # 182 million: over Pillow's hard limit, skipped
    r = aa_gan("train", "--dataset", folder, "--model", "fast", "--image-size", 32, "--epochs", 1, "--steps-per-epoch", 1,
               "--batch-size", 2, "--quiet", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "DecompressionBomb" not in r.stderr and ".py:" not in r.stderr, r.stderr[-3000:]
    said = [line for line in r.stderr.splitlines() if "decoded anyway" in line]
    assert said == [f"aa-gan: warning: 1 of the images in {folder} is over 89 megapixels (Pillow's guard against decompression "
                    "bombs), e.g. huge.png: they are decoded anyway, slowly; shrink them once to make a first run faster."], r.stderr
    assert "4 images" in r.stdout
    assert "giant.png (182 megapixels, over Pillow's limit of 179: shrink it)" in r.stderr, r.stderr


def test_cli_folder_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    for args, message in ((["--dataset", tmp_path / "empty"], "holds no files"),):
        r = aa_gan("train", *args, "--out", tmp_path / "run")
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], r.stderr


def test_a_folder_without_epochs_trains_for_steps_not_passes(folder, capsys):
    "No --epochs on a folder: about FOLDER_STEPS steps, at most FOLDER_EPOCHS grids, said in the run's first line; given epochs win."
    from aa_gan.config import TrainConfig
    from aa_gan.folders import open_folder
    from aa_gan.runs import _chosen, FOLDER_STEPS, FOLDER_EPOCHS, EPOCHS
    found = open_folder(str(folder))
    config = _chosen(TrainConfig(dataset=str(folder)), found)  # 6 images: one step an epoch would mean 10,000 grids
    said = capsys.readouterr().out
    assert config.epochs == FOLDER_EPOCHS and config.steps_per_epoch == FOLDER_STEPS // FOLDER_EPOCHS, config
    assert f"--epochs {FOLDER_EPOCHS} --steps-per-epoch {FOLDER_STEPS // FOLDER_EPOCHS}" in said and "Ctrl-C" in said, said
    assert _chosen(TrainConfig(dataset=str(folder), epochs=3), found).epochs == 3
    assert _chosen(TrainConfig(dataset=str(folder), steps_per_epoch=2000), found).epochs == EPOCHS  # never fewer than the usual 20
    assert _chosen(TrainConfig(), None).epochs == EPOCHS  # a standard dataset: the original recipe's 20


def test_a_folder_augments_each_image_with_probability_one_half(folder, capsys):
    "A folder's chosen augmentation applies each transform with FOLDER_AUGMENT_P, said; a given --augment-p, none, or ADA win."
    from aa_gan.config import TrainConfig
    from aa_gan.folders import open_folder
    from aa_gan.runs import _chosen, FOLDER_AUGMENT_P
    found = open_folder(str(folder))
    config = _chosen(TrainConfig(dataset=str(folder)), found)
    assert (config.augment, config.augment_p) == ("color,translation", FOLDER_AUGMENT_P), config
    assert f"--augment-p {FOLDER_AUGMENT_P:g} (each transform on half the images" in capsys.readouterr().out
    assert _chosen(TrainConfig(dataset=str(folder), augment_p=1.0), found).augment_p == 1.0
    assert _chosen(TrainConfig(dataset=str(folder), augment="none"), found).augment_p is None  # nothing to apply
    assert _chosen(TrainConfig(dataset=str(folder), ada_target=0.6), found).augment_p is None  # ADA sets p itself
    assert _chosen(TrainConfig(), None).augment_p is None  # a standard dataset: not augmented unless asked
