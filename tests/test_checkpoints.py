import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from aa_gan.checkpoints import Checkpointer, CheckpointCallback, CheckpointError, DivergenceGuard
from aa_gan.discriminator import build_discriminator
from aa_gan.generator import build_generator
from aa_gan.training import GAN


def tiny_gan(seed=0, latent_dim=8):
    keras.utils.set_random_seed(seed)
    gan = GAN(build_generator("fashiongan", latent_dim=latent_dim), build_discriminator("fashiongan"), seed=seed)
    gan.compile()
    return gan


@pytest.fixture(scope="module")
def images():
    return tf.data.Dataset.from_tensor_slices(np.random.default_rng(0).uniform(size=(8, 28, 28, 1)).astype("float32")).batch(4)


def test_restore_continues_exactly(tmp_path, images):
    gan = tiny_gan()
    gan.fit(images, epochs=1, verbose=0)
    ck = Checkpointer(tmp_path)
    ck.save(gan, epoch=1)
    gan.fit(images, epochs=1, verbose=0)
    fresh = tiny_gan(seed=99)
    assert ck.restore(fresh)["epoch"] == 1
    fresh.fit(images, epochs=1, verbose=0)
    for a, b in zip(gan.generator.variables + gan.discriminator.variables, fresh.generator.variables + fresh.discriminator.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_keeps_the_newest_and_leaves_no_temporary_folders(tmp_path, images):
    gan = tiny_gan(); gan.fit(images.take(1), epochs=1, verbose=0)
    ck = Checkpointer(tmp_path, keep=2)
    for e in range(1, 5): ck.save(gan, epoch=e)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0003", "epoch_0004"]


def test_corrupt_newest_falls_back_with_a_warning(tmp_path, images):
    gan = tiny_gan(); gan.fit(images.take(1), epochs=1, verbose=0)
    ck = Checkpointer(tmp_path)
    ck.save(gan, epoch=1); newest = ck.save(gan, epoch=2)
    (newest / "state.npz").write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="epoch_0002: state.npz is damaged"):
        assert ck.restore(tiny_gan())["epoch"] == 1


def test_no_intact_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="No intact checkpoint in .*: nothing to resume"):
        Checkpointer(tmp_path).restore(tiny_gan())


def test_checkpoint_of_another_architecture_is_refused(tmp_path, images):
    gan = tiny_gan(latent_dim=8); gan.fit(images.take(1), epochs=1, verbose=0)
    Checkpointer(tmp_path).save(gan, epoch=1)
    with pytest.raises(ValueError, match="does not match this one"):
        Checkpointer(tmp_path).restore(tiny_gan(latent_dim=16))


def test_nan_stops_training_with_its_message_and_no_checkpoint(tmp_path):
    nan = tf.data.Dataset.from_tensor_slices(np.full((8, 28, 28, 1), np.nan, "float32")).batch(4)
    gan = tiny_gan(); ck = Checkpointer(tmp_path)
    history = gan.fit(nan, epochs=3, callbacks=[DivergenceGuard(), CheckpointCallback(ck)], verbose=0)
    assert gan.diverged.startswith("Training stopped at epoch 1, step 1: the losses became d_loss=nan")
    assert "lower the learning rates" in gan.diverged
    assert len(history.history["d_loss"]) == 1 and ck.paths() == []


def test_a_winning_discriminator_stops_training(images):
    gan = tiny_gan()
    gan.fit(images.repeat(2), epochs=1, callbacks=[DivergenceGuard(patience=3, d_loss_floor=100.0)], verbose=0)
    assert "stayed below 100.0 for 3 steps" in gan.diverged


def test_a_checkpoint_that_cannot_be_written_is_reported(tmp_path, images):
    gan = tiny_gan(); gan.fit(images.take(1), epochs=1, verbose=0)
    (tmp_path / "blocked").write_text("not a folder")
    with pytest.raises(CheckpointError, match="Could not write checkpoint .*the previous checkpoints are untouched"):
        Checkpointer(tmp_path / "blocked").save(gan, epoch=1)
