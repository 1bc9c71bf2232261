import numpy as np
import pytest

from aa_gan.discriminator import build_discriminator
from aa_gan.core import GENERATORS; from aa_gan.generator import build_generator


def test_fashiongan_parameter_counts():
    assert build_generator("fashiongan").count_params() == 2_155_137
    assert build_discriminator("fashiongan").count_params() == 1_113_345


def test_generator_output_shape_and_range():
    g = build_generator("fashiongan")
    x = g(np.random.default_rng(0).standard_normal((5, 128)).astype("float32")).numpy()
    assert x.shape == (5, 28, 28, 1) and x.min() >= 0.0 and x.max() <= 1.0


def test_discriminator_output_is_a_probability():
    d = build_discriminator("fashiongan")
    p = d(np.random.default_rng(0).uniform(size=(5, 28, 28, 1)).astype("float32")).numpy()
    assert p.shape == (5, 1) and ((p > 0) & (p < 1)).all()


def test_other_latent_dim():
    assert build_generator("fashiongan", latent_dim=64).input_shape == (None, 64)


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown generator 'x'\. Choose one of: " + ", ".join(GENERATORS.names())):
        build_generator("x")
    with pytest.raises(ValueError, match="Unknown discriminator 'x'"):
        build_discriminator("x")
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        build_generator(latent_dim=-1)
