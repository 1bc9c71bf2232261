"""Colour-GAN experiments on a few thousand images, on a CPU (issue 20).

Standalone Keras 3 / TensorFlow code (does not import aa_gan): the record of the first colour ablation, run while the
package was being restructured, so it could not train through it. Its results are images/colour/*.json. What won went
into the package (03a_small: the networks at every size; 03b_augment: DiffAugment); the next round of this ablation
belongs in scripts/time_to_quality.py, through the package's own path, as the 28x28 one does.

    python scripts/colour_lab.py scorer  [--data runs/colour/emoji64]
    python scripts/colour_lab.py train   NAME [--size 64] [--budget 600] [options]
    python scripts/colour_lab.py peer    NAME [--budget 600]

* `scorer`: trains a small CNN classifier on the emoji set (100 subgroups), whose global-average
  pooled layer "features" is the feature space for FID and k-NN precision/recall; saves it as
  images/colour/scorer.keras and a calibration table images/colour/scorer_calibration.json.
* `train`: a fast DCGAN recipe with DiffAugment (optionally ADA-style adaptive strength), R1,
  spectral norm, EMA generator, XLA train step; trains for a wall-clock budget, and at each
  checkpoint (2, 5, 10 min ...) saves the EMA generator, an 8x8 grid and its scores.
* `peer`: keras-io's "DCGAN to generate face images", re-written from its description,
  run with the same harness, data and scorer.
"""
import argparse, csv, json, math, os, shutil, sys, time
from pathlib import Path

import numpy as np

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import tensorflow as tf
import keras
from keras import layers
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'images' / 'colour'
RUNS = ROOT / 'runs' / 'colour'
DATA = RUNS / 'emoji64'
SCORER = RESULTS / 'scorer.keras'
SCORER_SIZE = 64


# ----------------------------------------------------------------------------- data & machine

def machine():
    "CPU model name, cores and the vector extensions that matter for speed."
    info = Path('/proc/cpuinfo').read_text()
    name = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')), '?')
    flags = next((l.split(':', 1)[1].split() for l in info.splitlines() if l.startswith('flags')), [])
    ext = [f for f in ('avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_bf16') if f in flags]
    return {'cpu': name, 'cores': os.cpu_count(), 'extensions': ext, 'tensorflow': tf.__version__,
            'keras': keras.__version__}


