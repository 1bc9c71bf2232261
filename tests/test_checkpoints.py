import errno
import os
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from aa_gan.checkpoints import Checkpointer, CheckpointCallback, CheckpointError, DivergenceGuard
from aa_gan.discriminator import build_discriminator
from aa_gan.generator import build_generator
from aa_gan.gan import GAN


def tiny_gan(seed=0, latent_dim=8):
    keras.utils.set_random_seed(seed)
    gan = GAN(build_generator("fashiongan", latent_dim=latent_dim), build_discriminator("fashiongan"), seed=seed)
    gan.compile()
    return gan


@pytest.fixture(scope="module")
def images():
    return tf.data.Dataset.from_tensor_slices(np.random.default_rng(0).uniform(size=(8, 28, 28, 1)).astype("float32")).batch(4)


def state(gan) -> dict:
    "Every value a checkpoint must carry: weights of both networks, both optimizers' variables, the seed generator's state."
    return {"generator": [np.array(v) for v in gan.generator.variables],
            "discriminator": [np.array(v) for v in gan.discriminator.variables],
            "g_optimizer": [np.array(v) for v in gan.g_optimizer.variables],
            "d_optimizer": [np.array(v) for v in gan.d_optimizer.variables],
            "seed": [np.array(gan.seed_generator.state)]}


def assert_same_state(a, b):
    for part in a:
        assert len(a[part]) == len(b[part]) > 0, part
        for i, (x, y) in enumerate(zip(a[part], b[part])):
            assert x.dtype == y.dtype and np.array_equal(x, y), f"{part} variable {i} differs"


def test_restore_is_exact_and_continues_exactly(tmp_path, images):
    gan = tiny_gan()
    gan.fit(images, epochs=1, verbose=0)
    ck = Checkpointer(tmp_path)
    ck.save(gan, epoch=1)
    saved = state(gan)
    # something to restore: Adam has taken 2 steps (its moments are not zeros) and the noise's seed state has moved
    assert int(gan.g_optimizer.iterations) == 2 and all(m.any() for m in saved["g_optimizer"][2:] + saved["d_optimizer"][2:])
    assert saved["seed"][0].any()
    gan.fit(images, epochs=1, verbose=0)
    fresh = tiny_gan(seed=99)
    assert ck.restore(fresh)["epoch"] == 1
    assert_same_state(saved, state(fresh))  # bit for bit, not within some tolerance
    fresh.fit(images, epochs=1, verbose=0)
    assert_same_state(state(gan), state(fresh))  # and the next epoch repeats bit for bit: same noise, same updates


def test_the_exactness_check_sees_a_one_ulp_difference():
    "Negative control: a restore that is off by one float32 step in a single Adam moment fails `assert_same_state`."
    gan = tiny_gan()
    saved = state(gan)
    v = gan.d_optimizer.variables[-1]
    v.assign(np.nextafter(np.array(v), np.float32(np.inf)))
    with pytest.raises(AssertionError, match="d_optimizer variable"):
        assert_same_state(saved, state(gan))


def test_keeps_the_newest_and_leaves_no_temporary_folders(tmp_path, images):
    gan = tiny_gan(); gan.fit(images.take(1), epochs=1, verbose=0)
    ck = Checkpointer(tmp_path, keep=2)
    for e in range(1, 5): ck.save(gan, epoch=e)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0003", "epoch_0004"]


def test_corrupt_newest_falls_back_with_a_warning(tmp_path, images, capsys):
    gan = tiny_gan(); gan.fit(images.take(1), epochs=1, verbose=0)
    ck = Checkpointer(tmp_path)
    ck.save(gan, epoch=1); newest = ck.save(gan, epoch=2)
    (newest / "state.npz").write_bytes(b"truncated")
    assert ck.restore(tiny_gan())["epoch"] == 1
    said = capsys.readouterr().err.strip().splitlines()  # one line for a person, once
    assert len(said) == 1 and "epoch_0002: state.npz is damaged" in said[0], said


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


