"""Ship a trained generator as the package's pretrained default, with a card of how it was made and how good it is.

    aa-gan train --model bce+ema --epochs 10 --batch-size 128 --seed 0 --quiet --out runs/default_bce_ema
    python scripts/package_pretrained.py runs/default_bce_ema [-n 10000]

Copies RUN/generator.keras to aa_gan/weights/fashion_mnist_generator.keras (what `aa-gan generate` uses when no
--generator is given) and writes aa_gan/weights/fashion_mnist_generator.json: the run's settings (run.json), its
epochs and wall time (from the monitor grids' times), the machine, `aa-gan evaluate` metrics at n images, and the
SHA-256 of the shipped file (tests/test_pretrained.py checks that the card describes the file that ships).
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "aa_gan" / "weights" / "fashion_mnist_generator.keras"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a finished training run's folder")
    p.add_argument("-n", type=int, default=10_000, help="images for the metrics (default: %(default)s)")
    p.add_argument("--seconds", type=float, default=None, help="training wall time, if the grids' times do not tell it")
    p.add_argument("--note", default="", help="anything else worth recording")
    a = p.parse_args(argv)
    run = a.run
    if not (run / "generator.keras").exists(): p.error(f"{run} has no generator.keras: train first")
    config = json.loads((run / "run.json").read_text())
    grids = sorted(run.glob("epoch_*.png"))
    times = [g.stat().st_mtime for g in grids]
    metrics_file = run / "metrics_pretrained.json"
    subprocess.run([str(Path(sys.executable).with_name("aa-gan")), "evaluate", "--generator", str(run / "generator.keras"),
                    "-n", str(a.n), "--seed", "0", "--json", str(metrics_file)], check=True, cwd=ROOT)
    metrics = json.loads(metrics_file.read_text())
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), platform.processor())
    seconds = a.seconds or (times[-1] - (run / "run.json").stat().st_mtime if times else None)
    card = {
        "recipe": config["model"], "dataset": config["dataset"], "epochs": len(grids), "batch_size": config["batch_size"],
        "steps": len(grids) * 469 if config["steps_per_epoch"] is None else len(grids) * config["steps_per_epoch"],
        "seed": config["seed"], "latent_dim": config["latent_dim"],
        "sha256": hashlib.sha256((run / "generator.keras").read_bytes()).hexdigest(),  # of the file copied to DEST
        "command": f"aa-gan train --model {config['model']} --epochs {len(grids)} --batch-size {config['batch_size']} "
                   f"--seed {config['seed']} --out {run}",
        "train_seconds": None if seconds is None else round(seconds), "machine": f"{cpu}, {os.cpu_count()} cores, CPU only",
        "trained": datetime.fromtimestamp(times[-1] if times else 0, timezone.utc).strftime("%Y-%m-%d"),
        "evaluate": f"aa-gan evaluate -n {a.n} --seed 0 (domain classifier features)",
        "metrics": {k: v for k, v in metrics.items() if isinstance(v, (int, float))}, "note": a.note,
    }
    DEST.parent.mkdir(exist_ok=True)
    shutil.copy(run / "generator.keras", DEST)
    if hashlib.sha256(DEST.read_bytes()).hexdigest() != card["sha256"]: sys.exit(f"{DEST} differs from {run / 'generator.keras'} after copying")
    DEST.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card, indent=1))
    print(f"{DEST} ({DEST.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