def load_images(folder=DATA, size=None, channels=3):
    """All PNG/JPEG images under FOLDER (sorted paths) as uint8 (N, size, size, channels), and the
    labels of emoji.csv if there is one (subgroup and group indices, else the sub-folder index)."""
    folder = Path(folder)
    index = folder / 'emoji.csv'
    if index.exists():
        rows = list(csv.DictReader(open(index, encoding='utf-8')))
        paths = [folder / r['path'] for r in rows]
        subgroups = sorted({r['subgroup'] for r in rows}); groups = sorted({r['group'] for r in rows})
        sub = np.array([subgroups.index(r['subgroup']) for r in rows])
        grp = np.array([groups.index(r['group']) for r in rows])
    else:
        paths = sorted(p for p in folder.rglob('*') if p.suffix.lower() in ('.png', '.jpg', '.jpeg'))
        dirs = sorted({p.parent for p in paths}); sub = grp = np.array([dirs.index(p.parent) for p in paths])
        subgroups = groups = [str(d) for d in dirs]
    mode = 'L' if channels == 1 else 'RGB'
    def read(p):
        im = Image.open(p)
        if im.mode in ('RGBA', 'LA', 'P'):            # transparency -> white background
            im = im.convert('RGBA'); bg = Image.new('RGBA', im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        im = im.convert(mode)
        if size and im.size != (size, size): im = im.resize((size, size), Image.BOX if im.width > size else Image.BICUBIC)
        return np.asarray(im).reshape(im.height, im.width, channels)
    x = np.stack([read(p) for p in paths])
    return x, {'subgroup': sub, 'group': grp, 'subgroups': subgroups, 'groups': groups}


def save_grid(images, path, nrow=8):
    "images: float in [0,1] or uint8, (n, h, w, c) -> one PNG of nrow columns."
    x = np.asarray(images)
    if x.dtype != np.uint8: x = np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
    if x.shape[-1] == 1: x = np.repeat(x, 3, -1)
    n, h, w, c = x.shape; rows = math.ceil(n / nrow)
    g = np.full((rows * h, nrow * w, 3), 255, np.uint8)
    for i in range(n): g[(i // nrow) * h:(i // nrow + 1) * h, (i % nrow) * w:(i % nrow + 1) * w] = x[i]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(g).save(path)


# ----------------------------------------------------------------------------- scorer

def build_classifier(n_classes, size=SCORER_SIZE, widths=(32, 64, 128, 256)):
    "Small CNN on [0,1] RGB images; its GlobalAveragePooling layer 'features' is the scorer's feature space."
    inp = keras.Input((size, size, 3))
    x = layers.Rescaling(2.0, offset=-1.0)(inp)
    for w in widths:
        x = layers.Conv2D(w, 3, padding='same', use_bias=False)(x)
        x = layers.BatchNormalization()(x); x = layers.ReLU()(x)
        x = layers.Conv2D(w, 3, strides=2, padding='same', use_bias=False)(x)
        x = layers.BatchNormalization()(x); x = layers.ReLU()(x)
    f = layers.GlobalAveragePooling2D(name='features')(x)
    out = layers.Dense(n_classes)(layers.Dropout(0.3)(f))
    return keras.Model(inp, out, name='emoji_classifier')


def to_scorer_input(x):
    "uint8 or [0,1] float images of any size / 1 or 3 channels -> float32 (n, 64, 64, 3) in [0,1]."
    x = tf.convert_to_tensor(x)
    x = tf.cast(x, tf.float32) / 255.0 if x.dtype == tf.uint8 else tf.cast(x, tf.float32)
    if x.shape[-1] == 1: x = tf.repeat(x, 3, axis=-1)
    if x.shape[1] != SCORER_SIZE:
        x = tf.image.resize(x, (SCORER_SIZE, SCORER_SIZE), method='area' if x.shape[1] > SCORER_SIZE else 'bilinear')
    return tf.clip_by_value(x, 0.0, 1.0)


def down_up(x, size):
    "Down-sample [0,1] or uint8 images to SIZE by area averaging (the resolution of a smaller GAN)."
    x = to_scorer_input(x)
    return tf.image.resize(x, (size, size), method='area')


class Scorer:
    "FID and k-NN precision/recall (Kynkäänniemi et al. 2019) on the emoji classifier's 'features'."
    def __init__(self, path=SCORER):
        clf = keras.models.load_model(path, compile=False)
        self.net = keras.Model(clf.input, clf.get_layer('features').output)
        self._f = tf.function(lambda x: self.net(x, training=False), jit_compile=False)

    def features(self, x, batch=250):
        out = []
        for i in range(0, len(x), batch):
            out.append(self._f(to_scorer_input(x[i:i + batch])).numpy())
        return np.concatenate(out).astype(np.float64)

    @staticmethod
    def fid(f1, f2):
        from scipy import linalg
        m1, m2 = f1.mean(0), f2.mean(0)
        s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
        covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
        if not np.isfinite(covmean).all():
            eps = 1e-6 * np.eye(len(m1)); covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
        covmean = covmean.real
        return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))

    @staticmethod
    def precision_recall(real, fake, k=3):
        "Fraction of FAKE inside the real manifold (precision) and of REAL inside the fake one (recall)."
        def d2(a, b):
            return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T, 0)
        def radii(a):
            d = d2(a, a); return np.sqrt(np.sort(d, 1)[:, k])      # column 0 is the point itself
        rr, rf = radii(real), radii(fake)
        d = np.sqrt(d2(fake, real))                                  # (n_fake, n_real)
        precision = float((d <= rr[None]).any(1).mean())
        recall = float((d.T <= rf[None]).any(1).mean())
        return precision, recall

    def score(self, fake, real=None, real_features=None, k=3):
        ff = self.features(fake)
        fr = self.features(real) if real_features is None else real_features
        p, r = self.precision_recall(fr, ff, k)
        return {'fid': round(self.fid(fr, ff), 3), 'precision': round(p, 4), 'recall': round(r, 4),
                'n_fake': len(ff), 'n_real': len(fr)}


