"""Images per second of one training process against two workers of a multi-worker cluster on this machine's loopback.

    python scripts/bench_multiworker.py [--recipe bce] [--steps 40] [--batch-size 64] [--out images/multiworker.json]

Both set-ups train the same recipe with the same global batch; the two workers each compute half of every batch and
all-reduce their gradients over TCP on 127.0.0.1. Each run starts fresh processes; the first epoch (graph building,
connecting) is not timed. Writes a JSON with the command lines and images/s, and prints a markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Trains 1 warm-up epoch, then times `steps` steps; prints images/s (of the global batch) as JSON
TIMED = """
import json, sys, time, keras
from aa_gan.runs import train
recipe, steps, batch, out, strategy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] or None
class Clock(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1: self.t0 = time.perf_counter()
    def on_train_end(self, logs=None): self.seconds = time.perf_counter() - self.t0
clock = Clock()
train(model=recipe, epochs=2, steps_per_epoch=steps, batch_size=batch, seed=0, out_dir=out, verbose=0, strategy=strategy,
      jit_compile=False, callbacks=[clock])
print(json.dumps({"images_per_s": steps * batch / clock.seconds}))
"""


def run(workers: int, recipe: str, steps: int, batch: int, tmp: str) -> float:
    "Images/s of the global batch with `workers` processes (1: no strategy)."
    from aa_gan.config import local_cluster
    configs, procs = local_cluster(workers), []
    out = f"{tmp}/run{workers}"
    for i in range(workers):
        env = dict(os.environ)
        if workers > 1:
            env["TF_CONFIG"] = configs[i]
        procs.append(subprocess.Popen([sys.executable, "-c", TIMED, recipe, str(steps), str(batch), out,
                                       "multiworker" if workers > 1 else ""], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    try:
        results = [p.communicate(timeout=1200) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None: p.kill()
    for p, (out_, err) in zip(procs, results):
        if p.returncode: sys.exit(f"a worker failed:\n{err[-3000:]}")
    return json.loads(results[0][0].strip().splitlines()[-1])["images_per_s"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", default="bce")
    p.add_argument("--steps", type=int, default=40, help="timed steps (after one warm-up epoch of as many)")
    p.add_argument("--batch-size", type=int, default=64, help="the global batch")
    p.add_argument("--out", default=str(ROOT / "images" / "multiworker.json"))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [{"processes": n, "images_per_s": run(n, a.recipe, a.steps, a.batch_size, tmp)} for n in (1, 2)]
    for r in rows: r["vs_one_process"] = r["images_per_s"] / rows[0]["images_per_s"]
    result = {"command": f"python scripts/bench_multiworker.py --recipe {a.recipe} --steps {a.steps} --batch-size {a.batch_size}",
              "cpus": os.cpu_count(), "recipe": a.recipe, "batch_size": a.batch_size, "steps": a.steps, "rows": rows}
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    print("| processes | images/s | vs one process |\n|---|---|---|")
    for r in rows: print(f"| {r['processes']} | {r['images_per_s']:.1f} | {r['vs_one_process']:.2f}x |")


if __name__ == "__main__":
    main()