class DummyModel:
    "What DivergenceGuard touches of a model: `diverged` and `stop_training`."
    diverged, stop_training = None, False


def scripted_guard(patience=3, d_loss_floor=0.01):
    guard, model = DivergenceGuard(patience=patience, d_loss_floor=d_loss_floor), DummyModel()
    guard.set_model(model); guard.on_train_begin(); guard.on_epoch_begin(0)
    return guard, model


def feed(guard, d_losses, g_loss=1.0, start=0):
    "One on_train_batch_end per d_loss; returns the batch index after which the model was stopped (None if never)."
    for i, d in enumerate(d_losses, start):
        guard.on_train_batch_end(i, {"d_loss": d, "g_loss": g_loss})
        if guard.model.stop_training: return i
    return None


def test_a_winning_discriminator_stops_training_exactly_at_patience():
    guard, model = scripted_guard(patience=3, d_loss_floor=0.01)
    assert feed(guard, [0.5, 0.005, 0.001]) is None and model.diverged is None  # 2 low steps: not yet
    assert feed(guard, [0.009], start=3) == 3  # the third low step in a row
    assert model.diverged.startswith("Training stopped at epoch 1, step 4: the discriminator's loss has stayed below 0.01 "
                                     "for 3 steps"), model.diverged
    assert "Lower the discriminator's learning rate" in model.diverged


def test_the_guard_count_resets_when_the_loss_rises_above_the_floor():
    guard, model = scripted_guard(patience=3, d_loss_floor=0.01)
    assert feed(guard, [0.001, 0.001, 0.02, 0.001, 0.001, 0.01, 0.001, 0.001]) is None  # at the floor is not below it
    assert model.diverged is None
    guard.on_epoch_begin(1)  # the count carries over epochs: a third low step in a row, in the next epoch
    assert feed(guard, [0.001]) == 0 and "epoch 2, step 1" in model.diverged


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("key", ["d_loss", "g_loss"])
def test_a_non_finite_loss_stops_at_once(bad, key):
    guard, model = scripted_guard(patience=1000)
    feed(guard, [0.7, 0.6])
    guard.on_train_batch_end(2, {"d_loss": 0.6, "g_loss": 1.0, key: bad})
    assert model.stop_training
    assert model.diverged.startswith(f"Training stopped at epoch 1, step 3: the losses became {key}={bad}."), model.diverged


def test_a_checkpoint_that_cannot_be_written_leaves_the_older_one_intact(tmp_path, monkeypatch):
    gan = tiny_gan()
    ck = Checkpointer(tmp_path, keep=1)  # keep=1: a successful save would delete epoch_0001
    older = ck.save(gan, epoch=1)
    before = {p.name: p.read_bytes() for p in older.iterdir()}
    gan.generator.layers[0].kernel.assign_add(np.ones_like(gan.generator.layers[0].kernel))  # epoch 2 holds other weights
    real_savez = np.savez
    def disk_full(file, *args, **kwargs):  # half the state is written, then the disk is full
        real_savez(file, *args, **kwargs)
        with open(file, "r+b") as f: f.truncate(Path(file).stat().st_size // 2)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(CheckpointError, match=r"Could not write checkpoint .*epoch_0002 \(No space left on device\)\. "
                                              r"Free some disk space .*the previous checkpoints are untouched"):
        ck.save(gan, epoch=2)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0001"]  # no half-written folder left behind
    assert {p.name: p.read_bytes() for p in older.iterdir()} == before  # byte for byte
    path, meta = ck.latest()  # checks each file's SHA-256 too
    assert path == older and meta["epoch"] == 1


def test_a_checkpoint_folder_that_is_a_file_is_reported(tmp_path):
    gan = tiny_gan()
    (tmp_path / "blocked").write_text("not a folder")
    with pytest.raises(CheckpointError, match="Could not write checkpoint .*the previous checkpoints are untouched"):
        Checkpointer(tmp_path / "blocked").save(gan, epoch=1)
    assert (tmp_path / "blocked").read_text() == "not a folder"
