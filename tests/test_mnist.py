"The MNIST recipe: registered by name, parameter counts, [-1, 1] data, a few training steps, periodic image saving."
import numpy as np
import pytest

from aa_gan.discriminator import build_discriminator
from aa_gan.generator import build_generator


def test_parameter_counts_and_layers():
    "The counts stated in nbs/05_mnist.ipynb."
    g, d = build_generator("mnist"), build_discriminator("mnist")
    assert g.count_params() == 1_500_688 and d.count_params() == 533_505
    assert g.output_shape == (None, 28, 28, 1)
    kinds = [l.__class__.__name__ for l in g.layers]
    assert kinds[:6] == ["Dense", "LeakyReLU", "BatchNormalization"] * 2
    assert [l.units for l in g.layers if kinds[g.layers.index(l)] == "Dense"] == [256, 512, 1024, 784]
    assert g.layers[-2].activation.__name__ == "tanh"
    assert [l.__class__.__name__ for l in d.layers if l.weights] == ["Dense"] * 3
    assert d.layers[-1].activation.__name__ == "sigmoid"


def test_trains_on_real_digits_and_saves_images(mnist_dir, tmp_path):
    from aa_gan.gan import GAN; from aa_gan.data import output_scale; from aa_gan.training import ModelMonitor
    from aa_gan.data import load_dataset
    data = load_dataset("mnist", split="test", idx_dir=mnist_dir, scale="-1,1", batch_size=8, max_images=32, verbose=False)
    x = next(iter(data)).numpy()
    assert x.min() >= -1 and x.max() <= 1 and x.min() < -0.99
    gan = GAN(build_generator("mnist", latent_dim=16), build_discriminator("mnist"), seed=0)
    gan.compile()
    assert output_scale(gan.generator) == "-1,1"
    before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    sampler = ModelMonitor(tmp_path, n_images=4, ncols=2, every_steps=2)
    h = gan.fit(data, epochs=1, steps_per_epoch=4, callbacks=[sampler], verbose=0)
    assert np.isfinite(h.history["g_loss"][0])
    assert [p.name for p in sampler.paths] == ["step_000002.png", "step_000004.png"]
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(before, gan.generator.trainable_weights))


def test_bad_inputs():
    from aa_gan.training import ModelMonitor
    with pytest.raises(ValueError, match="every_steps must be a positive integer, got 0"): ModelMonitor("x", every_steps=0)
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"): build_generator("mnist", latent_dim=0)
