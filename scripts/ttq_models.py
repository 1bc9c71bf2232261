"""The peers of the time-to-quality benchmark (`time_to_quality.py`): plain Keras models written from their published
descriptions, each with the training step its description gives.

Nothing here goes through `aa_gan`: a peer is a `Recipe` (its published knobs), `build_generator` /
`build_discriminator` turn it into Keras models layer for layer, and `Trainer` runs its step as one `tf.function`,
sampling batches in-graph from the training images held in memory (so the input never holds a peer back).
The peers: `peer` (the TensorFlow DCGAN tutorial), `kerasio` (keras-io's face DCGAN) and `ada` (keras-io's
data-efficient GAN with adaptive discriminator augmentation).

A peer is named with optional overrides, `name[:key=value,...]`, e.g. `ada:batch=64` (see `parse_contender`).
The compact DCGAN and the knobs of the first Fashion-MNIST ablation (`images/ttq/ablation.md`) lived here until that
ablation's winner became the package's `fast` recipe, which the package trains; they were removed then.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers


@dataclass(frozen=True)
class Recipe:
    "The published knobs of a peer."
    arch: str = "peer"           # 'peer' (the TF DCGAN tutorial's networks), 'kerasio' (keras-io's face DCGAN) or 'ada'
                                 # (keras-io's GAN-ADA DCGAN)
    size: int = 28               # image side (peer: 28; kerasio: 32, 64 or 128; ada: a multiple of 16)
    channels: int = 1            # image channels (kerasio, ada: 1 or 3)
    latent_dim: int = 100
    d_dropout: float = 0.3       # dropout in the discriminator
    loss: str = "bce"            # 'bce' (the tutorial's non-saturating BCE, one simultaneous update), 'kerasio' (sigmoid
                                 # D, fake = 1, noisy labels, D then G) or 'ada' (non-saturating BCE with adaptive
                                 # discriminator augmentation)
    lr_g: float = 1e-4
    lr_d: float = 1e-4
    beta1: float = 0.9
    beta2: float = 0.999
    batch: int = 256
    ema: float = 0.0             # EMA decay of the sampling generator; 0 = no EMA (sample the trained G)
    ema_warmup: bool = False     # decay min(ema, (1 + t) / (10 + t)): the average forgets the random start
    xla: bool = False            # jit_compile the training step

    def describe(self) -> dict:
        return {**dataclasses.asdict(self), "conditional": False}  # the scorer's field: no peer is conditional


# The TensorFlow DCGAN tutorial (tensorflow.org/tutorials/generative/dcgan) for 28x28 images: G Dense 7x7x256 -> 5x5
# Conv2DTranspose 128, 64, 1 with batch norm and LeakyReLU, tanh; D 5x5 Conv2D 64, 128 (stride 2) with LeakyReLU and
# Dropout 0.3, Dense 1 (a logit); non-saturating BCE, both updates from one forward pass; Adam 1e-4; batch 256; noise 100.
PEER = Recipe(arch="peer", latent_dim=100, loss="bce", lr_g=1e-4, lr_d=1e-4, beta1=0.9, beta2=0.999, batch=256,
              ema=0.0, xla=False, d_dropout=0.3)
# keras-io's "DCGAN to generate face images" (fchollet, 2019-2021), as published for CelebA at 64x64: the example a user
# would copy for their own colour pictures. Images in [0, 1]; G Dense 8x8x128 -> Conv2DTranspose 128, 256, 512 (4x4,
# stride 2, LeakyReLU 0.2) -> 5x5 Conv2D sigmoid; D Conv2D 64, 128, 128 (4x4, stride 2, LeakyReLU 0.2), Flatten,
# Dropout 0.2, Dense 1 sigmoid; BCE with fake = 1 and real = 0 plus 0.05 uniform label noise; the discriminator steps
# on a fresh fake batch, then the generator on new latents; Adam 1e-4 (Keras' default betas) for both; batch 32;
# latent 128. `size` and `channels` follow the data (set by time_to_quality.py).
KERASIO = Recipe(arch="kerasio", size=64, channels=3, latent_dim=128, loss="kerasio", lr_g=1e-4, lr_d=1e-4, beta1=0.9,
                 beta2=0.999, batch=32, ema=0.0, xla=False, d_dropout=0.2)
# keras-io's "Data-efficient GANs with Adaptive Discriminator Augmentation" (András Béres, 2021; examples/generative/
# gan_ada.py), as published for Caltech Birds at 64x64: images in [0, 1]; G Dense 4x4x128 (no bias) -> BN(scale=False)
# -> ReLU, then 3x Conv2DTranspose 128 (4x4, stride 2, no bias) -> BN(scale=False) -> ReLU, then Conv2DTranspose 3
# (4x4, stride 2) sigmoid (depth 4, width 128, noise 64); D 4x Conv2D 128 (4x4, stride 2, no bias) -> BN(scale=False) ->
# LeakyReLU 0.2, Flatten, Dropout 0.4, Dense 1 (a logit); non-saturating BCE from logits (D: one mean over [real; fake]
# with labels [1; 0]), separate D passes for real and generated images, both updates from one persistent tape; Adam 2e-4,
# beta_1 0.5 for both; batch 128; EMA 0.99 of all the generator's weights with no warm-up, the EMA copy draws (it starts
# from its own random initialisation: the example makes it with keras.models.clone_model, which does not copy weights).
# ADA: RandomFlip horizontal, RandomTranslation 0.125 (nearest), RandomRotation 0.125, RandomZoom (-0.25, 0) on real
# and (differentiably) generated images, each image augmented with probability p; after each step
# p <- clip(p + (accuracy on real - 0.85) / 1000, 0, 1) (ADA_TARGET, ADA_INTEGRATION_STEPS). G 930,947 and D 796,161
# parameters at 64x64x3, as the example's summaries print. `size` and `channels` follow the data (time_to_quality.py).
ADA = Recipe(arch="ada", size=64, channels=3, latent_dim=64, loss="ada", lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
             batch=128, ema=0.99, ema_warmup=False, xla=False, d_dropout=0.4)
ADA_TARGET = 0.85            # the example's target_accuracy (discriminator accuracy on real images)
ADA_INTEGRATION_STEPS = 1000  # the example's integration_steps
ADA_MAX_TRANSLATION, ADA_MAX_ROTATION, ADA_MAX_ZOOM = 0.125, 0.125, 0.25
RECIPES = {"peer": PEER, "kerasio": KERASIO, "ada": ADA}


def _convert(field: dataclasses.Field, text: str):
    kind = field.type if isinstance(field.type, type) else {"bool": bool, "int": int, "float": float,
                                                            "str": str}[field.type]
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "on"): return True
        if text.lower() in ("0", "false", "no", "off"): return False
        raise ValueError(f"{field.name} takes a boolean (1/0, true/false), got {text!r}")
    if kind is int: return int(float(text))
    return kind(text)


def parse_contender(spec: str) -> Recipe:
    "`name[:key=value,...]` -> its Recipe: a recipe of RECIPES with some fields changed (e.g. 'fast:ema=0')."
    name, _, overrides = spec.partition(":")
    if name not in RECIPES:
        raise ValueError(f"Unknown contender {name!r}; choose from {', '.join(RECIPES)} (optionally ':key=value,...').")
    fields = {f.name: f for f in dataclasses.fields(Recipe)}
    changes = {}
    for item in filter(None, overrides.split(",")):
        key, eq, value = item.partition("=")
        if not eq or key not in fields:
            raise ValueError(f"Bad override {item!r} in {spec!r}; use key=value with key one of {', '.join(fields)}.")
        changes[key] = _convert(fields[key], value)
    return dataclasses.replace(RECIPES[name], **changes)


def contender_dir_name(spec: str) -> str:
    "A file-system-safe folder name for a contender spec ('fast:ema=0' -> 'fast__ema-0')."
    return spec.replace(":", "__").replace("=", "-").replace(",", "_").replace("+", "p").replace("/", "_")


# ---------------------------------------------------------------------------- networks
def _unknown(r: Recipe):
    return ValueError(f"Unknown peer architecture {r.arch!r}: choose peer, kerasio or ada.")


def build_generator(r: Recipe) -> keras.Model:
    "z (latent_dim,) -> an image: the peer's published generator, standard Keras layers only, so it loads plainly."
    z = keras.Input((r.latent_dim,), name="z")
    if r.arch == "kerasio":  # keras-io's face DCGAN, layer for layer (its first map is size/8 square)
        start = r.size // 8
        h = layers.Reshape((start, start, 128))(layers.Dense(start * start * 128)(z))
        for ch in (128, 256, 512):
            h = layers.LeakyReLU(0.2)(layers.Conv2DTranspose(ch, 4, strides=2, padding="same")(h))
        out = layers.Conv2D(r.channels, 5, padding="same", activation="sigmoid")(h)
    elif r.arch == "ada":  # keras-io's GAN-ADA generator, layer for layer (depth 4: its first map is size/16 square)
        if r.size % 16: raise ValueError(f"arch='ada' makes images whose side is a multiple of 16, not {r.size}")
        start = r.size // 16
        h = layers.ReLU()(layers.BatchNormalization(scale=False)(layers.Dense(start * start * 128, use_bias=False)(z)))
        h = layers.Reshape((start, start, 128))(h)
        for _ in range(3):
            h = layers.Conv2DTranspose(128, 4, strides=2, padding="same", use_bias=False)(h)
            h = layers.ReLU()(layers.BatchNormalization(scale=False)(h))
        out = layers.Conv2DTranspose(r.channels, 4, strides=2, padding="same", activation="sigmoid")(h)
    elif r.arch == "peer":  # the TensorFlow DCGAN tutorial, layer for layer
        h = layers.Dense(7 * 7 * 256, use_bias=False)(z)
        h = layers.LeakyReLU()(layers.BatchNormalization()(h))
        h = layers.Reshape((7, 7, 256))(h)
        h = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)(h)
        h = layers.LeakyReLU()(layers.BatchNormalization()(h))
        h = layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False)(h)
        h = layers.LeakyReLU()(layers.BatchNormalization()(h))
        out = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh")(h)
    else:
        raise _unknown(r)
    return keras.Model(z, out, name="generator")


def build_discriminator(r: Recipe) -> keras.Model:
    "image -> the peer's verdict: a logit (peer, ada), or P(fake) from a sigmoid (kerasio, which labels fakes 1)."
    x = keras.Input((r.size, r.size, r.channels), name="image")
    if r.arch == "kerasio":  # three strided convolutions, then a dropout and one sigmoid unit
        h = x
        for ch in (64, 128, 128):
            h = layers.LeakyReLU(0.2)(layers.Conv2D(ch, 4, strides=2, padding="same")(h))
        h = layers.Dropout(r.d_dropout)(layers.Flatten()(h))
        return keras.Model(x, layers.Dense(1, activation="sigmoid")(h), name="discriminator")
    if r.arch == "ada":  # four strided convolutions with batch norm, then a dropout and one logit
        h = x
        for _ in range(4):
            h = layers.Conv2D(128, 4, strides=2, padding="same", use_bias=False)(h)
            h = layers.LeakyReLU(0.2)(layers.BatchNormalization(scale=False)(h))
        h = layers.Dropout(r.d_dropout)(layers.Flatten()(h))
        return keras.Model(x, layers.Dense(1)(h), name="discriminator")
    if r.arch != "peer": raise _unknown(r)
    h = layers.Conv2D(64, 5, strides=2, padding="same")(x)  # the TensorFlow DCGAN tutorial, layer for layer
    h = layers.Dropout(r.d_dropout)(layers.LeakyReLU()(h))
    h = layers.Conv2D(128, 5, strides=2, padding="same")(h)
    h = layers.Dropout(r.d_dropout)(layers.LeakyReLU()(h))
    return keras.Model(x, layers.Dense(1)(layers.Flatten()(h)), name="discriminator")


# ---------------------------------------------------------------------------- adaptive discriminator augmentation
def build_ada_augmenter(r: Recipe, seed: int = 0) -> keras.Model:
    "GAN-ADA's augmenter: x-flip, integer translation, rotation and zoom-in, Keras' preprocessing layers (differentiable)."
    return keras.Sequential([
        keras.Input((r.size, r.size, r.channels)),
        layers.RandomFlip("horizontal", seed=seed + 1),
        layers.RandomTranslation(ADA_MAX_TRANSLATION, ADA_MAX_TRANSLATION, interpolation="nearest", seed=seed + 2),
        layers.RandomRotation(ADA_MAX_ROTATION, seed=seed + 3),
        layers.RandomZoom(height_factor=(-ADA_MAX_ZOOM, 0.0), width_factor=(-ADA_MAX_ZOOM, 0.0), seed=seed + 4),
    ], name="adaptive_augmenter")


# ---------------------------------------------------------------------------- training
class Trainer:
    "A peer's models, optimizers, EMA generator (where it has one) and its compiled training step, on in-memory images."

    def __init__(self, r: Recipe, images_uint8: np.ndarray, labels: np.ndarray, seed: int = 0):
        self.r = r
        keras.utils.set_random_seed(seed)
        self.rng = tf.random.Generator.from_seed(seed)
        self.images = tf.Variable(images_uint8, trainable=False, name="train_images")  # (N, size, size, channels) uint8
        self.labels = tf.Variable(labels.astype("int32"), trainable=False, name="train_labels")
        self.n = int(images_uint8.shape[0])
        self.G, self.D = build_generator(r), build_discriminator(r)
        self.opt_g = keras.optimizers.Adam(r.lr_g, beta_1=r.beta1, beta_2=r.beta2)
        self.opt_d = keras.optimizers.Adam(r.lr_d, beta_1=r.beta1, beta_2=r.beta2)
        self.opt_g.build(self.G.trainable_variables)
        self.opt_d.build(self.D.trainable_variables)
        if r.loss == "ada":  # the augmentation probability p (reported as trainer.ada_p) and the augmenter
            self.ada_p = tf.Variable(0.0, trainable=False, name="ada_p")
            self.augmenter = build_ada_augmenter(r, seed)
        if r.ema:
            self.G_ema = build_generator(r)
            if r.loss != "ada":  # GAN-ADA's EMA copy is a clone_model: its own random start, not G's weights
                self.G_ema.set_weights(self.G.get_weights())
        else:
            self.G_ema = None
        self.step_count = tf.Variable(0, dtype=tf.int64, trainable=False)
        step = {"bce": self._step_tutorial, "kerasio": self._step_kerasio, "ada": self._step_ada}.get(r.loss)
        if step is None: raise ValueError(f"Unknown peer loss {r.loss!r}: choose bce, kerasio or ada.")
        self._step = tf.function(step, jit_compile=r.xla)

    @property
    def sampler(self) -> keras.Model:
        "The generator to sample from: the EMA copy where there is one."
        return self.G_ema if self.G_ema is not None else self.G

    def _step_tutorial(self):
        "The TF DCGAN tutorial's train_step: both networks updated from one forward pass, non-saturating BCE on logits."
        r, b = self.r, self.r.batch
        idx = self.rng.uniform((b,), 0, self.n, dtype=tf.int32)
        real = tf.cast(tf.gather(self.images, idx), tf.float32) / 127.5 - 1.0
        bce = lambda labels, logits: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.G(self.rng.normal((b, r.latent_dim)), training=True)
            real_logits, fake_logits = self.D(real, training=True), self.D(fake, training=True)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
        self.opt_d.apply_gradients(zip(d_tape.gradient(d_loss, self.D.trainable_variables), self.D.trainable_variables))
        self.opt_g.apply_gradients(zip(g_tape.gradient(g_loss, self.G.trainable_variables), self.G.trainable_variables))
        self.step_count.assign_add(1)
        self._update_ema()
        return d_loss, g_loss

    def _update_ema(self):
        if self.G_ema is None: return
        r = self.r
        t = tf.cast(self.step_count, tf.float32)
        decay = tf.minimum(r.ema, (1.0 + t) / (10.0 + t)) if r.ema_warmup else tf.constant(r.ema)
        for e, w in zip(self.G_ema.weights, self.G.weights):  # all weights, batch-norm statistics included
            e.assign(decay * e + (1.0 - decay) * w)

    def _step_kerasio(self):
        "keras-io's train_step: the discriminator on [fake; real] with labels [1; 0] + noise, then the generator on new latents."
        r, b = self.r, self.r.batch
        idx = self.rng.uniform((b,), 0, self.n, dtype=tf.int32)
        real = tf.cast(tf.gather(self.images, idx), tf.float32) / 255.0  # its images are in [0, 1]
        fake = self.G(self.rng.normal((b, r.latent_dim)), training=True)
        labels = tf.concat([tf.ones((b, 1)), tf.zeros((b, 1))], 0)
        labels += 0.05 * self.rng.uniform(tf.shape(labels))
        bce = lambda y, p: tf.reduce_mean(keras.losses.binary_crossentropy(y, p))
        with tf.GradientTape() as tape:
            d_loss = bce(labels, self.D(tf.concat([fake, real], 0), training=True))
        self.opt_d.apply_gradients(zip(tape.gradient(d_loss, self.D.trainable_variables), self.D.trainable_variables))
        with tf.GradientTape() as tape:
            g_loss = bce(tf.zeros((b, 1)), self.D(self.G(self.rng.normal((b, r.latent_dim)), training=True), training=True))
        self.opt_g.apply_gradients(zip(tape.gradient(g_loss, self.G.trainable_variables), self.G.trainable_variables))
        self.step_count.assign_add(1)
        return d_loss, g_loss

    def _ada_augment(self, x):
        "Each image replaced by its augmented version with probability p (GAN-ADA's AdaptiveAugmenter.call)."
        augmented = self.augmenter(x, training=True)
        return tf.where(self.rng.uniform((tf.shape(x)[0], 1, 1, 1)) < self.ada_p, augmented, x)

    def _update_ada_p(self, real_logits):
        "p <- clip(p + (accuracy on real - target) / integration_steps, 0, 1); accuracy = mean(0.5 (1 + sign(logit)))."
        accuracy = tf.reduce_mean(0.5 * (1.0 + tf.sign(tf.cast(real_logits, tf.float32))))
        self.ada_p.assign(tf.clip_by_value(self.ada_p + (accuracy - ADA_TARGET) / ADA_INTEGRATION_STEPS, 0.0, 1.0))

    def _step_ada(self):
        "GAN-ADA's train_step: augmented real and fake batches, separate D passes, both updates from one persistent tape."
        r, b = self.r, self.r.batch
        idx = self.rng.uniform((b,), 0, self.n, dtype=tf.int32)
        real = self._ada_augment(tf.cast(tf.gather(self.images, idx), tf.float32) / 255.0)  # its images are in [0, 1]
        bce = lambda labels, logits: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels, logits))
        with tf.GradientTape(persistent=True) as tape:
            fake = self._ada_augment(self.G(self.rng.normal((b, r.latent_dim)), training=True))  # gradients flow through
            real_logits = self.D(real, training=True)
            fake_logits = self.D(fake, training=True)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = bce(tf.concat([tf.ones_like(real_logits), tf.zeros_like(fake_logits)], 0),
                         tf.concat([real_logits, fake_logits], 0))
        g_grads = tape.gradient(g_loss, self.G.trainable_variables)
        d_grads = tape.gradient(d_loss, self.D.trainable_variables)
        del tape
        self.opt_g.apply_gradients(zip(g_grads, self.G.trainable_variables))
        self.opt_d.apply_gradients(zip(d_grads, self.D.trainable_variables))
        self._update_ada_p(real_logits)
        self.step_count.assign_add(1)
        self._update_ema()
        return d_loss, g_loss

    def step(self):
        "One training step; returns the (discriminator, generator) losses as tensors."
        return self._step()