def cmd_scorer(a):
    t0 = time.time()
    x, lab = load_images(a.data, SCORER_SIZE)
    y = lab['subgroup']; n_classes = len(lab['subgroups'])
    rng = np.random.default_rng(0); perm = rng.permutation(len(x))
    n_val = len(x) // 10; val, tr = perm[:n_val], perm[n_val:]
    keras.utils.set_random_seed(0)
    clf = build_classifier(n_classes)
    aug = keras.Sequential([layers.RandomTranslation(0.1, 0.1, fill_mode='constant', fill_value=1.0),
                            layers.RandomZoom(0.1, fill_mode='constant', fill_value=1.0),
                            layers.RandomContrast(0.2)])
    def ds(idx, train):
        d = tf.data.Dataset.from_tensor_slices((x[idx], y[idx]))
        if train: d = d.shuffle(len(idx), seed=0)
        d = d.batch(64).map(lambda im, l: (tf.cast(im, tf.float32) / 255.0, l))
        if train: d = d.map(lambda im, l: (tf.clip_by_value(aug(im, training=True), 0, 1), l))
        return d.prefetch(2)
    steps = a.epochs * math.ceil(len(tr) / 64)
    clf.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])
    hist = clf.fit(ds(tr, True), validation_data=ds(val, False), epochs=a.epochs, verbose=2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    clf.save(SCORER)
    train_s = time.time() - t0
    # calibration: two disjoint halves of the real set, and damaged copies of the second half
    sc = Scorer(SCORER)
    half = len(x) // 2; p2 = np.random.default_rng(1).permutation(len(x))
    A, B = x[p2[:half]], x[p2[half:2 * half]]
    fa = sc.features(A)
    Bf = B.astype(np.float32) / 255.0
    noise = np.random.default_rng(2)
    cases = {
        'real half vs other half': B,
        'real + gaussian noise sd 0.05': np.clip(Bf + noise.normal(0, 0.05, Bf.shape), 0, 1),
        'real + gaussian noise sd 0.1': np.clip(Bf + noise.normal(0, 0.1, Bf.shape), 0, 1),
        'real + gaussian noise sd 0.2': np.clip(Bf + noise.normal(0, 0.2, Bf.shape), 0, 1),
        'real at 32x32 (area down, bilinear up)': down_up(B, 32).numpy(),
        'real blurred (16x16 and back)': down_up(B, 16).numpy(),
        'mean image (N copies)': np.repeat(Bf.mean(0, keepdims=True), len(B), 0),
        'one real image repeated': np.repeat(Bf[:1], len(B), 0),
        'uniform noise': noise.uniform(0, 1, Bf.shape).astype(np.float32),
    }
    table = {name: sc.score(imgs, real_features=fa) for name, imgs in cases.items()}
    out = {'classifier': str(SCORER.relative_to(ROOT)), 'labels': f'{n_classes} emoji subgroups',
           'feature_layer': 'features (GlobalAveragePooling2D, 256-d)', 'k': 3,
           'params': clf.count_params(), 'file_bytes': SCORER.stat().st_size,
           'val_accuracy': round(float(hist.history['val_accuracy'][-1]), 4),
           'train_accuracy': round(float(hist.history['accuracy'][-1]), 4),
           'epochs': a.epochs, 'train_seconds': round(train_s, 1), 'n_images': len(x),
           'n_per_side': half, 'machine': machine(), 'calibration': table,
           'command': 'python scripts/colour_lab.py ' + ' '.join(sys.argv[1:])}
    (RESULTS / 'scorer_calibration.json').write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


# ----------------------------------------------------------------------------- GAN models

def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def build_generator(size=64, channels=3, latent=128, width=32, act='lrelu', max_width=512):
    """DCGAN generator: Dense -> 4x4xC, then transposed-conv blocks (x2 each) with batch norm and
    LeakyReLU(0.2) (act='lrelu') or ReLU, the last one to CHANNELS with tanh.  Channels halve at
    each step up and are width at the last hidden resolution: 4x4 x width*2^(n-1) for n up-steps.
    Sizes 28 (7x7 start) and 4*2^n (32, 64, 128) are supported."""
    start = 7 if size == 28 else 4
    n_up = int(round(math.log2(size / start)))
    assert start * 2 ** n_up == size, size
    Act = (lambda: layers.LeakyReLU(0.2)) if act == 'lrelu' else layers.ReLU
    c = min(max_width, width * 2 ** (n_up - 1))
    z = keras.Input((latent,))
    x = layers.Dense(start * start * c, use_bias=False, kernel_initializer=_init())(z)
    x = layers.Reshape((start, start, c))(x)
    x = Act()(layers.BatchNormalization(momentum=0.9)(x))
    for i in range(n_up - 1):
        c = min(max_width, width * 2 ** (n_up - 2 - i))
        x = layers.Conv2DTranspose(c, 4, strides=2, padding='same', use_bias=False, kernel_initializer=_init())(x)
        x = Act()(layers.BatchNormalization(momentum=0.9)(x))
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding='same', kernel_initializer=_init())(x)
    out = layers.Activation('tanh', dtype='float32')(x)
    return keras.Model(z, out, name='generator')


