"""Where a training step's time goes: the package's step (make_gan + fit, timed by aa_gan.speed.time_training) with one
part taken out at a time: augmentation, the EMA update, the class conditioning; at each image size and precision.

    python scripts/profile_step.py [--sizes 32 64] [--precisions float32 bfloat16] [--seconds 3] [--inter-op N --intra-op N]

Each row is images/s on one constant batch (no input pipeline), no XLA, batch 32, in this one process; the gap to the
'full' row is what the removed part costs. Run it on an idle machine: these are differences of a few percent.
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
VARIANTS = {"full (fast-cond, DiffAugment, EMA)": ("fast-cond", dict(augment="color,translation,cutout")),
            "no augmentation": ("fast-cond", dict(augment="none")),
            "no EMA": ("fast-cond", dict(augment="color,translation,cutout", ema=0)),
            "unconditional (fast)": ("fast", dict(augment="color,translation,cutout"))}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    p.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--inter-op", type=int, default=None, help="TensorFlow's inter-op threads (default: its own choice)")
    p.add_argument("--intra-op", type=int, default=None, help="TensorFlow's intra-op threads (default: its own choice)")
    a = p.parse_args(argv)
    from aa_gan.core import tf, machine
    if a.inter_op: tf.config.threading.set_inter_op_parallelism_threads(a.inter_op)
    if a.intra_op: tf.config.threading.set_intra_op_parallelism_threads(a.intra_op)
    from aa_gan.recipes import make_gan
    from aa_gan.speed import time_training
    classes = [f"class {i}" for i in range(9)]
    print(f"{machine()}; threads inter {a.inter_op or 'default'}, intra {a.intra_op or 'default'}")
    print("| step | size | " + " | ".join(a.precisions) + " |\n|---|---|" + "---|" * len(a.precisions))
    rows = []
    for size in a.sizes:
        for name, (recipe, options) in VARIANTS.items():
            rates = {}
            for precision in a.precisions:
                gan = make_gan(recipe, class_names=classes if recipe == "fast-cond" else None, seed=0, precision=precision,
                               jit_compile=False, image_size=size, channels=3, **options)
                rates[precision] = time_training(gan, 32, seconds=a.seconds)["images_per_s"]
            rows.append({"step": name, "size": size, **rates})
            print(f"| {name} | {size} | " + " | ".join(f"{rates[q]:,.0f}" for q in a.precisions) + " |", flush=True)
    return rows


if __name__ == "__main__":
    json.dumps(main())
