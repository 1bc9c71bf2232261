"""Does speed cost quality? The same recipe, steps and seeds with the automatic precision and XLA and forced to plain float32.

    python scripts/precision_quality.py [--model fast] [--steps 1500] [--batch 32] [-n 2000] [--seeds 0 1]

Each row is `aa-gan train --model M <flags> --epochs 1 --steps-per-epoch S --batch-size B --seed K` then
`aa-gan evaluate -n N --seed 0`, as in scripts/compare_recipes.py, for each seed: first with no speed flag (what
`--precision auto` chooses on this machine: its timed trial, see 04b_speed), then with `--precision float32 --no-xla`.
Writes images/precision_quality.md and .json, naming the machine and what was chosen.
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_recipes import ROOT, run  # noqa: E402

ROWS = [("automatic (no speed flag)", ""), ("float32, no XLA", "--precision float32 --no-xla")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="fast")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--out", default="runs/precision")
    a = p.parse_args(argv)
    os.environ.pop("AA_GAN_AUTO_PRECISION", None)  # what a user's shell has: auto chooses by measurement
    sys.path.insert(0, str(ROOT))
    from aa_gan.core import machine
    aa = str(Path(sys.executable).with_name("aa-gan"))
    rows = []
    for seed in a.seeds:
        for what, flags in ROWS:
            out = f"{a.out}/{'auto' if not flags else 'float32'}_seed{seed}"
            shutil.rmtree(ROOT / out, ignore_errors=True)
            train = (f"aa-gan train --model {a.model} {flags} --epochs 1 --steps-per-epoch {a.steps} --batch-size {a.batch} "
                     f"--seed {seed} --quiet --out {out}").replace("  ", " ")
            evaluate = f"aa-gan evaluate --generator {out}/generator.keras -n {a.n} --seed 0 --json {out}/metrics.json"
            seconds = run(train.replace("aa-gan", aa, 1))
            run(evaluate.replace("aa-gan", aa, 1))
            m = json.loads((ROOT / out / "metrics.json").read_text())
            speed = json.loads((ROOT / out / "run.json").read_text())["speed"]
            setting = what if flags else f"{what}: {speed['precision']}{' + XLA' if speed['xla'] else ''}"
            rows.append({"setting": setting, "seed": seed, "train_seconds": round(seconds, 1), "fid": m["fid"], "kid": m["kid"],
                         "precision": m["precision"], "recall": m["recall"], "speed": speed, "train": train, "evaluate": evaluate})
    (ROOT / "images" / "precision_quality.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1) + "\n")
    md = [f"`{a.model}`, {a.steps} steps of {a.batch}, on {machine()}; scored on {a.n:,} images by the Fashion-MNIST classifier.\n",
          "| setting | seed | FID ↓ | KID ↓ | precision ↑ | recall ↑ | train s (incl. start-up) |", "|---|---|---|---|---|---|---|"]
    md += [f"| {r['setting']} | {r['seed']} | {r['fid']:.1f} | {r['kid']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | "
           f"{r['train_seconds']:.0f} |" for r in rows]
    (ROOT / "images" / "precision_quality.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