def build_discriminator(size=64, channels=3, width=32, sn=False, max_width=512):
    """DCGAN discriminator without normalisation: 4x4 stride-2 convs with LeakyReLU(0.2) down to
    4x4 (7x7 for 28), widths width, 2*width, ..., then Flatten and Dense(1) -> a logit.
    sn=True wraps every conv / dense layer in spectral normalisation."""
    start = 7 if size == 28 else 4
    n_down = int(round(math.log2(size / start)))
    wrap = (lambda l: layers.SpectralNormalization(l)) if sn else (lambda l: l)
    x = inp = keras.Input((size, size, channels))
    for i in range(n_down):
        c = min(max_width, width * 2 ** i)
        x = wrap(layers.Conv2D(c, 4, strides=2, padding='same', kernel_initializer=_init()))(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    out = wrap(layers.Dense(1, kernel_initializer=_init()))(x)
    out = layers.Activation('linear', dtype='float32')(out)
    return keras.Model(inp, out, name='discriminator')


# ----------------------------------------------------------------------------- DiffAugment
# After Zhao et al. 2020 (mit-han-lab/data-efficient-gans, DiffAugment_tf.py), for NHWC images in
# [-1, 1]; every transform draws its parameters per image from a tf.random.Generator (XLA-safe),
# and is applied to each image with probability p (p = 1: the original DiffAugment; p < 1:
# ADA-style strength).  Translation is a tf.gather with batch_dims over a zero-padded batch.

def _apply_p(rng, x, y, p):
    if p is None: return y
    keep = rng.uniform([tf.shape(x)[0], 1, 1, 1]) < p
    return tf.where(keep, y, x)


def aug_colour(rng, x, p=None, strength=1.0):
    B = tf.shape(x)[0]
    y = x + (rng.uniform([B, 1, 1, 1]) - 0.5) * strength                       # brightness
    m = tf.reduce_mean(y, axis=3, keepdims=True)
    y = (y - m) * (1 + (rng.uniform([B, 1, 1, 1]) * 2 - 1) * strength) + m    # saturation x[0, 2]
    m = tf.reduce_mean(y, axis=[1, 2, 3], keepdims=True)
    y = (y - m) * (1 + (rng.uniform([B, 1, 1, 1]) - 0.5) * strength) + m      # contrast x[0.5, 1.5]
    return _apply_p(rng, x, y, p)


def aug_translation(rng, x, p=None, ratio=0.125):
    B, H, W = tf.shape(x)[0], x.shape[1], x.shape[2]
    sh, sw = int(H * ratio + 0.5), int(W * ratio + 0.5)
    ty = rng.uniform([B, 1], -sh, sh + 1, dtype=tf.int32)
    tx = rng.uniform([B, 1], -sw, sw + 1, dtype=tf.int32)
    gy = tf.clip_by_value(tf.range(H)[None] + ty + 1, 0, H + 1)               # rows of the padded image
    gx = tf.clip_by_value(tf.range(W)[None] + tx + 1, 0, W + 1)
    xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])                           # zeros (= mid grey in [-1,1])
    y = tf.gather(xp, gy, axis=1, batch_dims=1)                                # (B, H, W+2, C)
    y = tf.gather(y, gx, axis=2, batch_dims=1)                                 # (B, H, W, C)
    return _apply_p(rng, x, y, p)


