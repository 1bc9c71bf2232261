import keras
import numpy as np
import pytest
import tensorflow as tf

from aa_gan.discriminator import build_discriminator
from aa_gan.generator import build_generator
from aa_gan.data import output_scale
from aa_gan.gan import GAN, Loss, noisy_label_bce
from aa_gan.training import ModelMonitor
from aa_gan.core import notebook_budget, Budget, SMALL_BUDGET


@pytest.fixture()
def gan():
    g = GAN(build_generator("fashiongan"), build_discriminator("fashiongan"), seed=0)
    g.compile()
    return g


class LossSpy:
    "The original loss, recording each batch's own mean losses as train_step computes them: d_loss, then g_loss, per batch."
    def __init__(self):
        self.base, self.values = noisy_label_bce(), []
        self.loss = Loss("spy", self.discriminator, self.generator, self.base.label_noise)
    def record(self, per_image):
        self.values.append(float(np.mean(per_image)))  # eager (run_eagerly=True): the batch's own loss, before any averaging
        return per_image
    def discriminator(self, real, fake, noise=None): return self.record(self.base.discriminator(real, fake, noise))
    def generator(self, fake): return self.record(self.base.generator(fake))


class RawLossesGAN(GAN):
    "Broken on purpose: its trackers keep only the current batch, so the logs are raw per-batch losses."
    def train_step(self, data):
        for m in self.metrics: m.reset_state()
        return super().train_step(data)


class NoTrackersGAN(GAN):
    "Broken on purpose: it returns the raw losses of the batch and has no trackers for Keras to average."
    @property
    def metrics(self): return []
    def train_step(self, data):
        super().train_step(data)
        return {"d_loss": self.spy.values[-2], "g_loss": self.spy.values[-1]}


def tiny_networks():
    "A generator and a discriminator of one Dense layer each: enough for the loss bookkeeping, and fast."
    g = keras.Sequential([keras.Input((8,)), keras.layers.Dense(784, activation="sigmoid"), keras.layers.Reshape((28, 28, 1))])
    return g, keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])


def epoch_losses(gan_class, networks=None):
    "History's first-epoch losses and each batch's losses as the loss function computed them, for 3 batches that differ."
    keras.utils.set_random_seed(0)
    generator, discriminator = networks or (build_generator("fashiongan", latent_dim=8), build_discriminator("fashiongan"))
    spy = LossSpy()
    gan = gan_class(generator, discriminator, loss=spy.loss, seed=0)
    gan.spy = spy
    gan.compile(run_eagerly=True)
    rng = np.random.default_rng(0)  # black, white and noise batches: the discriminator's loss differs from batch to batch
    images = np.concatenate([np.zeros((4, 28, 28, 1)), np.ones((4, 28, 28, 1)), rng.uniform(size=(4, 28, 28, 1))]).astype("float32")
    history = gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0).history
    assert len(spy.values) == 6, spy.values  # (d_loss, g_loss) for each of the 3 batches
    return {"d_loss": history["d_loss"][0], "g_loss": history["g_loss"][0]}, {"d_loss": spy.values[0::2], "g_loss": spy.values[1::2]}


def assert_epoch_means(logged, per_batch, rel=1e-6):
    for key in ("d_loss", "g_loss"):
        values = np.array(per_batch[key]); mean = values.mean()
        assert np.isfinite(values).all()
        assert logged[key] == pytest.approx(mean, rel=rel, abs=0), f"History's {key} {logged[key]} is not the mean of the batches' {values}"
        # the last batch's loss is far outside that tolerance, so being equal to the mean is not being equal to it
        assert abs(values[-1] - mean) > 100 * rel * abs(mean), (key, values)


def test_losses_are_epoch_means_not_last_batch():
    assert_epoch_means(*epoch_losses(GAN))


@pytest.mark.parametrize("broken", [RawLossesGAN, NoTrackersGAN])
def test_the_epoch_means_check_catches_per_batch_losses(broken):
    "Negative controls: a GAN that logs each batch's raw losses fails `assert_epoch_means`, so the check above can fail."
    logged, per_batch = epoch_losses(broken, tiny_networks())
    assert logged["d_loss"] == pytest.approx(per_batch["d_loss"][-1], rel=1e-6)  # History holds the last batch's loss
    with pytest.raises(AssertionError, match="History's d_loss .* is not the mean of the batches'"):
        assert_epoch_means(logged, per_batch)


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
    from aa_gan.runs import train
    train(epochs=1, steps_per_epoch=1, batch_size=4, max_images=16, out_dir=tmp_path, verbose=0, tensorboard=True)
    events = list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file was written"
