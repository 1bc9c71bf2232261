"""Does speed cost quality? The same recipe and steps in float32, with XLA, and in bfloat16, scored alike.

    python scripts/precision_quality.py [--model bce] [--steps 200] [--batch 64] [-n 2000]

Each row is `aa-gan train --model M <flags> --epochs 1 --steps-per-epoch S --batch-size B --seed 0` then
`aa-gan evaluate -n N --seed 0`, as in scripts/compare_recipes.py. Writes images/precision_quality.md and .json.
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_recipes import ROOT, run  # noqa: E402

ROWS = [("float32, no XLA", "--no-xla"), ("float32 + XLA (the recipe's default)", "--xla"),
        ("bfloat16 + XLA", "--precision bfloat16 --xla")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="bce")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--out", default="runs/precision")
    a = p.parse_args(argv)
    aa = str(Path(sys.executable).with_name("aa-gan"))
    rows = []
    for what, flags in ROWS:
        out = f"{a.out}/{what.split(' (')[0].replace(', ', '_').replace(' + ', '_').replace(' ', '_')}"
        shutil.rmtree(ROOT / out, ignore_errors=True)
        train = (f"aa-gan train --model {a.model} {flags} --epochs 1 --steps-per-epoch {a.steps} --batch-size {a.batch} "
                 f"--seed 0 --quiet --out {out}")
        evaluate = f"aa-gan evaluate --generator {out}/generator.keras -n {a.n} --seed 0 --json {out}/metrics.json"
        seconds = run(train.replace("aa-gan", aa, 1))
        run(evaluate.replace("aa-gan", aa, 1))
        m = json.loads((ROOT / out / "metrics.json").read_text())
        rows.append({"setting": what, "train_seconds": round(seconds, 1), "fid": m["fid"], "kid": m["kid"],
                     "precision": m["precision"], "recall": m["recall"], "train": train, "evaluate": evaluate})
    (ROOT / "images" / "precision_quality.json").write_text(json.dumps(rows, indent=1) + "\n")
    md = ["| setting | FID ↓ | KID ↓ | precision ↑ | recall ↑ | train s (incl. start-up) |", "|---|---|---|---|---|---|"]
    md += [f"| {r['setting']} | {r['fid']:.1f} | {r['kid']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['train_seconds']:.0f} |"
           for r in rows]
    (ROOT / "images" / "precision_quality.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
