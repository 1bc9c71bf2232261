"""06_dcgan's showcase run, scored: does the generator's moving average (EMA) make seed 002's DCGAN draw nameable emoji?

Seed 002's DCGAN as `06_dcgan` trains it (32x32x3, Adam 2e-4 / beta_1 0.5 for both, the "original" loss, DiffAugment
colour + translation, the precision `speed_rule` picks), STEPS steps of 32 on one thread, with an exponential moving
average of the generator's weights (decay 0.999, `GAN(ema=...)`). Both generators of the same run are scored, so the
difference is the average alone: the network the optimiser moves, and its average over the last ~1,000 steps. Scores from
`scripts/dcgan_collapse.py` (spread of 64 samples, FID / precision / recall by `evaluate_generator`, 1,000 a side).
    python scripts/dcgan_ema.py RUNS [--seeds 0 1] [--steps 2400]   -> RUNS/sSEED/, images/dcgan/ema.{json,md,png}
Seeds run one after the other; run two commands with one seed each to use both cores. A seed whose RUNS/sSEED/result.json
exists is not trained again.
"""
import argparse
import json
from pathlib import Path

from dcgan_collapse import BATCH, DATASET, N, ROOT, SIZE, fit_dcgan, scores

OUT = ROOT / "images" / "dcgan" / "ema"
DECAY = 0.999
NETS = (("generator", "the generator"), ("ema_generator", f"its average (EMA {DECAY})"))


def train_one(seed: int, folder: Path, steps: int) -> dict:
    "One run with the EMA; both generators' scores, the CPU minutes and the losses, and both generators saved in `folder`."
    from aa_gan.speed import hardware, speed_rule
    precision, _ = speed_rule(hardware())
    gan, h, cpu = fit_dcgan("training", seed, folder, steps=steps, ema=DECAY, precision=precision)
    for net, _ in NETS: getattr(gan, net).save(folder / f"{net}.keras")
    return {"seed": seed, "steps": steps, "precision": precision, "cpu_min": round(cpu / 60, 2),
            **{net: scores(getattr(gan, net)) for net, _ in NETS},
            "losses": {k: [round(float(v), 3) for v in vs] for k, vs in h.history.items()}}


def table(runs: dict, seeds) -> list:
    "The markdown rows: spread, FID, precision and recall of each generator, seeds side by side."
    pair = lambda net, key, f: " / ".join(format(runs[f"s{s}"][net][key], f) for s in seeds)
    rows = [f"| samples from (seeds {' / '.join(map(str, seeds))}) | spread | FID | precision | recall |", "|---|---|---|---|---|"]
    for net, what in NETS:
        rows.append(f"| {what} | {pair(net, 'spread', '.2f')} | {pair(net, 'fid', '.0f')} | {pair(net, 'precision', '.2f')} | "
                    f"{pair(net, 'recall', '.2f')} |")
    return rows


def figure(runs_dir: Path, seeds, runs: dict):
    "32 samples of each generator of each run: a row per generator, a column per seed, labelled; into images/dcgan/ema.png."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from aa_gan.core import atomic_path, keras
    from aa_gan.gan import generate
    from aa_gan.data import make_grid
    fig, axes = plt.subplots(len(NETS), len(seeds), figsize=(4.2 * len(seeds), 2.6 * len(NETS)), squeeze=False)
    for row, (net, what) in zip(axes, NETS):
        for ax, s in zip(row, seeds):
            g = keras.models.load_model(runs_dir / f"s{s}" / f"{net}.keras", compile=False)
            ax.imshow(make_grid(np.asarray(generate(g, 32, seed=0), "float32"), ncols=8, scale="-1,1")); ax.axis("off")
            r = runs[f"s{s}"][net]
            ax.set_title(f"seed {s}, {what}: FID {r['fid']:.0f}, recall {r['recall']:.2f}", fontsize=9)
    fig.tight_layout()
    with atomic_path(OUT.with_suffix(".png")) as tmp: fig.savefig(tmp, dpi=110, format="png")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path); p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--report", action="store_true", help="only gather the finished seeds into images/dcgan/ema.*")
    a = p.parse_args()
    runs = {}
    for seed in a.seeds:
        folder = a.runs / f"s{seed}"
        done = folder / "result.json"
        if not done.exists() and not a.report:
            folder.mkdir(parents=True, exist_ok=True)
            done.write_text(json.dumps(train_one(seed, folder, a.steps), indent=1) + "\n")
        runs[folder.name] = json.loads(done.read_text())
        print(folder.name, {net: runs[folder.name][net] for net, _ in NETS}, runs[folder.name]["cpu_min"], flush=True)
    if not a.report: return
    result = {"what": __doc__.strip().split("\n\n")[0], "dataset": DATASET, "image_size": SIZE, "steps": a.steps, "batch": BATCH,
              "n": N, "decay": DECAY, "command": f"python scripts/dcgan_ema.py RUNS --seeds SEED --steps {a.steps} (one per seed), "
              "then --report --seeds " + " ".join(map(str, a.seeds)), "runs": runs}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    OUT.with_suffix(".md").write_text("\n".join(table(runs, a.seeds)) + "\n")
    figure(a.runs, a.seeds, result["runs"])


if __name__ == "__main__":
    main()
