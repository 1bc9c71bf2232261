import numpy as np
import pytest
import tensorflow as tf

from aa_gan.discriminator import build_discriminator
from aa_gan.generator import build_generator
from aa_gan.training import GAN, ModelMonitor, notebook_budget, Budget, SMALL_BUDGET, output_scale


@pytest.fixture()
def gan():
    g = GAN(build_generator("fashiongan"), build_discriminator("fashiongan"), seed=0)
    g.compile()
    return g


def test_losses_are_epoch_means_not_last_batch(gan):
    images = tf.data.Dataset.from_tensor_slices(np.random.default_rng(0).uniform(size=(24, 28, 28, 1)).astype("float32")).batch(8)
    seen = []
    class Spy(tf.keras.callbacks.Callback if hasattr(tf, "keras") else object):
        pass
    import keras
    class BatchSpy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None): seen.append(float(logs["d_loss"]))
    history = gan.fit(images, epochs=1, callbacks=[BatchSpy()], verbose=0)
    # logs during the epoch are running means; the last running mean is the epoch mean
    assert history.history["d_loss"][0] == pytest.approx(seen[-1], rel=1e-6)
    assert len(seen) == 3 and np.isfinite(seen).all()


def test_both_networks_learn(gan):
    images = np.random.default_rng(1).uniform(size=(16, 28, 28, 1)).astype("float32")
    g0 = gan.generator.get_weights(); d0 = gan.discriminator.get_weights()
    gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), epochs=1, verbose=0)
    assert all(not np.allclose(a, b) for a, b in zip(g0, gan.generator.get_weights()))
    assert all(not np.allclose(a, b) for a, b in zip(d0, gan.discriminator.get_weights()))


def test_latents_follow_the_batch_and_the_normal_distribution(gan):
    z = gan.sample_latents(10_000).numpy()
    assert z.shape == (10_000, 128)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02


def test_monitor_saves_a_grid_per_epoch_from_normal_latents(gan, tmp_path):
    monitor = ModelMonitor(tmp_path, n_images=4)
    images = np.zeros((8, 28, 28, 1), "float32")
    gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), epochs=3, callbacks=[monitor], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_001.png", "epoch_002.png", "epoch_003.png"]
    assert monitor.latents.min() < 0  # uniform [0, 1) noise (the original's bug) is never negative


def test_budget_env(monkeypatch):
    monkeypatch.setenv("AA_GAN_BUDGET", "epochs=3,batch=4")
    assert notebook_budget() == Budget(epochs=3, steps_per_epoch=SMALL_BUDGET.steps_per_epoch, batch_size=4)
    monkeypatch.setenv("AA_GAN_BUDGET", "steps=-1")
    with pytest.raises(ValueError, match="AA_GAN_BUDGET='steps=-1' is not understood"):
        notebook_budget()


def test_output_scale():
    assert output_scale(build_generator("fashiongan")) == "0,1"


def test_tensorboard_logs(tmp_path):
    pytest.importorskip("tensorboard")
    from aa_gan.training import train
    train(epochs=1, steps_per_epoch=1, batch_size=4, max_images=16, out_dir=tmp_path, verbose=0, tensorboard=True)
    events = list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file was written"
