"""Time to quality: train GAN contenders for a wall-clock budget on Fashion-MNIST or a folder and score them as they go.

Each contender trains on the dataset (`--dataset`: Fashion-MNIST's 60,000 training images, or every image of a folder,
e.g. the emoji colour set) in its OWN fresh Python process, one after the other. A contender is either a recipe of the
package (`fast`, `fast-cond`, or any name `aa-gan train --model` takes, optionally with `:key=value,...` fields of
`TrainConfig`, the options of `aa-gan train`: `fast:augment=none`, `fast:d_lr=0.0004,batch_size=64`), trained through
the package's own path: `runs._chosen` decides what `aa-gan train` would (a folder's image size, channels,
augmentation), `make_gan` builds it, `load_training_data` feeds it and `aa_gan.training.fit` trains it; or a peer, a
plain model written from its published description (`ttq_models.py`; `NAME:key=value,...` changes one of its knobs):
`peer`, the TensorFlow DCGAN tutorial (Fashion-MNIST), `kerasio`, keras-io's "DCGAN to generate face images", or
`ada`, keras-io's "Data-efficient GANs with Adaptive Discriminator Augmentation" (colour folders; their size and
channels follow `--image-size` / `--channels`). At fixed amounts of training time (`--times`, minutes) the
clock stops, the sampling generator (the EMA copy where there is one) is saved atomically as
`CKPT/<contender>/gen_<minutes>min.keras`, and the clock restarts. Training time counts everything from the first
training step on (graph tracing and XLA compilation included), but not loading the data, building the models or
saving. A checkpoint is taken when the training time plus half a step reaches the target, so it lands within half
a step of it; the table lists the exact training seconds. `--clock cpu` measures the times in the training process's
CPU seconds instead (fairer when other work shares the cores; with `--threads 1` on an idle machine they agree).

After all training, every saved generator is scored from its file. A folder: with `aa_gan.evaluation.evaluate_generator`
against N of the folder's images (the package's own scoring path, as `aa-gan evaluate` does). Fashion-MNIST: against
N real TEST images with the package's domain evaluator (`aa_gan.evaluation`): N generated images (fixed latents; labels 0..9 repeating for a
conditional generator) -> FID, KID, precision, recall, and for conditional generators the class agreement (the
fraction of images the domain classifier puts in the class that was asked for). Scores are cached beside the
generators (`scores.json`), so a re-run only scores what is new.

Output (OUT/<name>.md, .json, .png, _samples.png): a table (contender, minutes, images seen, FID, precision,
recall, class agreement), a compact one-row-per-contender table, the speed-up of each contender over the peer
(the time the peer needs to reach its best FID / the time the contender needs to reach that FID), and plots of
FID (log scale), precision, recall (and class agreement) against minutes.

Usage:
  python scripts/time_to_quality.py                                     # peer fast fast-cond, 1 2 5 10 min, N=10,000
  python scripts/time_to_quality.py --contenders peer fast --times 1 2 4 -n 2000 --threads 1
  python scripts/time_to_quality.py --contenders fast fast:ema=0 fast:batch=128 --out /tmp/ttq/abl --name ablation
  python scripts/time_to_quality.py --smoke --out /tmp/ttq/smoke        # ~0.5-1 min per contender, for tests
  python scripts/time_to_quality.py --report-only ...                   # no training: score and report what is saved
  python scripts/time_to_quality.py --dataset runs/colour/emoji64 --image-size 64 --contenders kerasio fast \
      --times 1 2 5 10 --threads 1 --clock cpu --out images/ttq --name colour64 --ckpt-dir /tmp/ttq/colour64
  python scripts/time_to_quality.py --ckpt-dir /tmp/ttq/final           # report in images/ttq, generators elsewhere
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATASET = "fashion_mnist"
DEFAULT_TIMES = (1.0, 2.0, 5.0, 10.0)
SMOKE_TIMES = (0.05, 0.1)
SMOKE_N = 500
SMOKE_BATCH = 32


def minutes_tag(m: float) -> str: return f"{m:g}"
def gen_path(folder: Path, m: float) -> Path: return folder / f"gen_{minutes_tag(m)}min.keras"


def set_threads(n: int | None):
    import tensorflow as tf
    if n:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def _atomic_json(path: Path, obj):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


# ---------------------------------------------------------------------------- training (worker process)
PEERS = ("peer", "kerasio", "ada")  # the plain models of ttq_models.py
def is_peer(spec: str) -> bool: return spec.split(":")[0] in PEERS
def is_folder(dataset: str) -> bool: return dataset != DATASET


def _value(text: str):
    "An override's value: an int, a float, or the text ('+' stands for ',' in lists such as augment=color+cutout)."
    for kind in (int, float):
        try: return kind(text)
        except ValueError: pass
    return text.replace("+", ",")


def package_config(spec: str, dataset: str, image_size, channels, batch, no_xla: bool, seed: int):
    "The `TrainConfig` of a package contender, as `aa-gan train` would resolve it (`runs._chosen`): 'fast:augment=none'."
    import dataclasses
    from aa_gan.config import TrainConfig
    from aa_gan.folders import open_folder
    from aa_gan.runs import _chosen
    name, _, overrides = spec.partition(":")
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    changes = {}
    for item in filter(None, overrides.split(",")):
        key, eq, value = item.partition("=")
        if not eq or key not in fields:
            raise ValueError(f"Bad override {item!r} in {spec!r}; use key=value with key a field of TrainConfig.")
        changes[key] = _value(value)
    config = TrainConfig(dataset=dataset, model=name, seed=seed, image_size=image_size, channels=channels,
                         **({"batch_size": batch} if batch else {}), **({"jit_compile": False} if no_xla else {}))
    config = dataclasses.replace(config, **changes).checked()
    return _chosen(config, open_folder(dataset)) if is_folder(dataset) else config


def run_recipe(spec: str, batch: int | None, no_xla: bool, dataset: str = DATASET, image_size=None, channels=None,
               seed: int = 0):
    "What a contender spec trains with, after --batch and --no-xla: the peer's knobs, or the package's (Recipe, TrainConfig)."
    import dataclasses
    if is_peer(spec):
        from ttq_models import parse_contender
        recipe = parse_contender(spec)
        if is_folder(dataset): recipe = dataclasses.replace(recipe, size=image_size or 64, channels=channels or 3)
        if batch: recipe = dataclasses.replace(recipe, batch=batch)
        if no_xla: recipe = dataclasses.replace(recipe, xla=False)
        return recipe
    from aa_gan.recipes import get_recipe
    config = package_config(spec, dataset, image_size, channels, batch, no_xla, seed)
    recipe = get_recipe(config.model)
    if config.batch_size: recipe = dataclasses.replace(recipe, batch_size=config.batch_size)
    if no_xla: recipe = dataclasses.replace(recipe, jit_compile=False)
    return recipe, config


def describe(recipe) -> dict:
    "A contender's settings as JSON, with the two fields the scorer reads: `conditional` and `latent_dim`."
    import dataclasses
    if hasattr(recipe, "describe"): return recipe.describe()
    recipe, config = recipe
    plain = lambda d: {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
    out = {**plain(dataclasses.asdict(recipe)), "latent_dim": config.latent_dim or 128}
    if is_folder(config.dataset):  # what the run resolved: the shape and the knobs that differ from the recipe's
        keep = ("image_size", "channels", "augment", "augment_p", "g_lr", "d_lr", "ema", "precision", "batch_size")
        out["config"] = {k: getattr(config, k) for k in keep}
    return out


class Clock:
    "Training time at fixed targets: `tick(steps)` after each step saves the sampling generator when a target is reached."
    def __init__(self, spec, folder: Path, times, clock: str, batch: int, save):
        self.spec, self.folder, self.targets, self.batch, self.save = spec, folder, sorted(times), batch, save
        self.now = time.process_time if clock == "cpu" else time.perf_counter
        self.clock, self.log, self.losses = clock, [], []
        self.train_s = self.wall_s = self.cpu_s = 0.0
        self.step_s, self.steps = None, 0

    def start(self): self.t0, self.w0, self.c0 = self.now(), time.perf_counter(), time.process_time()

    def tick(self, d_loss: float, g_loss: float) -> bool:
        "Count one finished step; save at the targets it reaches; False when every target is done (or a loss is not finite)."
        import numpy as np
        dt = self.now() - self.t0
        self.train_s += dt; self.wall_s += time.perf_counter() - self.w0; self.cpu_s += time.process_time() - self.c0
        self.steps += 1
        self.step_s = dt if self.step_s is None or self.steps <= 3 else 0.9 * self.step_s + 0.1 * dt  # the first steps trace/compile
        if self.steps % 50 == 0 or self.steps <= 2: self.losses.append((self.steps, round(self.train_s, 2), d_loss, g_loss))
        if not (np.isfinite(d_loss) and np.isfinite(g_loss)):
            print(f"[{self.spec}] non-finite loss at step {self.steps}: d {d_loss}, g {g_loss}; stopping", flush=True)
            return False
        while self.targets and self.train_s + self.step_s / 2 >= self.targets[0] * 60:  # clock stopped from here
            m = self.targets.pop(0)
            path = gen_path(self.folder, m)
            self.save(path)
            row = {"minutes": m, "train_s": round(self.train_s, 2), "wall_s": round(self.wall_s, 2), "cpu_s": round(self.cpu_s, 2),
                   "steps": self.steps, "images_seen": self.steps * self.batch,
                   "images_per_s": round(self.steps * self.batch / self.train_s, 1), "d_loss": d_loss, "g_loss": g_loss,
                   "file": path.name}
            self.log.append(row)
            print(f"[{self.spec}] {m:g} min ({self.clock} clock; wall {self.wall_s:.0f} s, CPU {self.cpu_s:.0f} s): step "
                  f"{self.steps:,}, {row['images_seen']:,} images ({row['images_per_s']} images/s), d {d_loss:.3f} "
                  f"g {g_loss:.3f} -> {path}", flush=True)
        self.start()
        return bool(self.targets)


def train_worker(spec: str, folder: Path, times: list[float], seed: int, threads: int | None, batch: int | None,
                 clock: str = "wall", no_xla: bool = False, dataset: str = DATASET, image_size=None, channels=None):
    "Train one contender in this (fresh) process, saving its sampling generator at each training time in `times`."
    set_threads(threads)
    folder.mkdir(parents=True, exist_ok=True)
    recipe = run_recipe(spec, batch, no_xla, dataset, image_size, channels, seed)
    print(f"[{spec}] {recipe}", flush=True)
    cpu0, wall0, load0 = time.process_time(), time.perf_counter(), os.getloadavg()[0]
    train = _train_peer if is_peer(spec) else _train_package
    clock_, (g_params, d_params) = train(spec, recipe, folder, times, seed, clock, dataset)
    info = {"spec": spec, "recipe": describe(recipe), "path": "peer (ttq_models.py)" if is_peer(spec) else "package (make_gan + fit)",
            "dataset": dataset,
            "seed": seed, "threads": threads, "times": times, "clock": clock,
            "checkpoints": clock_.log, "losses": clock_.losses, "train_s": clock_.train_s, "steps": clock_.steps,
            "cpu_s": time.process_time() - cpu0, "wall_s": time.perf_counter() - wall0,
            "load_average": [load0, os.getloadavg()[0]], "g_params": g_params, "d_params": d_params}
    _atomic_json(folder / "train.json", info)


def _save_atomic(model, path: Path):
    tmp = path.with_name(f".tmp_{path.name}")
    model.save(tmp)
    os.replace(tmp, path)


def _train_peer(spec, recipe, folder, times, seed, clock, dataset=DATASET):
    "The peer: its own plain training loop on in-memory images (ttq_models.Trainer)."
    import numpy as np
    from aa_gan.evaluation import load_split
    from ttq_models import Trainer
    if is_folder(dataset):  # the folder's images, read by the package (the same pixels every contender gets)
        from aa_gan.folders import load_image_folder
        ds = load_image_folder(dataset, image_size=recipe.size, channels=recipe.channels, batch_size=1024, shuffle=False)
        x = np.concatenate([b.numpy() for b in ds]); y = np.zeros(len(x), np.int64)
    else:
        x, y = load_split(DATASET, "train", n=None, with_labels=True)  # [0, 1] floats
    images = np.round(np.asarray(x, np.float32).reshape(-1, *x.shape[1:3], x.shape[-1] if x.ndim == 4 else 1) * 255).astype(np.uint8)
    trainer = Trainer(recipe, images, np.asarray(y), seed=seed)
    print(f"[{spec}] G {trainer.G.count_params():,} params, D {trainer.D.count_params():,} params; {len(images):,} images", flush=True)
    c = Clock(spec, folder, times, clock, recipe.batch, lambda path: _save_atomic(trainer.sampler, path))
    c.start()
    while True:
        d_loss, g_loss = trainer.step()
        if not c.tick(float(d_loss), float(g_loss)): break  # float() waits for the step to finish
    return c, (trainer.G.count_params(), trainer.D.count_params())


def _train_package(spec, recipe_config, folder, times, seed, clock, dataset=DATASET):
    "A recipe of the package, through the package: make_gan, load_training_data and fit, as `aa-gan train` trains it."
    import keras
    from aa_gan.data import CLASS_NAMES, output_scale
    from aa_gan.folders import dataset_class_names, load_training_data
    from aa_gan.gan import save_model
    from aa_gan.recipes import make_gan
    from aa_gan.training import fit
    recipe, config = recipe_config
    names = (dataset_class_names(dataset) if is_folder(dataset) else CLASS_NAMES[DATASET]) if recipe.conditional else None
    keras.utils.set_random_seed(seed)
    gan = make_gan(recipe, config, class_names=names)
    data, steps = load_training_data(dataset, tuple(gan.generator.output_shape[1:]), output_scale(gan.generator),
                                     recipe.batch_size, seed=seed, class_names=names)
    c = Clock(spec, folder, times, clock, recipe.batch_size, lambda path: save_model(gan.sampler, path))

    class Timed(keras.callbacks.Callback):
        def on_train_begin(self, logs=None): c.start()
        def on_train_batch_end(self, batch, logs=None):
            if not c.tick(float(logs["d_loss"]), float(logs["g_loss"])): self.model.stop_training = True

    print(f"[{spec}] G {gan.generator.count_params():,} params, D {gan.discriminator.count_params():,} params", flush=True)
    fit(gan, data, epochs=10_000, steps_per_epoch=steps, callbacks=[Timed()], verbose=0)
    return c, (gan.generator.count_params(), gan.discriminator.count_params())


def needs_training(folder: Path, spec: str, times, seed, threads, batch, clock, no_xla, dataset=DATASET, image_size=None,
                   channels=None) -> bool:
    "Whether `folder` lacks a finished run of this contender with these settings."
    try: info = json.loads((folder / "train.json").read_text())
    except (OSError, ValueError): return True
    recipe = run_recipe(spec, batch, no_xla, dataset, image_size, channels, seed)
    same = (info["recipe"] == json.loads(json.dumps(describe(recipe))) and info["seed"] == seed
            and info.get("dataset", DATASET) == dataset
            and info["threads"] == threads
            and sorted(info["times"]) == sorted(times) and info.get("clock", "wall") == clock)
    return not (same and all(gen_path(folder, m).exists() for m in times))


# ---------------------------------------------------------------------------- scoring (main process)
def _score_checkpoints(folder: Path, info: dict, key: str, score) -> list[dict]:
    "One row per saved generator of a contender: `score(path)` -> (metrics, samples), cached in scores.json by `key` and file."
    import numpy as np
    cache_path = folder / "scores.json"
    try: cache = json.loads(cache_path.read_text())
    except (OSError, ValueError): cache = {}
    rows = []
    for ck in info["checkpoints"]:
        path = folder / ck["file"]
        entry = f"{key},file={ck['file']},mtime={path.stat().st_mtime_ns}"
        if entry not in cache:
            t0 = time.perf_counter()
            m, samples = score(path)
            m["score_s"] = time.perf_counter() - t0
            np.save(folder / f"samples_{minutes_tag(ck['minutes'])}min.npy", samples[:20])
            cache[entry] = m
            _atomic_json(cache_path, cache)
            print(f"  scored {folder.name} {ck['minutes']:g} min: FID {m['fid']:.1f}, precision {m['precision']:.3f}, "
                  f"recall {m['recall']:.3f}" + (f", class agreement {m['class_agreement']:.3f}" if "class_agreement" in m else "")
                  + f" ({m['score_s']:.0f} s)", flush=True)
        rows.append({**ck, **cache[entry]})
    return rows


def score_contender(folder: Path, info: dict, n: int, seed: int, extractor, real) -> list[dict]:
    "Score every saved generator of one contender against Fashion-MNIST's test images (fixed latents; labels 0..9 repeating)."
    import numpy as np
    from aa_gan.evaluation import compute_metrics
    from aa_gan.gan import load_model
    real_f, real_p = real
    conditional = info["recipe"]["conditional"]
    z = np.random.default_rng(seed + 12345).standard_normal((n, info["recipe"]["latent_dim"])).astype("float32")
    labels = (np.arange(n) % 10).astype("int32")

    def score(path):
        gen = load_model(path, "generator")
        fake = np.concatenate([np.asarray(gen([z[s:s + 500], labels[s:s + 500]] if conditional else z[s:s + 500],
                                              training=False)) for s in range(0, n, 500)])
        fake_f, fake_p = extractor(fake, scale="-1,1")
        m = compute_metrics(real_f, fake_f, real_p, fake_p)
        if conditional: m["class_agreement"] = float((fake_p.argmax(1) == labels).mean())
        return m, fake
    return _score_checkpoints(folder, info, f"n={n},seed={seed}", score)


def score_folder_contender(folder: Path, info: dict, n: int, seed: int, dataset: str, extractor) -> list[dict]:
    "Score every saved generator of one contender against a folder with the package's `evaluate_generator`."
    from aa_gan.evaluation import evaluate_generator
    from aa_gan.gan import generate, load_model

    def score(path):
        m = evaluate_generator(str(path), dataset=dataset, n=n, seed=seed, extractor=extractor)
        return {k: v for k, v in m.items() if isinstance(v, (int, float, str))}, generate(load_model(path, "generator"), 20, seed=seed)
    return _score_checkpoints(folder, info, f"n={n},seed={seed},dataset={dataset},extractor={extractor}", score)


# ---------------------------------------------------------------------------- reporting
def time_to_reach(rows: list[dict], fid: float):
    "(minutes of the first checkpoint with FID <= `fid`, whether it was the first checkpoint) or (None, False)."
    for i, r in enumerate(rows):
        if r["fid"] <= fid + 1e-9: return r["minutes"], i == 0
    return None, False


def speedups(results: dict) -> dict:
    "For each contender: the peer's time to its best FID / the contender's time to that FID."
    peers = [spec for spec in results if is_peer(spec)]
    if not peers: return {}
    peer = results[peers[0]]["rows"]
    best = min(peer, key=lambda r: r["fid"])
    t_peer = best["minutes"]
    out = {}
    for spec, res in results.items():
        t, first = time_to_reach(res["rows"], best["fid"])
        below = all(r["fid"] < p["fid"] for r, p in zip(res["rows"], peer)) if not is_peer(spec) else None
        out[spec] = {"peer": peers[0], "peer_best_fid": best["fid"], "peer_minutes": t_peer, "minutes": t,
                     "ratio": (t_peer / t) if t else None, "lower_bound": first and not is_peer(spec),
                     "below_peer_at_every_checkpoint": below}
    return out


def fmt(x, spec=".1f"): return "" if x is None else format(x, spec)


def markdown(results: dict, meta: dict) -> str:
    any_cond = any(r["info"]["recipe"]["conditional"] for r in results.values())
    what = (f"Fashion-MNIST, {meta['n']:,} generated vs {meta['n']:,} real test images" if not is_folder(meta.get("dataset", DATASET))
            else f"the folder `{meta['dataset']}`, {meta['n']:,} generated vs {meta['n']:,} of its images")
    lines = [f"{what}, domain-classifier features "
             f"(`aa_gan.evaluation`); seed {meta['seed']}; threads: {meta['threads'] or 'TensorFlow default'}; "
             f"minutes are {'CPU' if meta['clock'] == 'cpu' else 'wall-clock'} training minutes; "
             f"machine: {meta['machine']}; load average before/after training: "
             + ", ".join(f"{k} {v['info']['load_average'][0]:.1f}/{v['info']['load_average'][1]:.1f}"
                         for k, v in results.items()),
             f"command: `{meta['command']}`", "",
             "| contender | minutes | wall s | CPU s | steps | images seen | images/s | FID ↓ | KID ↓ "
             "| precision ↑ | recall ↑ |"
             + (" class agreement ↑ |" if any_cond else ""),
             "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if any_cond else "")]
    for spec, res in results.items():
        for r in res["rows"]:
            lines.append(f"| `{spec}` | {r['minutes']:g} | {fmt(r.get('wall_s'), '.0f')} | "
                         f"{fmt(r.get('cpu_s'), '.0f')} | {r['steps']:,} | "
                         f"{r['images_seen']:,} | "
                         f"{r['images_per_s']:.0f} | {r['fid']:.1f} | {r['kid']:.2f} | {r['precision']:.3f} | "
                         f"{r['recall']:.3f} |" + (f" {fmt(r.get('class_agreement'), '.3f')} |" if any_cond else ""))
    times = [r["minutes"] for r in next(iter(results.values()))["rows"]]
    lines += ["", "One row per contender, FID / precision / recall at each training time:", "",
              "| contender | images/s | " + " | ".join(f"{t:g} min" for t in times) + " |",
              "|---|---|" + "---|" * len(times)]
    for spec, res in results.items():
        cells = [f"{r['fid']:.1f} / {r['precision']:.2f} / {r['recall']:.2f}"
                 + (f" / ca {r['class_agreement']:.2f}" if "class_agreement" in r else "") for r in res["rows"]]
        cells += [""] * (len(times) - len(cells))
        lines.append(f"| `{spec}` | {res['rows'][-1]['images_per_s']:.0f} | " + " | ".join(cells) + " |")
    sp = meta["speedups"]
    if sp:
        peer = next(s for spec, s in sp.items() if is_peer(spec))
        lines += ["", f"Speed-up over the peer: the peer reaches its best FID, {peer['peer_best_fid']:.1f}, after "
                      f"{peer['peer_minutes']:g} min; ratio = that time / the contender's time to the same FID "
                      f"(checkpoint resolution; ≥: reached by the contender's first checkpoint, so a lower "
                      f"bound).", "",
                  "| contender | minutes to FID ≤ peer's best | speed-up | FID below the peer's at every "
                  "checkpoint |",
                  "|---|---|---|---|"]
        for spec, s in sp.items():
            if is_peer(spec): continue
            ratio = "not reached" if s["ratio"] is None else ("≥ " if s["lower_bound"] else "") + f"{s['ratio']:.1f}x"
            lines.append(f"| `{spec}` | {fmt(s['minutes'], 'g') or 'not reached'} | {ratio} | "
                         f"{'yes' if s['below_peer_at_every_checkpoint'] else 'no'} |")
    lines += ["", "images/s: per second of training time (the clock above). Training time starts at the first step "
                  "(tracing and XLA compilation included) and stops while saving; scoring happens afterwards from "
                  "the saved files. The sampling generator is the EMA copy where the recipe has one. Recipes: see "
                  "the JSON (`recipe` of each contender) and "
                  "`scripts/ttq_models.py`."]
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    any_cond = any(r["info"]["recipe"]["conditional"] for r in results.values())
    keys = [("fid", "FID (log scale) ↓"), ("precision", "precision ↑"), ("recall", "recall ↑")]
    if any_cond: keys.append(("class_agreement", "class agreement ↑ (conditional)"))
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.4))
    colours = {spec: f"C{i}" for i, spec in enumerate(results)}  # one colour per contender in every panel
    for ax, (key, title) in zip(axes, keys):
        for spec, res in results.items():
            pts = [(r["minutes"], r[key]) for r in res["rows"] if key in r]
            if pts: ax.plot(*zip(*pts), marker="o", label=spec, color=colours[spec])
        if key == "fid": ax.set_yscale("log")
        ax.set_title(title); ax.set_xlabel("training minutes"); ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout(); fig.savefig(path, dpi=100); plt.close(fig)


def plot_samples(results: dict, path: Path):
    "One row of 10 samples (classes 0..9 for conditional contenders) per contender and checkpoint."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    rows = []
    for spec, res in results.items():
        for r in res["rows"]:
            f = Path(res["folder"]) / f"samples_{minutes_tag(r['minutes'])}min.npy"
            if f.exists(): rows.append((f"{spec}\n{r['minutes']:g} min", np.load(f)[:10]))
    if not rows: return
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 0.95 * len(rows)), squeeze=False)
    for ax, (title, imgs) in zip(axes[:, 0], rows):
        imgs = (imgs + 1) / 2 if imgs.min() < -0.01 else imgs  # tanh generators draw in [-1, 1], sigmoid ones in [0, 1]
        strip = np.clip(np.concatenate(list(imgs), axis=1), 0, 1)
        ax.imshow(strip[..., 0] if strip.shape[-1] == 1 else strip, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([]); ax.set_yticks([]); ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=7)
    fig.tight_layout(); fig.savefig(path, dpi=100); plt.close(fig)


def machine() -> str:
    from aa_gan.core import machine as describe
    return f"{describe()}, CPU only"


# ---------------------------------------------------------------------------- main
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("Usage:")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--contenders", nargs="+", default=None,
                   help="recipes of the package (fast, fast-cond, hinge+ema, ..., with :key=value,... TrainConfig fields) "
                        "and the peers (peer, kerasio or ada, [:key=value,...]); default: peer fast fast-cond for Fashion-MNIST, "
                        "kerasio fast for a folder")
    p.add_argument("--dataset", default=DATASET, help="fashion_mnist, or a folder of images (e.g. the emoji set)")
    p.add_argument("--image-size", type=int, default=None, help="a folder's image size (default: what aa-gan train chooses)")
    p.add_argument("--channels", type=int, default=None, choices=(1, 3), help="a folder's channels (default: as aa-gan train)")
    p.add_argument("--extractor", default="domain", help="the scorer's features for a folder (see aa-gan evaluate --evaluator)")
    p.add_argument("--train-only", action="store_true", help="train, but leave scoring and the report to a later --report-only")
    p.add_argument("--times", nargs="+", type=float, default=None, help="training minutes at which to save (floats)")
    p.add_argument("-n", type=int, default=None, help="generated and real test images per score (default 10,000)")
    p.add_argument("--threads", type=int, default=None, help="TensorFlow intra- and inter-op threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="what --times measure: wall-clock seconds, or this process's CPU seconds (fairer when other "
                        "work shares the cores; with --threads 1 the two agree on an idle machine)")
    p.add_argument("--batch", type=int, default=None, help="override every contender's batch size")
    p.add_argument("--no-xla", action="store_true", help="train every contender without XLA compilation")
    p.add_argument("--out", default=str(ROOT / "images" / "ttq"), help="report folder (and generators, by default)")
    p.add_argument("--ckpt-dir", default=None, help="where the generators go (default: --out)")
    p.add_argument("--name", default="time_to_quality", help="file stem of the report files in --out")
    p.add_argument("--smoke", action="store_true",
                   help=f"tiny run for tests: times {' '.join(map(str, SMOKE_TIMES))} min, -n {SMOKE_N}, "
                        f"batch {SMOKE_BATCH}, no XLA")
    p.add_argument("--retrain", action="store_true",
                   help="train even where a finished run with these settings is saved")
    p.add_argument("--report-only", action="store_true", help="do not train; score and report the saved generators")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # internal: train this one contender
    a = p.parse_args(argv)
    folder_data = is_folder(a.dataset)
    a.contenders = a.contenders or (["kerasio", "fast"] if folder_data else ["peer", "fast", "fast-cond"])
    if folder_data: a.dataset = str(Path(a.dataset).expanduser().resolve())
    data_args = (a.dataset, a.image_size, a.channels)
    times = a.times or (list(SMOKE_TIMES) if a.smoke else list(DEFAULT_TIMES))
    n = a.n or (SMOKE_N if a.smoke else 10_000)
    batch = a.batch or (SMOKE_BATCH if a.smoke else None)
    no_xla = a.no_xla or a.smoke  # XLA's compilation alone would outlast a smoke run's budget
    out = Path(a.out); ckpt = Path(a.ckpt_dir) if a.ckpt_dir else out
    from ttq_models import contender_dir_name, parse_contender
    check = lambda spec: parse_contender(spec) if is_peer(spec) else run_recipe(spec, None, False, *data_args, a.seed)

    if a.worker:
        return train_worker(a.worker, ckpt / contender_dir_name(a.worker), times, a.seed, a.threads, batch, a.clock,
                            no_xla, *data_args)

    for spec in a.contenders: check(spec)  # fail early on a typo
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    for spec in a.contenders:
        folder = ckpt / contender_dir_name(spec)
        if a.report_only or not (a.retrain or needs_training(folder, spec, times, a.seed, a.threads, batch, a.clock,
                                                             no_xla, *data_args)):
            print(f"{spec}: using the saved run in {folder}", flush=True)
            continue
        for old in folder.glob("gen_*min.keras"): old.unlink()
        (folder / "train.json").unlink(missing_ok=True)
        cmd = [sys.executable, __file__, "--worker", spec, "--seed", str(a.seed), "--out", str(out),
               "--ckpt-dir", str(ckpt), "--clock", a.clock, "--times", *map(str, times), "--dataset", a.dataset]
        if a.image_size: cmd += ["--image-size", str(a.image_size)]
        if a.channels: cmd += ["--channels", str(a.channels)]
        if a.threads: cmd += ["--threads", str(a.threads)]
        if batch: cmd += ["--batch", str(batch)]
        if no_xla: cmd += ["--no-xla"]
        print(f"training {spec} in a fresh process: {' '.join(cmd)}", flush=True)
        subprocess.run(cmd, check=True)

    if a.train_only: return print("trained; score and report with --report-only")
    set_threads(a.threads)
    from aa_gan.evaluation import domain_extractor, load_split
    if folder_data:
        from aa_gan.folders import scan_folder
        n = min(n, len(scan_folder(a.dataset)[0]))  # a folder's every image at most
    else:
        extractor = domain_extractor(DATASET)
        real = extractor(load_split(DATASET, "test", n=n, seed=a.seed))
    results = {}
    for spec in a.contenders:
        folder = ckpt / contender_dir_name(spec)
        try: info = json.loads((folder / "train.json").read_text())
        except OSError: print(f"{spec}: no saved run in {folder}; left out", flush=True); continue
        rows = (score_folder_contender(folder, info, n, a.seed, a.dataset, a.extractor) if folder_data
                else score_contender(folder, info, n, a.seed, extractor, real))
        results[spec] = {"folder": str(folder), "info": info, "rows": rows}
    if not results: sys.exit("nothing to report")

    trained_with = {r["info"].get("threads") for r in results.values()}  # --report-only: the threads the training used
    threads = a.threads or (trained_with.pop() if len(trained_with) == 1 else None)
    meta = {"n": n, "seed": a.seed, "threads": threads, "clock": a.clock, "machine": machine(), "dataset": a.dataset,
            "command": "python scripts/time_to_quality.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "speedups": speedups(results), "total_wall_s": time.perf_counter() - t_start}
    text = markdown(results, meta)
    (out / f"{a.name}.md").write_text(text)
    _atomic_json(out / f"{a.name}.json", {"meta": meta, "results": results})
    plot(results, out / f"{a.name}.png")
    plot_samples(results, out / f"{a.name}_samples.png")
    print("\n" + text)
    print(f"wrote {out / a.name}.md, .json, .png, _samples.png")


if __name__ == "__main__":
    main()
