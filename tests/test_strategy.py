"""Training under a MirroredStrategy, on one CPU split into two logical devices (in a subprocess: the split must happen
before TensorFlow starts): every weight trains, both replicas agree, the losses are those of one device, and a checkpoint
restores under the strategy."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

BATCH = 8  # the global batch: 4 images per device
MIRRORED = textwrap.dedent("""
    import sys, json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np, keras
    from aa_gan.runs import train, resume_training
    out, recipe, BATCH = sys.argv[1], sys.argv[2], int(sys.argv[3])

    class Spy(keras.callbacks.Callback):
        "The trainable weights before training and the logs of the first batch (the first step's losses)."
        def on_train_begin(self, logs=None):
            self.before = [np.array(w) for w in self.model.generator.trainable_weights + self.model.discriminator.trainable_weights]
            self.first = None
        def on_train_batch_end(self, batch, logs=None):
            if self.first is None: self.first = {k: float(v) for k, v in logs.items()}

    run = dict(epochs=1, steps_per_epoch=1, batch_size=BATCH, max_images=64, seed=0, verbose=0)
    # The reference: the same first step on one device (the default strategy), without XLA as under the mirrored strategy
    one = Spy()
    gan1, _ = train(dataset="fashion_mnist", model=recipe, **run, out_dir=out + "/one", jit_compile=False, callbacks=[one])
    two = Spy()
    gan, history = train(dataset="fashion_mnist", model=recipe, **run, out_dir=out + "/two", strategy="mirrored", callbacks=[two])
    def unmoved(gan, spy):
        "(network, index, shape) of each trainable weight that training left as it was."
        nets = [("generator", w) for w in gan.generator.trainable_weights] + [("discriminator", w) for w in gan.discriminator.trainable_weights]
        counts = {"generator": len(gan.generator.trainable_weights), "discriminator": len(gan.discriminator.trainable_weights)}
        out, seen = [], {"generator": 0, "discriminator": 0}
        for (net, w), b in zip(nets, spy.before):
            i = seen[net]; seen[net] += 1
            if np.array_equal(np.array(w), b): out.append([net, i - counts[net], list(w.shape)])
        return out
    weights = gan.generator.trainable_weights + gan.discriminator.trainable_weights
    replicas = [[np.array(v) for v in w.value.values] for w in weights]  # each device's copy of each weight
    result = {
        "replicas": gan.distribute_strategy.num_replicas_in_sync, "devices": [len(r) for r in replicas], "n_weights": len(weights),
        "same_start": all(np.array_equal(a, b) for a, b in zip(one.before, two.before)),
        "unmoved_one": unmoved(gan1, one), "unmoved_two": unmoved(gan, two),
        "replicas_differ": [w.path for w, r in zip(weights, replicas) if not all(np.array_equal(r[0], x) for x in r[1:])],
        "one_first": one.first, "two_first": two.first, "d_loss": history["d_loss"], "g_loss": history["g_loss"]}
    gan2, history2 = resume_training(out + "/two", epochs=2, verbose=0)  # the checkpoint of epoch 1 restores under the strategy
    print(json.dumps({**result, "resumed_d_loss": history2["d_loss"], "resumed_g_loss": history2["g_loss"]}))
""")

# Each replica draws its own latent vectors and label noise, so the mirrored first step sees other noise than the step on
# one device: measured 3.0% apart (d_loss 0.695 vs 0.675, fashiongan) and 2.1% (d_loss 1.981 vs 2.023, hinge+ema) at
# seed 0. A wrong replica scale (losses summed over the replicas, averaged per replica instead of over the global batch,
# or reported as one replica's share) is off by a factor of 2: 50% or 100%.
REL_TOL = 0.10


UNMOVED = {"fashiongan": [], "hinge+ema": [["discriminator", -1, [1]]]}


@pytest.mark.parametrize("recipe", list(UNMOVED))
def test_two_steps_mirrored_on_two_cpu_devices(recipe, tmp_path):
    proc = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path / "run"), recipe, str(BATCH)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(result)
    assert result["replicas"] == 2 and set(result["devices"]) == {2}
    assert result["same_start"]  # same seed, same initial weights: the runs differ only by the strategy
    # Every trainable weight trains, as on one device. The one exception: the hinge critic's output bias, whose gradient is
    # exactly 0 while the scores lie in (-1, 1) (-1 per real image, +1 per generated one, as many of each)
    assert result["unmoved_two"] == result["unmoved_one"] == UNMOVED[recipe], result
    assert result["replicas_differ"] == []  # and both devices hold the same values
    one, two = result["one_first"], result["two_first"]
    for key in ("d_loss", "g_loss"):
        # relative to the loss, or to 1 for a loss near 0 (hinge's g_loss is minus a score, about 0 at the start)
        assert abs(two[key] - one[key]) <= REL_TOL * max(abs(one[key]), 1.0), (key, one[key], two[key])
    assert result["d_loss"] == [two["d_loss"]] and result["g_loss"] == [two["g_loss"]]  # one step: its losses are the epoch's
    assert len(result["resumed_d_loss"]) == 2 and result["resumed_d_loss"][0] == result["d_loss"][0]
    assert np.isfinite(result["resumed_d_loss"] + result["resumed_g_loss"]).all()
