"scripts/bench.py: the FLOPs counter on models with known counts, its command line, and one tiny end-to-end run."
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args, timeout=170):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_flops_dense(bench):
    import keras
    from keras import layers
    assert bench.count_flops(keras.Sequential([keras.Input((4,)), layers.Dense(3)])) == 2 * 4 * 3  # 24
    # Applied at each of 5 positions; activations count 0
    assert bench.count_flops(keras.Sequential([keras.Input((5, 4)), layers.Dense(3, activation="relu"), layers.ReLU()])) == 5 * 24


def test_flops_convolutions(bench):
    import keras
    from keras import layers
    # 'valid' 3x3, 2 -> 4 channels on 8x8: 6x6 outputs x 3*3*2*4 multiply-adds
    assert bench.count_flops(keras.Sequential([keras.Input((8, 8, 2)), layers.Conv2D(4, 3)])) == 2 * 6 * 6 * 3 * 3 * 2 * 4
    # stride 2, 'same': 4x4 outputs
    assert bench.count_flops(keras.Sequential([keras.Input((8, 8, 2)), layers.Conv2D(4, 3, strides=2, padding="same")])) \
        == 2 * 4 * 4 * 3 * 3 * 2 * 4
    # transposed: counted on the 5x5 INPUT positions, 3x3 kernel, 3 -> 2 channels
    assert bench.count_flops(keras.Sequential([keras.Input((5, 5, 3)), layers.Conv2DTranspose(2, 3, strides=2, padding="same")])) \
        == 2 * 5 * 5 * 3 * 3 * 3 * 2
    # a nested model and a wrapped layer (spectral normalisation) are counted too
    x = keras.Input((8, 8, 2))
    inner = keras.Sequential([keras.Input((6, 6, 4)), layers.Dense(1)])
    model = keras.Model(x, inner(layers.SpectralNormalization(layers.Conv2D(4, 3))(x)))
    assert bench.count_flops(model) == 2 * 6 * 6 * 3 * 3 * 2 * 4 + 2 * 6 * 6 * 4


def test_flops_of_the_original_recipe(bench):
    from aa_gan.generator import build_generator
    from aa_gan.discriminator import build_discriminator
    f_g = (2 * 128 * 7 * 7 * 128  # Dense to 7x7x128
           + 2 * 14 * 14 * 5 * 5 * 128 * 128 + 2 * 28 * 28 * 5 * 5 * 128 * 128  # 5x5 convs at 14x14 and 28x28
           + 2 * (2 * 28 * 28 * 4 * 4 * 128 * 128) + 2 * 28 * 28 * 4 * 4 * 128 * 1)  # two 4x4 convs, then to 1 channel
    f_d = (2 * 24 * 24 * 25 * 1 * 32 + 2 * 20 * 20 * 25 * 32 * 64 + 2 * 16 * 16 * 25 * 64 * 128
           + 2 * 12 * 12 * 25 * 128 * 256 + 2 * 12 * 12 * 256 * 1)  # four 5x5 'valid' convs, then Dense to 1
    flops = bench.step_flops(build_generator("fashiongan"), build_discriminator("fashiongan"))
    assert (flops["f_g"], flops["f_d"]) == (f_g, f_d) == (1_629_716_480, 382_742_528)
    assert flops["per_image"] == 4 * f_g + 8 * f_d and flops["formula"] == "4 F_G + 8 F_D"


@pytest.mark.parametrize("args, words", [
    (["--precision", "float8"], ["--precision", "float8", "float32", "bfloat16", "float16"]),
    (["--batch", "0"], ["--batch"]),
    (["--xla", "--no-xla"], ["--no-xla", "--xla"]),
    (["--data", "imagenet"], ["synthetic", "real"]),
])
def test_bad_flags_are_one_line_and_exit_2(args, words):
    r = _run(*args, timeout=60)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert all(w in lines[0] for w in words), lines[0]


