"""Issue 6 acceptance: every recipe by name from the command line, the gradient penalty, conditional generation;
issue 7: two steps under a mirrored strategy on two logical CPU devices."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from aa_gan.cli import main

# Parameter counts stated in nbs/12_recipes.ipynb: (generator, discriminator)
COUNTS = {"bce": (960_257, 138_561), "hinge": (960_257, 138_561), "lsgan": (960_257, 138_561),
          "wgan-gp": (960_257, 138_561), "hinge+sn+ema": (960_257, 138_754), "cgan": (1_161_281, 201_281),
          "encdec": (960_257, 138_561)}


# What each name must build: (loss, critic steps, penalty weight, EMA, spectral norm, conditional, encoder,
# (generator lr, discriminator lr), (beta_1, beta_2), XLA)
BUILT = {
    "fashiongan": ("original", 1, 0.0, None, False, False, False, (1e-4, 1e-5), (0.9, 0.999), False),
    "bce": ("bce", 1, 0.0, None, False, False, False, (2e-4, 2e-4), (0.5, 0.999), True),
    "hinge": ("hinge", 1, 0.0, None, False, False, False, (2e-4, 2e-4), (0.5, 0.999), True),
    "lsgan": ("lsgan", 1, 0.0, None, False, False, False, (2e-4, 2e-4), (0.5, 0.999), True),
    "wgan-gp": ("wgan-gp", 5, 10.0, None, False, False, False, (1e-4, 1e-4), (0.0, 0.9), True),
    "hinge+sn+ema": ("hinge", 1, 0.0, 0.999, True, False, False, (2e-4, 2e-4), (0.5, 0.999), True),
    "cgan": ("hinge", 1, 0.0, None, False, True, False, (2e-4, 2e-4), (0.5, 0.999), True),
    "encdec": ("bce", 1, 0.0, None, False, False, True, (2e-4, 2e-4), (0.5, 0.999), True),
}


@pytest.mark.parametrize("recipe", list(BUILT))
def test_each_name_builds_its_recipe(recipe):
    "What make_gan(name) built, without training: its loss, steps, penalty, EMA, networks, optimisers and parameter counts."
    import keras
    from aa_gan.data import CLASS_NAMES
    from aa_gan.recipes import make_gan
    gan = make_gan(recipe, seed=0, class_names=CLASS_NAMES["fashion_mnist"])
    loss, n_critic, gp, ema, sn, conditional, encoder, lrs, betas, xla = BUILT[recipe]
    assert (gan.gan_loss.name, gan.n_critic, gan.gp_weight, gan.ema) == (loss, n_critic, gp, ema)
    assert (gan.gan_loss.label_noise > 0) == (loss == "original")
    assert any(isinstance(l, keras.layers.SpectralNormalization) for l in gan.discriminator.layers) == sn
    assert (gan.ema_generator is not None) == (ema is not None)
    assert (gan.num_classes == 10) == conditional and (len(gan.discriminator.inputs) == 2) == conditional
    assert (getattr(gan, "encoder", None) is not None) == encoder
    for opt, lr in zip((gan.g_optimizer, gan.d_optimizer), lrs):
        assert np.isclose(float(opt.learning_rate), lr) and (opt.beta_1, opt.beta_2) == betas
    assert bool(gan.jit_compile) == xla
    if recipe in COUNTS: assert (gan.generator.count_params(), gan.discriminator.count_params()) == COUNTS[recipe]


def test_a_recipe_trains_from_the_command_line(tmp_path, capsys):
    "One recipe with every option at once (hinge loss, spectral norm, EMA) through `aa-gan train`, then its files."
    from aa_gan.gan import load_model
    from aa_gan.training import read_history
    out = tmp_path / "run"
    code = main(["train", "--model", "hinge+sn+ema", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8",
                 "--max-images", "32", "--seed", "0", "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    generator, discriminator = load_model(out / "generator.keras"), load_model(out / "discriminator.keras", "discriminator")
    assert (generator.count_params(), discriminator.count_params()) == COUNTS["hinge+sn+ema"]
    history = read_history(out / "history.csv")
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()
    assert json.loads((out / "run.json").read_text())["model"] == "hinge+sn+ema"


def test_gradient_penalty_of_a_linear_critic():
    "D(x) = <w, x> has gradient w everywhere: the penalty is (||w|| - 1)^2 for any images and any interpolation."
    import keras
    from aa_gan.gan import gradient_penalty
    critic = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)])
    rng = np.random.default_rng(1)
    w = rng.standard_normal((784, 1)).astype("float32")
    critic.layers[-1].kernel.assign(w)
    real, fake = rng.random((16, 28, 28, 1), "float32"), rng.random((16, 28, 28, 1), "float32")
    expected = (np.linalg.norm(w) - 1.0) ** 2
    for seed in (0, 1):
        assert abs(float(gradient_penalty(critic, real, fake, seed=seed)) - expected) < 1e-3 * expected


# A conditional generator trained for this many steps (batch 64, seed 0) must give images that the shipped
# Fashion-MNIST classifier assigns to the requested class at least this often; chance is 0.1.
CGAN_STEPS, CGAN_THRESHOLD = 250, 0.3


def test_conditional_generator_beats_chance(tmp_path):
    from aa_gan.training import train
    from aa_gan.evaluation import domain_extractor
    gan, _ = train(dataset="fashion_mnist", model="cgan", epochs=1, steps_per_epoch=CGAN_STEPS, batch_size=64, seed=0,
                   out_dir=tmp_path / "cgan", verbose=0)
    labels = np.repeat(np.arange(10), 50).astype("int32")
    images = gan.generate(latents=np.random.default_rng(0).standard_normal((500, 128)).astype("float32"), labels=labels)
    _, probabilities = domain_extractor("fashion_mnist")(images, scale="-1,1")
    agreement = float(np.mean(probabilities.argmax(1) == labels))
    print(f"class agreement after {CGAN_STEPS} steps: {agreement:.3f} (chance 0.1)")
    assert agreement >= CGAN_THRESHOLD, agreement


MIRRORED = textwrap.dedent("""
    import sys, json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np, keras
    from aa_gan.training import train, resume_training
    out, recipe = sys.argv[1], sys.argv[2]
    class Snapshot(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.before = [np.array(w) for w in self.model.generator.weights + self.model.discriminator.weights]
    snap = Snapshot()
    gan, history = train(dataset="fashion_mnist", model=recipe, epochs=1, steps_per_epoch=2, batch_size=16, max_images=64, seed=0,
                         out_dir=out, verbose=0, strategy="mirrored", callbacks=[snap])
    after = [np.array(w) for w in gan.generator.weights + gan.discriminator.weights]
    changed = sum(not np.array_equal(a, b) for a, b in zip(snap.before, after))
    gan2, history2 = resume_training(out, epochs=2, verbose=0)  # the checkpoint of epoch 1 restores under the strategy
    print(json.dumps({"replicas": gan.distribute_strategy.num_replicas_in_sync, "d_loss": history["d_loss"],
                      "g_loss": history["g_loss"], "changed": changed, "total": len(after),
                      "resumed_epochs": len(history2["d_loss"]), "resumed_d_loss": history2["d_loss"]}))
""")


@pytest.mark.parametrize("recipe", ["fashiongan", "hinge+ema"])
def test_two_steps_mirrored_on_two_cpu_devices(recipe, tmp_path):
    proc = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path / "run"), recipe], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert np.isfinite(result["d_loss"] + result["g_loss"] + result["resumed_d_loss"]).all()
    assert result["changed"] > result["total"] // 2, result  # nearly every weight moved (a few, like BN counters, may not)
    assert result["resumed_epochs"] == 2


@pytest.mark.parametrize("recipe", ["fashiongan", "hinge"])
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_trains(recipe, precision):
    "Layers compute in the low precision, the losses stay float32, and float16 gets loss scaling."
    import keras
    from aa_gan.recipes import make_gan
    gan = make_gan(recipe, seed=0, precision=precision, jit_compile=False)
    assert keras.config.dtype_policy().name == "float32"  # the policy is restored after building
    assert gan.generator.layers[1].compute_dtype == precision
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer) == (precision == "float16")
    history = gan.fit(np.random.default_rng(0).random((8, 28, 28, 1), "float32"), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"] + history["g_loss"]).all()
