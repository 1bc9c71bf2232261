"""Every recipe by name (what make_gan builds for it, and one run from the command line), the gradient penalty, conditional
generation, mixed precision. Several devices: tests/test_strategy.py; two worker processes: tests/test_multiworker.py."""
import json

import numpy as np
import pytest

from aa_gan.cli import main

# Parameter counts stated in nbs/07_recipes.ipynb: (generator, discriminator)
COUNTS = {"bce": (960_257, 138_561), "hinge": (960_257, 138_561), "lsgan": (960_257, 138_561),
          "wgan-gp": (960_257, 138_561), "hinge+sn+ema": (960_257, 138_754), "cgan": (1_161_281, 201_281),
          "encdec": (960_257, 138_561), "fast": (960_257, 36_513), "fast-cond": (1_161_281, 67_873)}


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
    "fast": ("bce", 1, 0.0, 0.999, False, False, False, (2e-4, 2e-4), (0.5, 0.999), True),
    "fast-cond": ("bce", 1, 0.0, 0.999, False, True, False, (2e-4, 2e-4), (0.5, 0.999), True),
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


def test_the_label_decides_what_a_conditional_generator_draws(tmp_path):
    "Two classes a glance tells apart (dark and light images): after 200 small steps each label draws its own class."
    from PIL import Image
    from aa_gan.runs import train
    root, rng = tmp_path / "shades", np.random.default_rng(0)
    for name, level in (("dark", 30), ("light", 225)):
        (root / name).mkdir(parents=True)
        for i in range(32): Image.fromarray(np.clip(level + rng.normal(0, 10, (28, 28)), 0, 255).astype("uint8")).save(root / name / f"{i}.png")
    gan, _ = train(dataset=str(root), model="cgan", epochs=1, steps_per_epoch=200, batch_size=16, seed=0, out_dir=str(tmp_path / "run"),
                   verbose=0)
    images = gan.generate(64, seed=0)  # labels 0, 1, 0, 1, ...: dark, light, ...
    dark, light = float(images[0::2].mean()), float(images[1::2].mean())
    print(f"mean pixel (in [-1, 1]) asked for dark: {dark:.2f}, for light: {light:.2f}")
    assert dark < -0.5 and light > 0.5, (dark, light)  # a generator that ignored its label would draw the same for both


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


def test_the_fast_recipe_trains_with_its_own_batch_size(tmp_path, capsys):
    "With no --batch-size, a run takes the recipe's: 32 for fast (what the time-to-quality ablation chose), 128 for bce."
    from aa_gan.recipes import get_recipe
    assert (get_recipe("fast").batch_size, get_recipe("bce").batch_size) == (32, 128)
    for recipe, batch in (("fast", 32), ("bce", 128)):
        out = tmp_path / recipe
        code = main(["train", "--model", recipe, "--epochs", "1", "--steps-per-epoch", "1", "--max-images", "256",
                     "--seed", "0", "--quiet", "--out", str(out)])
        assert code == 0, capsys.readouterr().err
        assert json.loads((out / "run.json").read_text())["batch_size"] == batch  # stored, so --resume keeps it
