"Fine-tuning: start from a saved pair, freeze the first layers; frozen weights stay exactly, the others change."
import numpy as np
import pytest
from PIL import Image

import keras
from aa_gan.gan import freeze_layers, load_pretrained, weighted_layers
from aa_gan.runs import train
from test_cli import aa_gan


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    "A FashionGAN pair trained for two steps on Fashion-MNIST."
    out = tmp_path_factory.mktemp("pretrained")
    train(dataset="fashion_mnist", model="fashiongan", epochs=1, steps_per_epoch=2, batch_size=4, seed=0, out_dir=out, n_monitor=4,
          max_images=16, verbose=0)
    return out


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    "A folder of 12 grayscale 'digit' pictures, the new dataset to fine-tune on."
    root = tmp_path_factory.mktemp("digits")
    rng = np.random.default_rng(1)
    for i in range(12):
        x = np.zeros((28, 28), np.uint8); x[4:24, 10 + i % 5: 14 + i % 5] = 255
        Image.fromarray(np.maximum(x, rng.integers(0, 30, x.shape).astype(np.uint8))).save(root / f"{i}.png")
    return root


def weights_by_layer(model):
    return [[w.copy() for w in layer.get_weights()] for layer in weighted_layers(model)]


def test_frozen_layers_keep_their_weights_exactly(pretrained, digits, tmp_path):
    g0, d0 = load_pretrained(pretrained)
    before = {"generator": weights_by_layer(g0), "discriminator": weights_by_layer(d0)}
    run = tmp_path / "finetuned"
    r = aa_gan("train", "--dataset", digits, "--init-from", pretrained, "--freeze", 2, "--epochs", 1, "--steps-per-epoch", 2,
               "--batch-size", 4, "--seed", 1, "--quiet", "--out", run)
    assert r.returncode == 0, r.stderr[-3000:]
    for name in ("generator", "discriminator"):
        after = weights_by_layer(keras.saving.load_model(run / f"{name}.keras"))
        for i, (a, b) in enumerate(zip(before[name], after)):
            same = all(np.array_equal(x, y) for x, y in zip(a, b))
            assert same == (i < 2), f"{name} layer {i}: {'unchanged' if same else 'changed'}"


def test_freeze_layers_and_its_errors():
    from aa_gan.generator import build_generator
    g = build_generator("fashiongan")
    assert len(freeze_layers(g, 3)) == 3 and len(g.trainable_weights) == 6
    with pytest.raises(ValueError, match="it has only 6 layers with weights"): freeze_layers(g, 9)
    with pytest.raises(ValueError, match="0 or more"): freeze_layers(g, -1)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"freeze": 2}, ValueError, "freeze needs init_from (--freeze needs --init-from)"),
    ({"init_from": "/nonexistent/run"}, FileNotFoundError, "No folder at /nonexistent/run to initialise from"),
])
def test_bad_fine_tuning_arguments(kwargs, error, message, tmp_path):
    with pytest.raises(error) as e: train(epochs=1, steps_per_epoch=1, batch_size=2, out_dir=tmp_path, verbose=0, **kwargs)
    assert message in str(e.value)


def test_init_from_a_folder_without_networks(tmp_path, pretrained):
    with pytest.raises(FileNotFoundError, match="No generator at .*generator.keras: check the path"):
        load_pretrained(tmp_path)
    with pytest.raises(ValueError, match="not a file"):
        load_pretrained(pretrained / "generator.keras")
    with pytest.raises(ValueError, match="has image_size=28, not 64"):
        train(init_from=pretrained, image_size=64, epochs=1, out_dir=tmp_path / "x", verbose=0)