def aug_cutout(rng, x, p=None, ratio=0.5):
    B, H, W = tf.shape(x)[0], x.shape[1], x.shape[2]
    ch, cw = int(H * ratio + 0.5), int(W * ratio + 0.5)
    cy = rng.uniform([B, 1, 1], 0, H + (1 - ch % 2), dtype=tf.int32)
    cx = rng.uniform([B, 1, 1], 0, W + (1 - cw % 2), dtype=tf.int32)
    yy = tf.range(H)[None, :, None]; xx = tf.range(W)[None, None, :]
    inside = (yy - cy >= -(ch // 2)) & (yy - cy < ch - ch // 2) & (xx - cx >= -(cw // 2)) & (xx - cx < cw - cw // 2)
    y = x * tf.cast(~inside, x.dtype)[..., None]
    return _apply_p(rng, x, y, p)


AUGMENTS = {'color': aug_colour, 'translation': aug_translation, 'cutout': aug_cutout}


def diff_augment(rng, x, policy='color,translation,cutout', p=None):
    "DiffAugment of a batch in [-1, 1] (differentiable w.r.t. x); policy '' = identity."
    for name in filter(None, policy.split(',')):
        x = AUGMENTS[name](rng, x, p)
    return x


# ----------------------------------------------------------------------------- the GAN trainer

class GAN:
    """Non-saturating GAN on logits with an EMA generator and one XLA-compiled train step that
    updates D then G on a batch drawn (inside the step) from the whole image set held in memory."""
    def __init__(self, G, D, data_uint8, batch=64, lr_g=2e-4, lr_d=2e-4, beta1=0.5, ema=0.999,
                 policy='color,translation,cutout', ada=False, ada_target=0.6, ada_kimg=100, r1=0.0,
                 latent=128, seed=0, jit=True, value_range='tanh', loss='ns'):
        self.G, self.D, self.batch, self.latent, self.policy, self.r1 = G, D, batch, latent, policy, r1
        self.G_ema = keras.models.clone_model(G); self.G_ema.set_weights(G.get_weights())
        self.ema, self.ada, self.ada_target = ema, ada, ada_target
        self.ada_step = batch / (ada_kimg * 1000.0)
        self.value_range, self.loss = value_range, loss
        self.data = tf.Variable(data_uint8, trainable=False, dtype=tf.uint8)
        self.n = int(data_uint8.shape[0])
        self.rng = tf.random.Generator.from_seed(seed)
        self.p = tf.Variable(0.0 if ada else 1.0, trainable=False)
        self.g_opt = keras.optimizers.Adam(lr_g, beta_1=beta1, beta_2=0.999)
        self.d_opt = keras.optimizers.Adam(lr_d, beta_1=beta1, beta_2=0.999)
        self.g_opt.build(G.trainable_variables); self.d_opt.build(D.trainable_variables)
        self.step = tf.function(self._step, jit_compile=jit)

    def real_batch(self):
        idx = self.rng.uniform([self.batch], 0, self.n, dtype=tf.int32)
        x = tf.cast(tf.gather(self.data, idx), tf.float32) / 127.5 - 1.0
        return x if self.value_range == 'tanh' else (x + 1) / 2

    def aug(self, x):
        if not self.policy: return x
        if self.value_range != 'tanh': return (diff_augment(self.rng, x * 2 - 1, self.policy, self.p if self.ada else None) + 1) / 2
        return diff_augment(self.rng, x, self.policy, self.p if self.ada else None)

    def _d_losses(self, real_logits, fake_logits):
        if self.loss == 'peer':          # keras-io: sigmoid D, label 1 = fake, noisy labels
            lf = tf.ones_like(fake_logits) + 0.05 * self.rng.uniform(tf.shape(fake_logits))
            lr = tf.zeros_like(real_logits) + 0.05 * self.rng.uniform(tf.shape(real_logits))
            return tf.reduce_mean(keras.losses.binary_crossentropy(tf.concat([lf, lr], 0), tf.concat([fake_logits, real_logits], 0)))
        return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))

    def _g_loss(self, fake_logits):
        if self.loss == 'peer':
            return tf.reduce_mean(keras.losses.binary_crossentropy(tf.zeros_like(fake_logits), fake_logits))
        return tf.reduce_mean(tf.nn.softplus(-fake_logits))

    def _step(self):
        B = self.batch
        real = self.real_batch()
        z = self.rng.normal([B, self.latent])
        with tf.GradientTape() as tape:
            fake = self.G(z, training=True)
            real_aug = self.aug(real)
            if self.r1 > 0:
                real_aug = tf.cast(real_aug, self.D.compute_dtype)     # under mixed precision too
                with tf.GradientTape() as rt:
                    rt.watch(real_aug)
                    real_logits = self.D(real_aug, training=True)
                g = rt.gradient(tf.reduce_sum(real_logits), real_aug)
                r1 = tf.reduce_mean(tf.reduce_sum(tf.square(tf.cast(g, tf.float32)), axis=[1, 2, 3]))
            else:
                real_logits = self.D(real_aug, training=True); r1 = 0.0
            fake_logits = self.D(self.aug(tf.stop_gradient(fake)), training=True)
            d_loss = self._d_losses(real_logits, fake_logits)
            d_total = d_loss + 0.5 * self.r1 * r1
        grads = tape.gradient(d_total, self.D.trainable_variables)
        self.d_opt.apply_gradients(zip(grads, self.D.trainable_variables))
        z = self.rng.normal([B, self.latent])
        with tf.GradientTape() as tape:
            fake_logits = self.D(self.aug(self.G(z, training=True)), training=True)
            g_loss = self._g_loss(fake_logits)
        grads = tape.gradient(g_loss, self.G.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.G.trainable_variables))
        t = tf.cast(self.g_opt.iterations, tf.float32)                   # EMA warm-up: (1+t)/(10+t)
        decay = tf.minimum(self.ema, (1.0 + t) / (10.0 + t))
        for e, w in zip(self.G_ema.weights, self.G.weights):
            e.assign(decay * e + (1 - decay) * w)
        sign_real = tf.reduce_mean(tf.sign(real_logits if self.loss != 'peer' else 0.5 - real_logits))
        if self.ada:
            self.p.assign(tf.clip_by_value(self.p + tf.sign(sign_real - self.ada_target) * self.ada_step, 0.0, 1.0))
        return {'d_loss': d_loss, 'g_loss': g_loss, 'r1': r1, 'rt': sign_real, 'p': self.p.value()}

    def sample(self, z, batch=250):
        out = []
        for i in range(0, len(z), batch):
            x = self.G_ema(z[i:i + batch], training=False)
            out.append(((x + 1) / 2 if self.value_range == 'tanh' else x).numpy())
        return np.clip(np.concatenate(out), 0, 1)

    # --- resumable state: weights of the three models, optimizer slots, RNG, counters
    def save_state(self, folder, extra):
        folder = Path(folder); tmp = folder.with_name(folder.name + '.tmp'); shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.G.save_weights(tmp / 'G.weights.h5'); self.D.save_weights(tmp / 'D.weights.h5')
        self.G_ema.save_weights(tmp / 'G_ema.weights.h5')
        np.savez(tmp / 'opt.npz', *[v.numpy() for v in self.g_opt.variables + self.d_opt.variables])
        np.save(tmp / 'rng.npy', self.rng.state.numpy())
        (tmp / 'state.json').write_text(json.dumps(dict(extra, p=float(self.p.numpy()))))
        shutil.rmtree(folder, ignore_errors=True); tmp.rename(folder)

    def load_state(self, folder):
        folder = Path(folder)
        self.G.load_weights(folder / 'G.weights.h5'); self.D.load_weights(folder / 'D.weights.h5')
        self.G_ema.load_weights(folder / 'G_ema.weights.h5')
        arrs = np.load(folder / 'opt.npz'); vs = self.g_opt.variables + self.d_opt.variables
        for i, v in enumerate(vs): v.assign(arrs[f'arr_{i}'])
        self.rng.reset(np.load(folder / 'rng.npy'))
        st = json.loads((folder / 'state.json').read_text()); self.p.assign(st['p'])
        return st


