"""The pretrained generator ships in the package, matches its card, beats blurred real images, and `aa-gan generate` uses it with no --generator."""
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

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


def card():
    from aa_gan.cli import PRETRAINED_GENERATOR
    return PRETRAINED_GENERATOR, json.loads(PRETRAINED_GENERATOR.with_suffix(".json").read_text())


def test_pretrained_card_describes_the_shipped_file():
    "The card says how the generator was made, and its SHA-256 is that of the file that ships."
    path, info = card()
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), "the card describes another generator file"
    assert path.stat().st_size < 8_000_000
    assert info["command"].startswith(f"aa-gan train --model {info['recipe']} --epochs {info['epochs']} ")
    assert info["train_seconds"] > 0 and info["steps"] == info["epochs"] * 469 and info["metrics"]["n_fake"] == 10_000


def gaussian_blur(images, sigma: float = 1.0):
    "The blur of 05_evaluation's calibration set 'blurred (sigma 1)': a separable Gaussian along the rows, then the columns."
    r = int(3 * sigma); t = np.arange(-r, r + 1); k = np.exp(-t**2 / (2 * sigma**2)); k /= k.sum()
    x = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 1, images)
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 2, x)


N_QUALITY = 2_000  # generated, blurred and reference images: FID with 128 features is stable enough here, and fast


def test_the_shipped_generator_beats_blurred_real_images():
    "FID of the shipped .keras file itself (2,000 vs 2,000 test images) is lower than that of 2,000 other test images, blurred."
    from aa_gan.evaluation import domain_extractor, evaluate_generator, frechet_distance, load_split
    path, _ = card()
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


def test_wheel_contains_the_pretrained_generator(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "aa_gan/weights/fashion_mnist_generator.keras" in names and "aa_gan/weights/fashion_mnist_generator.json" in names
