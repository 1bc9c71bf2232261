"The DCGAN pair: parameter counts, shapes, a few training steps, and unsupported shapes refused with a clear message."
import numpy as np
import pytest

from aa_gan.discriminator import build_discriminator
from aa_gan.core import GENERATORS; from aa_gan.generator import build_generator


def test_registered_without_importing_the_module():
    assert "dcgan" in GENERATORS.names()
    assert build_generator("dcgan", latent_dim=16, image_shape=(32, 32, 3)).output_shape == (None, 32, 32, 3)


def test_parameter_counts_64x64x3():
    "The counts stated in nbs/06_dcgan.ipynb."
    g, d = build_generator("dcgan"), build_discriminator("dcgan")
    assert g.output_shape == (None, 64, 64, 3) and d.input_shape == (None, 64, 64, 3)
    assert g.count_params() == 3_838_723
    assert d.count_params() == 11_149_889
    convs = [l for l in d.layers if l.__class__.__name__ == "Conv2D"]
    assert [l.filters for l in convs] == [64, 128, 256, 512]
    assert all(l.kernel_size == (4, 4) and l.strides == (2, 2) for l in convs)
    assert sum(l.__class__.__name__ == "BatchNormalization" for l in d.layers) == 3  # all convolutions but the first
    assert [l.units for l in d.layers if l.__class__.__name__ == "Dense"] == [1024, 1]


@pytest.mark.parametrize("size, channels, counts", [(32, 3, (3_710_467, 4_858_433)), (128, 1, (3_869_057, 36_313_665))])
def test_other_sizes(size, channels, counts):
    g = build_generator("dcgan", image_shape=(size, size, channels))
    d = build_discriminator("dcgan", image_shape=(size, size, channels))
    assert g.output_shape == (None, size, size, channels)
    assert (g.count_params(), d.count_params()) == counts


@pytest.mark.parametrize("build, message", [
    (lambda: build_generator("dcgan", image_shape=(48, 48, 3)), "does not support image size 48: the supported sizes are 32x32, 64x64, 128x128"),
    (lambda: build_discriminator("dcgan", image_shape=(28, 28, 1)), "supported sizes are 32x32, 64x64, 128x128"),
    (lambda: build_discriminator("dcgan", image_shape=(64, 32, 3)), "DCGAN needs square images"),
    (lambda: build_generator("dcgan", image_shape=(64, 64, 4)), "DCGAN takes 1 (grayscale) or 3 (RGB) channels, got 4"),
])
def test_unsupported_shapes_are_clear_errors(build, message):
    with pytest.raises(ValueError) as e: build()
    assert message in str(e.value)


def test_trains_a_few_steps():
    "At 32x32x3 to keep it quick; tests/test_folders.py trains the 64x64x3 pair from the command line."
    import tensorflow as tf
    from aa_gan.gan import GAN
    g, d = build_generator("dcgan", latent_dim=32, image_shape=(32, 32, 3)), build_discriminator("dcgan", image_shape=(32, 32, 3))
    gan = GAN(g, d, seed=0); gan.compile()
    g0, d0 = [w.numpy().copy() for w in g.trainable_weights], [w.numpy().copy() for w in d.trainable_weights]
    data = tf.data.Dataset.from_tensor_slices(np.random.default_rng(0).uniform(-1, 1, (8, 32, 32, 3)).astype("float32")).batch(4)
    h = gan.fit(data, epochs=1, verbose=0)
    assert np.isfinite(h.history["d_loss"][0]) and np.isfinite(h.history["g_loss"][0])
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(g0, g.trainable_weights))
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(d0, d.trainable_weights))
    x = gan.generate(2, seed=0)
    assert x.shape == (2, 32, 32, 3) and x.min() >= -1 and x.max() <= 1