def build_peer(size=64, latent=128):
    """keras-io "DCGAN to generate face images" (fchollet), from its description: images in [0,1],
    G Dense 8x8x128 -> Conv2DTranspose 128, 256, 512 (4x4, stride 2) + LeakyReLU(0.2) -> 5x5 Conv2D
    sigmoid; D Conv2D 64, 128, 128 (4x4, stride 2) + LeakyReLU(0.2), Flatten, Dropout 0.2, Dense 1
    sigmoid; BCE; Adam 1e-4 both; batch 32."""
    G = keras.Sequential([keras.Input((latent,)), layers.Dense(8 * 8 * 128), layers.Reshape((8, 8, 128)),
                          layers.Conv2DTranspose(128, 4, strides=2, padding='same'), layers.LeakyReLU(0.2),
                          layers.Conv2DTranspose(256, 4, strides=2, padding='same'), layers.LeakyReLU(0.2),
                          layers.Conv2DTranspose(512, 4, strides=2, padding='same'), layers.LeakyReLU(0.2),
                          layers.Conv2D(3, 5, padding='same', activation='sigmoid', dtype='float32')], name='peer_generator')
    D = keras.Sequential([keras.Input((size, size, 3)),
                          layers.Conv2D(64, 4, strides=2, padding='same'), layers.LeakyReLU(0.2),
                          layers.Conv2D(128, 4, strides=2, padding='same'), layers.LeakyReLU(0.2),
                          layers.Conv2D(128, 4, strides=2, padding='same'), layers.LeakyReLU(0.2),
                          layers.Flatten(), layers.Dropout(0.2), layers.Dense(1, activation='sigmoid', dtype='float32')],
                         name='peer_discriminator')
    return G, D


