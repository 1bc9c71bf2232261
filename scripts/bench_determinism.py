"""What TensorFlow's op determinism costs in training speed, measured side by side.

Trains the original FashionGAN recipe for a few steps on synthetic images, in fresh processes with
op determinism off and on, alternating (it is a process-wide switch), and prints images/s and the
ratio. Usage: python scripts/bench_determinism.py [--steps 8] [--batch 32] [--rounds 2]
"""
import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
import numpy as np
import tensorflow as tf
from aa_gan.gan import GAN
from aa_gan.generator import build_generator
from aa_gan.discriminator import build_discriminator
deterministic, steps, batch = sys.argv[1] == "1", int(sys.argv[2]), int(sys.argv[3])
if deterministic: tf.config.experimental.enable_op_determinism()
import keras
keras.utils.set_random_seed(0)
gan = GAN(build_generator("fashiongan"), build_discriminator("fashiongan"), seed=0); gan.compile()
data = tf.data.Dataset.from_tensor_slices(np.random.default_rng(0).uniform(size=(batch, 28, 28, 1)).astype("float32")).batch(batch).repeat()
gan.fit(data, epochs=1, steps_per_epoch=2, verbose=0)  # trace and warm up
t = time.perf_counter(); gan.fit(data, epochs=1, steps_per_epoch=steps, verbose=0); dt = time.perf_counter() - t
print(json.dumps({"deterministic": deterministic, "images_per_s": steps * batch / dt}))
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=8, help="timed steps per measurement (default: %(default)s)")
    p.add_argument("--batch", type=int, default=32, help="batch size (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=2, help="off/on pairs (default: %(default)s)")
    a = p.parse_args()
    speed = {False: [], True: []}
    for r in range(a.rounds):
        for det in (False, True):
            out = subprocess.run([sys.executable, "-c", CHILD, "1" if det else "0", str(a.steps), str(a.batch)],
                                 capture_output=True, text=True, check=True).stdout
            res = json.loads(out.strip().splitlines()[-1])
            speed[det].append(res["images_per_s"])
            print(f"round {r + 1}: determinism {'on ' if det else 'off'} {res['images_per_s']:.1f} images/s", flush=True)
    off, on = statistics.median(speed[False]), statistics.median(speed[True])
    print(f"median: off {off:.1f} images/s, on {on:.1f} images/s, on/off = {on / off:.2f}")


if __name__ == "__main__":
    main()
