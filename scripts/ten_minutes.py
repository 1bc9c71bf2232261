"""What a user gets from a folder in ten minutes: `aa-gan train --dataset FOLDER --out RUN` with no other option, stopped
with Ctrl-C (SIGINT) after --seconds of wall clock on all the machine's cores, then `aa-gan evaluate` of what it saved.
One run after another (never two at once: they would share the cores), each with its own random seed, as a user's are.

  python scripts/ten_minutes.py --dataset runs/colour/emoji64 --runs 2 --out runs/ten --name emoji64_ten_minutes

writes images/colour/NAME.json and .md (a row per run: steps, images/s, the precision the run chose, FID, precision and
recall of 2,000 generated against 2,000 of the folder's images by its classifier) and NAME.png (32 samples of each run)."""
import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AA_GAN = str(Path(sys.executable).with_name("aa-gan"))


def train(dataset: str, out: Path, seconds: float) -> dict:
    "One `aa-gan train` stopped by SIGINT after `seconds`: its wall time, what it said it chose, and its steps."
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    p = subprocess.run(["timeout", "-s", "INT", str(seconds), AA_GAN, "train", "--dataset", dataset, "--out", str(out)],
                       capture_output=True, text=True)
    wall = time.perf_counter() - start
    said = p.stdout + p.stderr
    if not (out / "generator.keras").exists(): raise SystemExit(f"{out}: no generator.keras after the run:\n{said[-3000:]}")
    run = json.loads((out / "run.json").read_text())
    speed = run.get("speed") or {}
    progress = re.findall(r"(\d+)/(\d+)", said)  # Keras' progress bar: step k of N in the epoch it was in
    completed = max(0, len((out / "history.csv").read_text().strip().splitlines()) - 1) if (out / "history.csv").exists() else 0
    k, per_epoch = (int(progress[-1][0]), int(progress[-1][1])) if progress else (0, 0)
    steps = completed * per_epoch + (k if k < per_epoch else 0)
    chosen_rate = (speed.get("images_per_s") or {}).get(f"{speed.get('precision')}{' + XLA' if speed.get('xla') else ''}")
    chosen = next((line for line in said.splitlines() if line.startswith("For ")), "")
    return {"wall_s": round(wall, 1), "exit": p.returncode, "chosen": chosen, "compute": speed.get("precision"),
            "xla": speed.get("xla"), "images_per_s": chosen_rate, "seed": run.get("seed"), "steps": steps}


def evaluate(dataset: str, out: Path, n: int) -> dict:
    subprocess.run([AA_GAN, "evaluate", "--generator", str(out / "generator.keras"), "--dataset", dataset, "-n", str(n),
                    "--seed", "0", "--json", str(out / "metrics.json")], check=True, capture_output=True, text=True)
    m = json.loads((out / "metrics.json").read_text())
    return {k: m.get(k) for k in ("fid", "precision", "recall")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--out", default="runs/ten")
    ap.add_argument("--name", required=True)
    args = ap.parse_args(argv)
    rows = []
    for i in range(args.runs):
        out = Path(args.out) / f"run{i}"
        row = {"run": i, **train(args.dataset, out, args.seconds)}
        row.update(evaluate(args.dataset, out, args.n))
        rows.append(row)
        print(row, flush=True)
    report(rows, args)


def report(rows: list, args):
    "images/colour/NAME.json, .md and .png from the runs' rows."
    from aa_gan.core import machine
    result = {"command": f"python scripts/ten_minutes.py --dataset {args.dataset} --runs {args.runs} --seconds {args.seconds:g} "
                         f"-n {args.n} --name {args.name}", "machine": machine(), "rows": rows}
    dest = ROOT / "images" / "colour" / args.name
    dest.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    md = ["| run | seed | steps | images/s | computed in | FID ↓ | precision ↑ | recall ↑ |", "|---|---|---|---|---|---|---|---|"]
    md += [f"| {r['run']} | {'random' if r['seed'] is None else r['seed']} | {r['steps']:,} | {r['images_per_s'] or 0:.0f} | {r['compute']} | {r['fid']:.1f} | "
           f"{r['precision']:.2f} | {r['recall']:.2f} |" for r in rows]
    dest.with_suffix(".md").write_text("\n".join(md) + f"\n\n{rows[0]['chosen']}\n\n`{result['command']}`, {result['machine']}\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from aa_gan.gan import generate, load_model
    grids = []
    for i in range(args.runs):
        g = load_model(Path(args.out) / f"run{i}" / "generator.keras")
        x = np.clip((generate(g, 32, seed=0) + 1) / 2, 0, 1)
        grids.append(np.concatenate([np.concatenate(list(x[r * 16:(r + 1) * 16]), axis=1) for r in range(2)], axis=0))
    fig, axes = plt.subplots(args.runs, 1, figsize=(16, 2.2 * args.runs), squeeze=False)
    for ax, grid, r in zip(axes[:, 0], grids, rows):
        ax.imshow(grid); ax.axis("off"); ax.set_title(f"run {r['run']}: FID {r['fid']:.1f}, recall {r['recall']:.2f}", fontsize=9, loc="left")
    fig.tight_layout(); fig.savefig(dest.with_suffix(".png"), dpi=70); plt.close(fig)


if __name__ == "__main__":
    main()