def run_training(a, peer=False):
    "Train for a.budget seconds of wall clock (compile included, scoring excluded), resumable."
    out = RUNS / a.name; out.mkdir(parents=True, exist_ok=True)
    cfg = {k: v for k, v in vars(a).items() if k not in ('cmd',)}
    if a.precision == 'auto':
        a.precision = 'bf16' if {'avx512_bf16', 'amx_bf16'} & set(machine()['extensions']) else 'fp32'
    cfg['precision'] = a.precision
    if a.precision == 'bf16': keras.mixed_precision.set_global_policy('mixed_bfloat16')
    keras.utils.set_random_seed(a.seed)
    x, _ = load_images(a.data, a.size, a.channels)
    if peer:
        G, D = build_peer(a.size, a.latent)
        gan = GAN(G, D, x, batch=a.batch, lr_g=1e-4, lr_d=1e-4, beta1=0.9, ema=0.0, policy='', latent=a.latent,
                  seed=a.seed, jit=a.jit, value_range='sigmoid', loss='peer')
    else:
        G = build_generator(a.size, a.channels, a.latent, a.g_width, a.g_act)
        D = build_discriminator(a.size, a.channels, a.d_width, a.sn)
        gan = GAN(G, D, x, batch=a.batch, lr_g=a.lr_g, lr_d=a.lr_d, beta1=a.beta1, ema=a.ema, policy=a.policy,
                  ada=a.ada, ada_target=a.ada_target, ada_kimg=a.ada_kimg, r1=a.r1, latent=a.latent, seed=a.seed,
                  jit=a.jit)
    # scoring reference: N real images, fixed; a 64 run is also scored after area-downsampling to 32
    scorer = Scorer()
    ridx = np.random.default_rng(123).permutation(len(x))[:a.n_score]
    real = x[ridx]; fr = scorer.features(real)
    fr32 = scorer.features(down_up(real, 32).numpy()) if a.size > 32 else None
    z_grid = np.random.default_rng(7).normal(size=(64, a.latent)).astype(np.float32)
    z_score = np.random.default_rng(8).normal(size=(a.n_score, a.latent)).astype(np.float32)
    checkpoints = sorted(int(c) for c in a.checkpoints.split(',') if int(c) <= a.budget)
    if a.budget not in checkpoints: checkpoints.append(a.budget)
    res_path = out / 'result.json'
    state = {'elapsed': 0.0, 'steps': 0, 'done': []}
    result = {'name': a.name, 'config': cfg, 'machine': machine(), 'params_G': G.count_params(),
              'params_D': D.count_params(), 'n_images': len(x), 'checkpoints': [], 'log': []}
    if (out / 'state').exists() and not a.restart:
        state = gan.load_state(out / 'state'); result = json.loads(res_path.read_text())
        result['config'] = cfg; print(f"resumed at {state['elapsed']:.0f} s, step {state['steps']}", flush=True)
    elapsed, steps = state['elapsed'], state['steps']
    t_last_save = elapsed; log_every = 50
    t0 = time.time(); first = steps == 0
    while elapsed < a.budget:
        m = gan.step(); steps += 1
        if first:
            float(m['d_loss']); result['compile_s'] = round(time.time() - t0, 1); first = False
        if steps % 10 == 0 or steps < 10:
            float(m['d_loss'])                                              # sync the clock
            now = time.time(); elapsed += now - t0; t0 = now
        if steps % log_every == 0:
            rec = {k: round(float(v), 4) for k, v in m.items()}
            rec.update(step=steps, t=round(elapsed, 1), img_s=round(steps * a.batch / elapsed, 1),
                       load=round(os.getloadavg()[0], 2))
            result['log'].append(rec); print(json.dumps(rec), flush=True)
        due = [c for c in checkpoints if c not in state['done'] and elapsed >= c]
        if due or elapsed - t_last_save >= a.save_every:
            c = due[0] if due else None
            if c is not None:
                ts = time.time()
                fake = gan.sample(z_score)
                sc = scorer.score(fake, real_features=fr)
                if fr32 is not None:
                    s32 = scorer.score(down_up(fake, 32).numpy(), real_features=fr32)
                    sc.update(fid32=s32['fid'], precision32=s32['precision'], recall32=s32['recall'])
                sc.update(minutes=round(c / 60, 2), t=round(elapsed, 1), steps=steps, kimg=round(steps * a.batch / 1000, 1),
                          img_s=round(steps * a.batch / elapsed, 1), p=round(float(gan.p.numpy()), 3),
                          score_s=round(time.time() - ts, 1), loadavg_1min=round(os.getloadavg()[0], 2),
                          process_cpu_s=round(time.process_time(), 1))
                tag = f'{int(round(c / 60)):02d}min' if c % 60 == 0 else f'{c}s'
                save_grid(gan.sample(z_grid), out / f'grid_{tag}.png')
                gan.G_ema.save(out / f'G_ema_{tag}.keras')
                result['checkpoints'].append(sc); state['done'].append(c)
                print('CHECKPOINT', json.dumps(sc), flush=True)
            gan.save_state(out / 'state', {'elapsed': elapsed, 'steps': steps, 'done': state['done']})
            res_path.write_text(json.dumps(result, indent=1))
            t_last_save = elapsed; t0 = time.time()                        # scoring/saving not counted
    result['images_per_s'] = round(steps * a.batch / elapsed, 1)
    res_path.write_text(json.dumps(result, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'{a.name}.json').write_text(json.dumps(result, indent=1))
    print('DONE', a.name, json.dumps(result['checkpoints']), flush=True)


def cmd_train(a): run_training(a)
def cmd_peer(a): run_training(a, peer=True)


# ----------------------------------------------------------------------------- main

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('scorer'); s.add_argument('--data', default=str(DATA)); s.add_argument('--epochs', type=int, default=30)
    for cmd in ('train', 'peer'):
        t = sub.add_parser(cmd); t.add_argument('name')
        t.add_argument('--data', default=str(DATA)); t.add_argument('--size', type=int, default=64)
        t.add_argument('--channels', type=int, default=3); t.add_argument('--latent', type=int, default=128)
        t.add_argument('--budget', type=int, default=600, help='training seconds (wall clock)')
        t.add_argument('--checkpoints', default='60,120,200,300,600,900,1200,1800')
        t.add_argument('--save-every', type=int, default=120, help='resumable state every N training seconds')
        t.add_argument('--n-score', type=int, default=2000)
        t.add_argument('--batch', type=int, default=64 if cmd == 'train' else 32)
        t.add_argument('--lr-g', type=float, default=2e-4); t.add_argument('--lr-d', type=float, default=2e-4)
        t.add_argument('--beta1', type=float, default=0.5); t.add_argument('--ema', type=float, default=0.999)
        t.add_argument('--g-width', type=int, default=32); t.add_argument('--d-width', type=int, default=32)
        t.add_argument('--g-act', default='lrelu', choices=['lrelu', 'relu'])
        t.add_argument('--policy', default='color,translation,cutout', help="DiffAugment policy; '' = off")
        t.add_argument('--ada', action='store_true', help='adaptive augmentation probability p (target r_t)')
        t.add_argument('--ada-target', type=float, default=0.6); t.add_argument('--ada-kimg', type=float, default=100)
        t.add_argument('--r1', type=float, default=0.0); t.add_argument('--sn', action='store_true')
        t.add_argument('--precision', default='auto', choices=['auto', 'fp32', 'bf16'],
                       help='auto: mixed_bfloat16 where the CPU has AVX-512 BF16 / AMX, else float32')
        t.add_argument('--jit', action='store_true', help='XLA-compile the train step (2.5x slower on these CPUs)')
        t.add_argument('--seed', type=int, default=0); t.add_argument('--restart', action='store_true')
    a = p.parse_args(argv)
    {'scorer': cmd_scorer, 'train': cmd_train, 'peer': cmd_peer}[a.cmd](a)


if __name__ == '__main__':
    main()
