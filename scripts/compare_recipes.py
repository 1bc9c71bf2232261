"""Train every recipe at the same small budget on Fashion-MNIST and score it with the evaluation module.

Each row is two shell commands, printed in the table so it can be reproduced by hand:

    aa-gan train --model NAME --epochs 1 --steps-per-epoch 200 --batch-size 64 --seed 0 --quiet --out runs/compare/NAME
    aa-gan evaluate --generator runs/compare/NAME/generator.keras -n 2000 --seed 0 --json runs/compare/NAME/metrics.json

CPU runs with a fixed seed repeat exactly, so the numbers come back the same.

    python scripts/compare_recipes.py [--steps 200] [--batch 64] [-n 2000] [--only hinge cgan] [--out runs/compare]

Writes images/recipes_comparison.md and .json (the table) and images/compare/NAME.png (each run's last grid).
"""
import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPES = [  # (name, extra train flags, what it is)
    ("bce", "", "small networks, non-saturating BCE"),
    ("bce+ema", "", "... + EMA generator (0.999)"),
    ("hinge", "", "small networks, hinge loss"),
    ("hinge+ema", "", "... + EMA generator"),
    ("hinge+sn", "", "... + spectral norm in D"),
    ("lsgan", "", "small networks, least squares"),
    ("wgan-gp", "", "small networks, WGAN-GP, 5 critic steps"),
    ("cgan", "", "conditional, hinge, projection D"),
    ("encdec", "", "encoder-decoder, BCE + 10 x L1"),
    ("dcgan", "--image-size 32 --channels 1", "DCGAN at 32x32x1, noisy labels, the paper's Adam, EMA"),
    ("fashiongan", "", "the original FashionGAN recipe"),
]


def run(cmd: str) -> float:
    print("$", cmd, flush=True)
    start = time.perf_counter()
    subprocess.run(shlex.split(cmd), check=True, cwd=ROOT)
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200, help="training steps per recipe (default: %(default)s)")
    p.add_argument("--batch", type=int, default=64, help="batch size (default: %(default)s)")
    p.add_argument("-n", type=int, default=2000, help="images generated and real images compared (default: %(default)s)")
    p.add_argument("--only", nargs="*", default=None, help="recipes to run (default: all)")
    p.add_argument("--out", default="runs/compare", help="run folders (default: %(default)s)")
    p.add_argument("--reuse", action="store_true", help="evaluate runs already in --out instead of training them again")
    args = p.parse_args(argv)
    names = [r[0] for r in RECIPES]
    unknown = [n for n in args.only or [] if n not in names]
    if unknown: p.error(f"unknown recipe(s) {', '.join(unknown)}: choose from {', '.join(names)}")
    table_json = ROOT / "images" / "recipes_comparison.json"
    rows = {r["recipe"]: r for r in json.loads(table_json.read_text())} if table_json.exists() else {}
    aa = str(Path(sys.executable).with_name("aa-gan"))
    for name, extra, what in RECIPES:
        if args.only and name not in args.only: continue
        out = f"{args.out}/{name}"
        reuse = args.reuse and (ROOT / out / "generator.keras").exists()
        if not reuse: shutil.rmtree(ROOT / out, ignore_errors=True)
        train = (f"aa-gan train --model {name} {extra} --epochs 1 --steps-per-epoch {args.steps} --batch-size {args.batch} "
                 f"--seed 0 --quiet --out {out}").replace("  ", " ")
        evaluate = f"aa-gan evaluate --generator {out}/generator.keras -n {args.n} --seed 0 --json {out}/metrics.json"
        if reuse:  # the run is there: its training time from its files' times
            seconds = (ROOT / out / "generator.keras").stat().st_mtime - (ROOT / out / "run.json").stat().st_mtime
        else: seconds = run(train.replace("aa-gan", aa, 1))
        run(evaluate.replace("aa-gan", aa, 1))
        m = json.loads((ROOT / out / "metrics.json").read_text())
        (ROOT / "images" / "compare").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / out / "epoch_001.png", ROOT / "images" / "compare" / f"{name.replace('+', '_')}.png")
        rows[name] = {"recipe": name, "what": what, "train_seconds": round(seconds, 1), "fid": m["fid"], "kid": m["kid"],
                      "precision": m["precision"], "recall": m["recall"], "classifier_score": m["inception_score"],
                      "class_agreement": m.get("class_agreement"), "train": train, "evaluate": evaluate}
        if (ROOT / out / "encoder.keras").exists(): rows[name]["recon_l1"] = reconstruction_error(ROOT / out, args.n)
        ordered = [rows[n] for n in names if n in rows]
        table_json.write_text(json.dumps(ordered, indent=1) + "\n")
        (ROOT / "images" / "recipes_comparison.md").write_text(markdown(ordered, args) + "\n")
    print(markdown([rows[n] for n in names if n in rows], args))


def reconstruction_error(run: Path, n: int) -> float:
    "Mean absolute pixel error (images in [-1, 1]) of decoder(encoder(x)) over n Fashion-MNIST test images."
    import numpy as np
    from aa_gan.gan import load_model
    from aa_gan.evaluation import load_split
    import keras
    encoder, decoder = keras.saving.load_model(run / "encoder.keras"), load_model(run / "generator.keras")
    x = load_split("fashion_mnist", "test", n=n, seed=0).astype("float32") * 2 - 1
    return float(np.mean(np.abs(np.asarray(decoder.predict(encoder.predict(x, verbose=0), verbose=0)) - x)))


def markdown(rows, args) -> str:
    head = ("| recipe | what | FID ↓ | KID ↓ | precision ↑ | recall ↑ | classifier score ↑ | class agreement ↑ | train s |\n"
            "|---|---|---|---|---|---|---|---|---|")
    body = [f"| `{r['recipe']}` | {r['what']} | {r['fid']:.1f} | {r['kid']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['classifier_score']:.2f} | {'' if r['class_agreement'] is None else format(r['class_agreement'], '.3f')} | "
            f"{r['train_seconds']:.0f} |" for r in rows]
    return "\n".join([head, *body])


if __name__ == "__main__":
    main()
