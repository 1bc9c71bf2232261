"""Why 06_dcgan's DCGAN collapsed: the generator's move judged with the discriminator in inference mode.

Seed 002's DCGAN (32x32x3, the paper's Adam 2e-4 / beta_1 0.5, the "original" loss, DiffAugment colour + translation) on
the emoji set, 500 steps of 32 on one thread in float32, twice per seed: with the package's training step as it is (the
discriminator judges the generator's fakes in training mode, as in its own move), and with that one call switched back
to inference mode, as the package had it before. With batch normalisation, inference mode normalises by moving averages
that blend real and fake batches: another function than the one the discriminator trains.

Each run is scored by `evaluate_generator` (1,000 generated against 1,000 of the folder's images, the emoji classifier)
and by the spread of 64 samples (mean RMS distance between two of them, pixels in [-1, 1]; a collapsed generator is near 0).
    python scripts/dcgan_collapse.py RUNS [--seeds 0 1]      -> RUNS/sSEED_MODE/, images/dcgan/collapse.{json,md,png}
A run whose RUNS/sSEED_MODE/result.json exists is not trained again.
"""
import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "dcgan" / "collapse"
DATASET, SIZE, STEPS, BATCH, N = "runs/colour/emoji64", 32, 500, 32, 1000
MODES = ("inference", "training")  # how the generator's move runs the discriminator


def fit_dcgan(mode: str, seed: int, folder: Path, steps: int = STEPS, ema: float | None = None, precision: str = "float32",
              threads: int = 1):
    "Seed 002's DCGAN trained `steps` steps on the emoji with the generator judged in `mode`: (gan, Keras history, CPU seconds)."
    from aa_gan.core import keras, tf
    tf.config.threading.set_intra_op_parallelism_threads(threads); tf.config.threading.set_inter_op_parallelism_threads(threads)
    from aa_gan.augment import DEFAULT_POLICY
    from aa_gan.discriminator import build_discriminator
    from aa_gan.folders import load_image_folder
    from aa_gan.gan import GAN, average_loss
    from aa_gan.generator import build_generator
    from aa_gan.speed import precision_policy
    from aa_gan.training import ModelMonitor

    class InferenceJudge(GAN):
        "The package's GAN with the one call as it was: the generator's fakes judged by the discriminator in inference mode."
        def generator_loss(self, real, labels, batch):
            fake = self.generator(self._with_labels(self.sample_latents(batch), labels), training=True)
            seen = self._with_labels(self._augmented(fake), labels)
            return average_loss(self.gan_loss.generator(tf.cast(self.discriminator(seen, training=False), tf.float32))), {}

    keras.utils.set_random_seed(seed)
    shape = (SIZE, SIZE, 3)
    data = load_image_folder(ROOT / DATASET, image_size=SIZE, channels=3, scale="-1,1", batch_size=BATCH, seed=seed,
                             drop_remainder=True).repeat()
    cls = InferenceJudge if mode == "inference" else GAN
    with precision_policy(precision):
        gan = cls(build_generator("dcgan", image_shape=shape), build_discriminator("dcgan", image_shape=shape), loss="original",
                  augment=DEFAULT_POLICY, seed=seed, ema=ema)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    folder.mkdir(parents=True, exist_ok=True)
    cpu = time.process_time()
    h = gan.fit(data, epochs=steps // 100, steps_per_epoch=100, callbacks=[ModelMonitor(folder, n_images=16)], verbose=0)
    return gan, h, time.process_time() - cpu


def scores(generator) -> dict:
    "Spread of 64 samples and `evaluate_generator`'s FID, precision and recall (N against N of the folder's images)."
    import numpy as np
    from aa_gan.evaluation import evaluate_generator
    from aa_gan.gan import generate
    x = np.asarray(generate(generator, 64, seed=1), "float32").reshape(64, -1)
    d = np.sqrt(((x[:, None] - x[None]) ** 2).mean(-1))
    m = evaluate_generator(generator, dataset=str(ROOT / DATASET), n=N, seed=0, calibration=False)
    return {"spread": float(d[np.triu_indices(64, 1)].mean()), "fid": m["fid"], "precision": m["precision"], "recall": m["recall"]}


def train_one(mode: str, seed: int, folder: Path) -> dict:
    "Train seed 002's DCGAN for STEPS steps with the generator judged in `mode`; its scores, spread and losses."
    gan, h, cpu = fit_dcgan(mode, seed, folder)
    return {"mode": mode, "seed": seed, "steps": STEPS, "cpu_min": round(cpu / 60, 2), **scores(gan.sampler),
            "losses": {k: [round(float(v), 3) for v in vs] for k, vs in h.history.items()}}


def table(result: dict) -> list:
    "The markdown rows of 06_dcgan's table: spread, FID and precision of both seeds in each mode."
    runs = result["runs"]
    pair = lambda mode, key, f: " / ".join(format(runs[f"s{s}_{mode}"][key], f) for s in (0, 1))
    rows = ["| the generator's move is judged in | spread (seeds 0 / 1) | FID | precision |", "|---|---|---|---|"]
    for mode, what in (("inference", "inference mode (the old step)"), ("training", "training mode (the step now)")):
        rows.append(f"| {what} | {pair(mode, 'spread', '.2f')} | {pair(mode, 'fid', '.0f')} | {pair(mode, 'precision', '.2f')} |")
    return rows


def figure(runs: Path, seeds, result: dict):
    "Each run's last grid (16 samples): a row per mode, a column per seed, labelled; into images/dcgan/collapse.png."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from aa_gan.core import atomic_path
    fig, axes = plt.subplots(len(MODES), len(seeds), figsize=(3.4 * len(seeds), 3.8 * len(MODES)), squeeze=False)
    for row, m in zip(axes, MODES):
        for ax, s in zip(row, seeds):
            ax.imshow(plt.imread(sorted((runs / f"s{s}_{m}").glob("epoch_*.png"))[-1])); ax.axis("off")
            r = result["runs"][f"s{s}_{m}"]
            ax.set_title(f"seed {s}, judged in {m} mode\nspread {r['spread']:.2f}, FID {r['fid']:.0f}, "
                         f"precision {r['precision']:.2f}", fontsize=9)
    fig.tight_layout()
    with atomic_path(OUT.with_suffix(".png")) as tmp: fig.savefig(tmp, dpi=80, format="png")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path); p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    a = p.parse_args()
    runs = {}
    for seed in a.seeds:
        for mode in MODES:
            folder = a.runs / f"s{seed}_{mode}"
            done = folder / "result.json"
            if not done.exists():
                done.parent.mkdir(parents=True, exist_ok=True)
                done.write_text(json.dumps(train_one(mode, seed, folder), indent=1) + "\n")
            runs[folder.name] = json.loads(done.read_text())
            print(folder.name, {k: runs[folder.name][k] for k in ("spread", "fid", "precision", "recall", "cpu_min")}, flush=True)
    result = {"what": __doc__.strip().split("\n\n")[0], "dataset": DATASET, "image_size": SIZE, "steps": STEPS, "batch": BATCH,
              "n": N, "command": "python scripts/dcgan_collapse.py RUNS --seeds " + " ".join(map(str, a.seeds)), "runs": runs}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    OUT.with_suffix(".md").write_text("\n".join(table(result)) + "\n")
    figure(a.runs, a.seeds, result)


if __name__ == "__main__":
    main()
