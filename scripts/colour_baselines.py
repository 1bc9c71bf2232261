"""The calibration rows of the emoji scorer at a generator's own size: what FID and recall sets of known quality get.

`evaluate_generator` compares a generator with the folder's real images read at the generator's size, both resized
to the classifier's input (64x64): a 32x32 generator is judged against real 32x32 images. This script gives the rows
that judge it: two halves of the real images at SIZE, and the degraded sets of `degraded_sets` (noise, half size,
blurred to a quarter of the size and back, the mean image, ...), each resized to 64x64 the same way.

    python scripts/colour_baselines.py runs/colour/emoji64 --size 32 --out images/colour/emoji_calibration_32.json
"""
import argparse, json, os, sys, time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder"); p.add_argument("--size", type=int, default=32)
    p.add_argument("--seed", type=int, default=1, help="the split's seed (1: seed 0 puts every image the classifier "
                                                       "held out in one half; see 10_evaluation)")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    import numpy as np
    from aa_gan.core import atomic_write, machine
    from aa_gan.evaluation import _resize, calibrate, degraded_sets, folder_extractor
    from aa_gan.folders import load_image_folder
    ext = folder_extractor(a.folder)
    size = tuple(ext.input_shape[:2])
    ds = load_image_folder(a.folder, image_size=a.size, channels=3, scale="0,1", batch_size=1024, shuffle=False)
    x = np.concatenate([b.numpy() for b in ds])
    order = np.random.default_rng(a.seed).permutation(len(x)); half = len(x) // 2
    ref, other = x[order[:half]], x[order[half:2 * half]]
    sets = {"real half vs other half": other, **degraded_sets(other, a.seed)}
    t0 = time.perf_counter()
    rows = calibrate(_resize(ref, size), {k: _resize(v, size) for k, v in sets.items()}, ext, seed=a.seed)
    out = {"size": a.size, "scorer": ext.name, "n_per_side": half, "seed": a.seed, "machine": machine(),
           "seconds": round(time.perf_counter() - t0, 1),
           "command": "python scripts/colour_baselines.py " + " ".join(sys.argv[1:] if argv is None else argv),
           "rows": {k: {m: round(float(v), 4) for m, v in r.items() if m in ("fid", "precision", "recall")} for k, r in rows.items()}}
    for k, r in out["rows"].items(): print(f"{k:40s} FID {r['fid']:8.2f}  precision {r['precision']:.3f}  recall {r['recall']:.3f}")
    if a.out:
        with atomic_write(Path(a.out)) as f: f.write(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
