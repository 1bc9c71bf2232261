"""The colour ablation of 13_comparison: score each contender's last checkpoint (two seeds) and write the table.

Each contender was trained first by time_to_quality.py, one process per seed, one thread each, on CPU time:
  AA_GAN_AUTO_PRECISION=bfloat16 python scripts/time_to_quality.py --dataset runs/colour/emoji64 --image-size 64 \\
      --contenders fast-cond fast-cond:augment=color+translation fast-cond:augment_p=0.5 \\
      fast-cond+resize:augment=color+translation fast-cond+resize:augment=color+translation,r1=0.1 \\
      fast-cond:augment=color+translation,r1=0.1 \\
      --times 4 8 12 --threads 1 --clock cpu --no-xla --seed SEED --train-only --out RUNS/sSEED
then four changes on top of that default (this session's batch; the same command, seeds on cores 0 and 1 with taskset):
      --contenders fast-cond+resize:augment=color+translation,r1=0.1,augment_p=0.5 \\
      fast-cond+resize:augment=color+translation,r1=0.1,g_lr=0.0001,d_lr=0.0004
      --contenders fast-cond+resize:augment=color+translation,r1=0.1,ada_target=0.6
      --contenders fast-cond+resize:augment=color+translation,r1=0.1     (the default again, side by side with these)
and the two peers a small-folder user would copy, as published (float32; AA_GAN_AUTO_PRECISION does not reach them):
  python scripts/time_to_quality.py --dataset runs/colour/emoji64 --image-size 64 --contenders kerasio ada \\
      --times 4 8 12 --threads 1 --clock cpu --no-xla --seed SEED --train-only --out RUNS/sSEED
Then this script scores the 12-minute generators the package's way (`evaluate_generator`, 2,000 generated against 2,000
of the folder's images, the emoji classifier) and writes images/ttq/colour64_ablation.json and .md:
  python scripts/colour_ablation.py RUNS          (RUNS/s0 and RUNS/s1 hold the contenders' folders)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "ttq" / "colour64_ablation"
DATASET, MINUTES, N = "runs/colour/emoji64", 12, 2000
CHANGES = {  # contender folder (time_to_quality's name for it): (its spec, what it changes)
    "fast-cond": ("fast-cond", "none (the earlier default: color, translation, cutout at p = 1)"),
    "fast-cond__augment-colorptranslation": ("fast-cond:augment=color+translation", "no cutout: `--augment color,translation`"),
    "fast-cond__augment_p-0.5": ("fast-cond:augment_p=0.5", "all three at p = 0.5: `--augment-p 0.5`"),
    "fast-cond__augment-colorptranslation_r1-0.1": ("fast-cond:augment=color+translation,r1=0.1",
                                                    "no cutout, lazy R1 0.1: `--r1 0.1` (transposed convolutions)"),
    "fast-condpresize__augment-colorptranslation": ("fast-cond+resize:augment=color+translation",
                                                    "no cutout, resize-convolution generator: `--model fast-cond+resize`"),
    "fast-condpresize__augment-colorptranslation_r1-0.1": ("fast-cond+resize:augment=color+translation,r1=0.1",
                                                           "no cutout, resize generator, lazy R1 0.1: `+resize --r1 0.1` (the default after the first batch)"),
    "fast-condpresize__augment-colorptranslation_r1-0.1_augment_p-0.5": (
        "fast-cond+resize:augment=color+translation,r1=0.1,augment_p=0.5", "the default, each transform at p = 0.5: `--augment-p 0.5` (the default now)"),
    "fast-condpresize__augment-colorptranslation_r1-0.1_g_lr-0.0001_d_lr-0.0004": (
        "fast-cond+resize:augment=color+translation,r1=0.1,g_lr=0.0001,d_lr=0.0004",
        "the default, two time-scales: `--g-lr 1e-4 --d-lr 4e-4`"),
    "fast-condpresize__augment-colorptranslation_r1-0.1_ada_target-0.6": (
        "fast-cond+resize:augment=color+translation,r1=0.1,ada_target=0.6", "the default, ADA's adaptive p: `--ada-target 0.6`"),
    "fast-condpresize__augment-colorptranslation_r1-0.1__again": (  # RUNS/sN/ links it to that batch's run of the default
        "fast-cond+resize:augment=color+translation,r1=0.1", "the default again, side by side with the three rows above"),
    "kerasio": ("kerasio", "peer: keras-io's face DCGAN, as published (float32)"),
    "ada": ("ada", "peer: keras-io's GAN-ADA, a DCGAN with adaptive augmentation, as published (float32)"),
}


def table(result: dict) -> list:
    "The markdown rows of the result: FID, recall and precision of both seeds, and the training speed."
    rows = ["| change | FID (seeds 0 / 1) | recall | precision | images/s |", "|---|---|---|---|---|"]
    for c in result["contenders"].values():
        a, b = c["seeds"]["0"], c["seeds"]["1"]
        rows.append(f"| {c['change']} | {a['fid']:.1f} / {b['fid']:.1f} | {a['recall']:.2f} / {b['recall']:.2f} | "
                    f"{a['precision']:.2f} / {b['precision']:.2f} | {a['images_per_s']:.0f} |")
    return rows


def main(runs: Path):
    from aa_gan.evaluation import evaluate_generator
    old = json.loads(OUT.with_suffix(".json").read_text()) if OUT.with_suffix(".json").exists() else {"contenders": {}}
    contenders = {}
    for name, (spec, change) in CHANGES.items():
        seeds = {}
        for seed in (0, 1):
            folder = runs / f"s{seed}" / name
            ck = next(c for c in json.loads((folder / "train.json").read_text())["checkpoints"] if c["minutes"] == MINUTES)
            kept = old["contenders"].get(name, {}).get("seeds", {}).get(str(seed))
            m = kept or evaluate_generator(str(folder / ck["file"]), dataset=DATASET, n=N, seed=seed, extractor="domain")
            seeds[str(seed)] = {k: m.get(k) for k in ("fid", "precision", "recall", "swd")} | {
                "steps": ck["steps"], "images_per_s": ck["images_per_s"]}
            print(name, seed, seeds[str(seed)], flush=True)
        contenders[name] = {"spec": spec, "change": change, "seeds": seeds}
    result = {"what": f"fast-cond on the 3,641 emoji at 64x64, {MINUTES} CPU-minutes each on one thread (--threads 1 --clock cpu), "
                      f"bfloat16, no XLA, beside the two peers as published (float32); scored by evaluate_generator against {N:,} of the folder's images with the emoji classifier",
              "machine": "Intel Xeon with AMX, 2 cores, the two seeds' runs side by side", "command": __doc__.strip(),
              "contenders": contenders}
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    OUT.with_suffix(".md").write_text("\n".join(table(result)) + "\n")
    print("\n".join(table(result)))


def samples(runs: Path, path=OUT.parent / "colour64_ablation_samples.png", n: int = 16):
    "One row of `n` pictures per contender (seed 0, the same latents): what the table's numbers look like."
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from aa_gan.data import output_scale
    from aa_gan.gan import generate, load_model
    fig, axes = plt.subplots(len(CHANGES), 1, figsize=(n * 0.8, len(CHANGES) * 1.15))
    for ax, (name, (spec, change)) in zip(axes, CHANGES.items()):
        generator = load_model(runs / "s0" / name / f"gen_{MINUTES}min.keras")
        x = generate(generator, n, seed=7)
        if output_scale(generator) == "-1,1": x = (x + 1) / 2  # the peers draw in [0, 1]
        ax.imshow(np.concatenate(list(np.clip(x, 0, 1)), axis=1)); ax.set_xticks([]); ax.set_yticks([])
        ax.set_title(change.replace("`", ""), fontsize=9, loc="left")
    fig.tight_layout(); fig.savefig(path, dpi=80); plt.close(fig)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    samples(Path(sys.argv[1]))