def test_tiny_run_prints_both_speeds_the_ratio_and_flops(tmp_path):
    out = tmp_path / "bench.json"
    r = _run("--batch", "8", "--steps", "1", "--warmup", "1", "--precision", "float32", "--no-xla",
             "--data", "synthetic", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [l for l in r.stdout.splitlines() if l.startswith("| reference") or l.startswith("| fashiongan")]
    assert len(rows) == 2, r.stdout
    speeds, ratios = [], []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        speeds.append(float(cells[5]))
        ratios.append(float(cells[6].rstrip("x")))
        assert float(cells[7]) > 0 and float(cells[8]) > 0  # peak RSS (MiB), GFLOP/s
    assert all(s > 0 for s in speeds) and ratios[0] == 1.0 and ratios[1] > 0
    assert re.search(r"ratio \d+\.\d+x", r.stdout)
    assert re.search(r"FLOPs per image per training step \(fashiongan\): 4 F_G \+ 8 F_D = 9\.58 GFLOP", r.stdout)
    assert "GFLOP/s" in r.stdout and "peak" in r.stdout
    saved = json.loads(out.read_text())
    assert [row["kind"] for row in saved["rows"]] == ["reference", "package"]
    assert saved["rows"][1]["vs_reference"] > 0 and saved["rows"][0]["per_image"] == 4 * 1_629_716_480 + 8 * 382_742_528


def test_ada_peer_builds_trains_and_adapts_p():
    "time_to_quality's peer 'ada' (keras-io's GAN-ADA): the published networks, a few finite steps, p's controller."
    import dataclasses
    import numpy as np
    import tensorflow as tf
    sys.path.insert(0, str(ROOT / "scripts"))
    import time_to_quality
    import ttq_models as tm
    assert "ada" in time_to_quality.PEERS and time_to_quality.is_peer("ada:batch=8")
    published = tm.RECIPES["ada"]
    assert (published.arch, published.loss, published.batch, published.latent_dim, published.lr_g, published.lr_d,
            published.beta1, published.ema, published.ema_warmup, published.d_dropout, published.xla) == \
        ("ada", "ada", 128, 64, 2e-4, 2e-4, 0.5, 0.99, False, 0.4, False)
    r = dataclasses.replace(published, batch=8)
    images = np.random.default_rng(0).integers(0, 256, (16, 64, 64, 3), dtype=np.uint8)
    trainer = tm.Trainer(r, images, np.zeros(16, np.int64), seed=0)
    # parameters by hand: BatchNormalization(scale=False) holds beta, moving mean and moving variance (3 per channel)
    g = (64 * 4 * 4 * 128 + 3 * 4 * 4 * 128  # Dense (no bias) to 4x4x128, BN
         + 3 * (4 * 4 * 128 * 128 + 3 * 128)  # three Conv2DTranspose 128 (no bias) + BN
         + 4 * 4 * 128 * 3 + 3)  # Conv2DTranspose to 3 channels (with bias)
    d = (4 * 4 * 3 * 128 + 3 * 128  # Conv2D 3 -> 128 (no bias), BN
         + 3 * (4 * 4 * 128 * 128 + 3 * 128)  # three Conv2D 128 -> 128 (no bias) + BN
         + 4 * 4 * 128 + 1)  # Dense 1 on the flattened 4x4x128
    assert (trainer.G.count_params(), trainer.D.count_params()) == (g, d) == (930_947, 796_161)  # the example's summaries
    assert trainer.sampler is trainer.G_ema and float(trainer.ada_p) == 0.0
    for _ in range(3):
        d_loss, g_loss = trainer.step()
        assert np.isfinite(float(d_loss)) and np.isfinite(float(g_loss))
    assert 0.0 <= float(trainer.ada_p) <= 3 * 0.15 / 1000 + 1e-7
    z = tf.random.normal((5, 64))
    for model in (trainer.sampler, trainer.G):
        x = np.asarray(model(z, training=False))
        assert x.shape == (5, 64, 64, 3) and x.min() >= 0.0 and x.max() <= 1.0
    # p's integral controller: accuracy on real = mean(0.5 (1 + sign(logit))), target 0.85, 1000 integration steps
    trainer.ada_p.assign(0.0)
    trainer._update_ada_p(tf.fill((8, 1), 3.0))  # all real images judged real: accuracy 1 -> p up by 0.15/1000
    assert float(trainer.ada_p) == pytest.approx(0.15 / 1000, abs=1e-7)
    trainer._update_ada_p(tf.fill((8, 1), -3.0))  # accuracy 0 -> down by 0.85/1000, clipped at 0
    assert float(trainer.ada_p) == 0.0
    trainer.ada_p.assign(0.5)
    trainer._update_ada_p(tf.constant([[1.0]] * 4 + [[-1.0]] * 4))  # accuracy 0.5 -> down by 0.35/1000
    assert float(trainer.ada_p) == pytest.approx(0.5 - 0.35 / 1000, abs=1e-6)
    # with p = 1 every fake is augmented, and the generator's gradients still flow through the augmentation
    trainer.ada_p.assign(1.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(trainer.D(trainer._ada_augment(trainer.G(z, training=True)), training=True))
    grads = tape.gradient(loss, trainer.G.trainable_variables)
    assert all(v is not None for v in grads) and float(tf.linalg.global_norm(grads)) > 0


def test_tutorial_and_kerasio_peers_build_and_train():
    "The other two peers: the TF DCGAN tutorial's networks (its model summaries' counts) and keras-io's face DCGAN train."
    import dataclasses
    import numpy as np
    sys.path.insert(0, str(ROOT / "scripts"))
    import ttq_models as tm
    rng = np.random.default_rng(0)
    tutorial = tm.Trainer(dataclasses.replace(tm.RECIPES["peer"], batch=8), rng.integers(0, 256, (16, 28, 28, 1), dtype=np.uint8),
                          np.zeros(16, np.int64), seed=0)
    assert (tutorial.G.count_params(), tutorial.D.count_params()) == (2_330_944, 212_865)  # as the tutorial prints them
    faces = tm.Trainer(tm.parse_contender("kerasio:batch=4,size=32,channels=3"), rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8),
                       np.zeros(8, np.int64), seed=0)
    assert faces.G.output_shape == (None, 32, 32, 3) and faces.sampler is faces.G  # no EMA in the example
    for trainer in (tutorial, faces):
        for _ in range(2):
            assert all(np.isfinite(float(v)) for v in trainer.step())
    with pytest.raises(ValueError, match="Unknown peer architecture 'dcgan'"):
        tm.Trainer(tm.parse_contender("peer:arch=dcgan"), rng.integers(0, 256, (4, 28, 28, 1), dtype=np.uint8), np.zeros(4), seed=0)
