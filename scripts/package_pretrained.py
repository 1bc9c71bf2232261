"""Ship a trained generator as the package's pretrained default, with a card of how it was made and how good it is.

    aa-gan train --model fast --epochs 30 --seed 0 --quiet --out runs/pretrained_fast
    python scripts/package_pretrained.py runs/pretrained_fast [-n 10000]
    aa-gan train --model fast-cond --epochs 30 --seed 0 --quiet --out runs/pretrained_fast_cond
    python scripts/package_pretrained.py runs/pretrained_fast_cond
    aa-gan train --dataset EMOJI --model fast-cond --image-size 32 ... --out runs/ship/emoji32   (a folder of images)
    python scripts/package_pretrained.py runs/ship/emoji32 --name emoji -n 3641

Copies RUN/generator.keras to aa_gan/weights/fashion_mnist_generator.keras (what `aa-gan generate` uses when no
--generator is given), or, for a conditional run, to fashion_mnist_conditional_generator.keras (what it uses with
--label); a run on a folder goes to NAME_generator.keras (`--name`, what `aa-gan generate --generator NAME` draws
with). It writes the .json card beside it: the run's settings (run.json), its
epochs and wall time (from the monitor grids' times), the machine, `aa-gan evaluate` metrics at n images, and the
SHA-256 of the shipped file (tests/test_pretrained.py checks that the card describes the file that ships).

    python scripts/package_pretrained.py --rescore emoji --dataset runs/colour/emoji64 -n 3641

re-scores a shipped generator with today's `aa-gan evaluate` (after its scorer changed) and rewrites its card's metrics.
Paths on a card are written relative to the repository (or with ~), never as this machine's absolute paths.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "aa_gan" / "weights"
TRAIN_IMAGES = {"fashion_mnist": 60_000}  # images per epoch, for the card's step count


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, nargs="?", help="a finished training run's folder")
    p.add_argument("--rescore", metavar="NAME", help="re-score the shipped generator NAME (see aa-gan generate --generator) instead")
    p.add_argument("--dataset", default=None, help="with --rescore: the real images it is scored against (a folder's path)")
    p.add_argument("-n", type=int, default=10_000, help="images for the metrics (default: %(default)s)")
    p.add_argument("--seconds", type=float, default=None, help="training wall time, if the grids' times do not tell it")
    p.add_argument("--note", default="", help="anything else worth recording")
    p.add_argument("--name", default=None, help="for a run on a folder: the name it ships under (NAME_generator.keras)")
    a = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # the card's paths are the repository's
    from aa_gan.core import shown_path
    if a.rescore: return rescore(a.rescore, a.dataset, a.n)
    if a.run is None: p.error("name a training run's folder, or --rescore NAME")
    run = a.run
    if not (run / "generator.keras").exists(): p.error(f"{run} has no generator.keras: train first")
    config = json.loads((run / "run.json").read_text())
    sys.path.insert(0, str(ROOT))
    from aa_gan.recipes import get_recipe
    from aa_gan.core import machine
    from aa_gan.folders import is_folder_dataset, scan_folder
    conditional = get_recipe(config["model"]).conditional
    folder = is_folder_dataset(config["dataset"])
    if folder and not a.name: p.error("a run on a folder needs --name: the name `aa-gan generate --generator NAME` takes")
    DEST = (WEIGHTS / f"{a.name}_generator.keras" if folder else
            WEIGHTS / ("fashion_mnist_conditional_generator.keras" if conditional else "fashion_mnist_generator.keras"))
    n_images = len(scan_folder(config["dataset"])[0]) if folder else TRAIN_IMAGES[config["dataset"]]
    steps_per_epoch = config["steps_per_epoch"] or -(-n_images // config["batch_size"])
    grids = sorted(run.glob("epoch_*.png"))
    times = [g.stat().st_mtime for g in grids]
    metrics_file = run / "metrics_pretrained.json"
    data = ["--dataset", config["dataset"]] if folder else []
    subprocess.run([str(Path(sys.executable).with_name("aa-gan")), "evaluate", "--generator", str(run / "generator.keras"),
                    *data, "-n", str(a.n), "--seed", "0", "--json", str(metrics_file)], check=True, cwd=ROOT)
    metrics = json.loads(metrics_file.read_text())
    seconds = a.seconds or (times[-1] - (run / "run.json").stat().st_mtime if times else None)
    if folder: config["dataset"] = shown_path(config["dataset"])
    data = ["--dataset", config["dataset"]] if folder else []
    card = {
        "recipe": config["model"], "dataset": config["dataset"], "epochs": len(grids), "batch_size": config["batch_size"],
        "conditional": conditional, "steps": len(grids) * steps_per_epoch,
        "seed": config["seed"], "latent_dim": config["latent_dim"],
        "sha256": hashlib.sha256((run / "generator.keras").read_bytes()).hexdigest(),  # of the file copied to DEST
        "command": f"aa-gan train --model {config['model']} --epochs {len(grids)} --batch-size {config['batch_size']} "
                   f"--seed {config['seed']} --out {shown_path(run)}" + (
                       f" --dataset {config['dataset']} --image-size {config['image_size']} --channels {config['channels']} "
                       f"--steps-per-epoch {config['steps_per_epoch']} --precision {config['precision']}" if folder else ""),
        "image_shape": [config["image_size"], config["image_size"], config["channels"]] if folder else [28, 28, 1],
        "train_seconds": None if seconds is None else round(seconds), "machine": f"{(config.get('speed') or {}).get('machine') or machine()}, CPU only",  # the training's, as its run recorded it
        "trained": datetime.fromtimestamp(times[-1] if times else 0, timezone.utc).strftime("%Y-%m-%d"),
        "evaluate": f"aa-gan evaluate {' '.join(data)} -n {a.n} --seed 0 (domain classifier features)".replace("  ", " "),
        "metrics": {k: v for k, v in metrics.items() if isinstance(v, (int, float))}, "note": a.note,
    }
    DEST.parent.mkdir(exist_ok=True)
    tmp = DEST.with_name(f".tmp_{DEST.name}")  # whole or not at all: copy beside it, then rename over it
    shutil.copy(run / "generator.keras", tmp)
    os.replace(tmp, DEST)
    if hashlib.sha256(DEST.read_bytes()).hexdigest() != card["sha256"]: sys.exit(f"{DEST} differs from {run / 'generator.keras'} after copying")
    tmp = DEST.with_name(f".tmp_{DEST.stem}.json")
    tmp.write_text(json.dumps(card, indent=1) + "\n")
    os.replace(tmp, DEST.with_suffix(".json"))
    print(json.dumps(card, indent=1))
    print(f"{DEST} ({DEST.stat().st_size / 1e6:.1f} MB)")


def rescore(name: str, dataset, n: int):
    "Score the shipped generator `name` with today's aa-gan evaluate and rewrite its card's metrics, whole or not at all."
    import tempfile
    from aa_gan.core import atomic_write, shown_path
    card_path = WEIGHTS / f"{name}_generator.json"
    if not card_path.exists(): sys.exit(f"package_pretrained.py: no shipped generator named {name} ({card_path.name} is missing)")
    card = json.loads(card_path.read_text())
    data = ["--dataset", shown_path(dataset)] if dataset else []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "metrics.json"
        subprocess.run([str(Path(sys.executable).with_name("aa-gan")), "evaluate", "--generator", name, *data, "-n", str(n),
                        "--seed", "0", "--json", str(out)], check=True, cwd=ROOT)
        metrics = json.loads(out.read_text())
    card["metrics"] = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
    card["evaluate"] = f"aa-gan evaluate --generator {name} {' '.join(data)} -n {n} --seed 0".replace("  ", " ")
    if dataset: card["dataset"] = shown_path(dataset)
    card["command"] = card["command"].replace(str(ROOT) + "/", "")
    card["scored"] = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    with atomic_write(card_path) as f: f.write(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card["metrics"], indent=1))


if __name__ == "__main__":
    main()
