"""The pretrained generators ship in the package (unconditional, and class-conditional for --label), match their cards,
beat blurred real images, draw the class asked for, and `aa-gan generate` uses them with no --generator, from a wheel."""
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
AA_GAN = str(Path(sys.executable).with_name("aa-gan"))


def test_generate_with_no_generator_argument(tmp_path):
    "`aa-gan generate -n 16 --out grid.png`, run from an unrelated folder, draws a 4x4 grid with the shipped generator."
    proc = subprocess.run([AA_GAN, "generate", "-n", "16", "--out", "grid.png"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pretrained Fashion-MNIST generator" in proc.stdout
    import keras
    grid = np.asarray(keras.utils.load_img(tmp_path / "grid.png", color_mode="grayscale"))
    assert grid.shape == (2 * (4 * 30 + 2),) * 2  # 4x4 images of 28 px, 2 px padding, upscaled 2x
    assert grid.std() > 10  # images, not a blank page


def card(conditional: bool = False):
    from aa_gan.cli import PRETRAINED_CONDITIONAL, PRETRAINED_GENERATOR
    path = PRETRAINED_CONDITIONAL if conditional else PRETRAINED_GENERATOR
    return path, json.loads(path.with_suffix(".json").read_text())


@pytest.mark.parametrize("conditional", [False, True], ids=["unconditional", "conditional"])
def test_pretrained_card_describes_the_shipped_file(conditional):
    "Each card says how its generator was made, and its SHA-256 is that of the file that ships."
    from aa_gan.gan import load_model
    from aa_gan.data import num_classes
    path, info = card(conditional)
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), "the card describes another generator file"
    assert path.stat().st_size < 8_000_000
    assert info["command"].startswith(f"aa-gan train --model {info['recipe']} --epochs {info['epochs']} --batch-size {info['batch_size']} ")
    assert info["steps"] == info["epochs"] * -(-60_000 // info["batch_size"])  # whole passes over the 60,000 training images
    assert info["train_seconds"] > 0 and info["metrics"]["n_fake"] == 10_000
    assert info["conditional"] == conditional == (num_classes(load_model(path)) == 10)
    assert ("class_agreement" in info["metrics"]) == conditional


def gaussian_blur(images, sigma: float = 1.0):
    "The blur of 10_evaluation's calibration set 'blurred (sigma 1)': a separable Gaussian along the rows, then the columns."
    r = int(3 * sigma); t = np.arange(-r, r + 1); k = np.exp(-t**2 / (2 * sigma**2)); k /= k.sum()
    x = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 1, images)
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 2, x)


N_QUALITY = 2_000  # generated, blurred and reference images: FID with 128 features is stable enough here, and fast


@pytest.mark.parametrize("conditional", [False, True], ids=["unconditional", "conditional"])
def test_the_shipped_generator_beats_blurred_real_images(conditional):
    "FID of the shipped .keras file itself (2,000 vs 2,000 test images) is lower than that of 2,000 other test images, blurred."
    from aa_gan.evaluation import domain_extractor, evaluate_generator, frechet_distance, load_split
    path, _ = card(conditional)
    generated = evaluate_generator(path, n=N_QUALITY, seed=0)
    assert generated["n_real"] == generated["n_fake"] == N_QUALITY and generated["extractor"] == "domain:fashion_mnist"
    reference = load_split("fashion_mnist", "test", n=N_QUALITY, seed=0)  # the real images evaluate_generator compared with
    everything = load_split("fashion_mnist", "test")
    used = {image.tobytes() for image in reference}
    others = everything[[image.tobytes() not in used for image in everything]]
    blurred = gaussian_blur(others[np.random.default_rng(1).choice(len(others), N_QUALITY, replace=False)])
    extract = domain_extractor("fashion_mnist")  # the features evaluate_generator used
    blurred_fid = frechet_distance(extract(reference)[0], extract(blurred)[0])
    print(f"FID at {N_QUALITY:,} vs {N_QUALITY:,}: shipped generator {generated['fid']:.1f}, blurred real images {blurred_fid:.1f}")
    assert generated["fid"] < blurred_fid, (generated["fid"], blurred_fid)
    if conditional:  # it draws what it is asked for: the domain classifier names the requested class (real test images: 0.91)
        assert generated["class_agreement"] > 0.85, generated["class_agreement"]


def test_generate_from_a_fresh_wheel_install(tmp_path):
    """Build the wheel, install it (without dependencies: they are this environment's) into an empty folder, and run
    `aa-gan generate -n 16` and `aa-gan generate --label Sneaker` from there: the weights travel in the wheel."""
    dist, target, work = tmp_path / "dist", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for stem in ("fashion_mnist_generator", "fashion_mnist_conditional_generator"):
        assert f"aa_gan/weights/{stem}.keras" in names and f"aa_gan/weights/{stem}.json" in names
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import aa_gan; print(aa_gan.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(target)), where.stdout  # the installed copy, not the clone
    aa_gan_cli = [sys.executable, "-c", "from aa_gan.cli import main; raise SystemExit(main())"]
    for args, what in ((["-n", "16", "--out", "grid.png"], "pretrained Fashion-MNIST"),
                       (["--label", "Sneaker", "-n", "8", "--out", "sneakers.png"], "pretrained class-conditional")):
        proc = subprocess.run([*aa_gan_cli, "generate", *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and what in proc.stdout, proc.stderr[-2000:]
        assert (work / args[-1]).stat().st_size > 1000


def test_label_sneaker_draws_sneakers():
    "What `aa-gan generate --label Sneaker` draws with no --generator: the domain classifier calls (nearly) every image a sneaker."
    from aa_gan.evaluation import domain_extractor
    from aa_gan.gan import generate, load_model
    images = generate(load_model(card(True)[0]), 200, label="Sneaker", seed=0)
    _, probs = domain_extractor("fashion_mnist")(images, scale="-1,1")
    assert (probs.argmax(1) == 7).mean() > 0.9  # class 7 is Sneaker
