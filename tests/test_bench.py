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
