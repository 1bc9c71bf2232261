"""Training speed (images/s), peak memory and FLOPs of the GAN recipes, against a plain reference step.

Every configuration (recipe x precision x XLA x data) trains in a fresh Python process, so that Keras'
global dtype policy, TensorFlow's caches and the peak-memory counter start from scratch. The same run
also times a REFERENCE: a plain, hand-written float32 training step of the original FashionGAN recipe
(one `tf.function` around two `tf.GradientTape`s, no XLA, no `fit`), and divides every row by it.

What is measured, per row:
  images/s        batch x timed steps / their wall time; the warm-up steps before them (graph tracing,
                  XLA compilation, first-touch allocations) are not timed; the losses are read back
                  as Python floats, so no work is left in flight when the clock stops.
  peak RSS        the worker process's peak resident memory (getrusage ru_maxrss): TensorFlow itself,
                  the models, the optimizers and, for `--data real`, the cached dataset.
  GFLOP/s         an analytic count of the step's FLOPs (Conv and Dense layers, see `count_flops`)
                  x images/s, and the fraction of the CPU's float32 peak (cores x clock x FLOP/cycle).
  input pipeline  the same model and compiled step (same process) timed on a constant in-memory batch,
                  then on real Fashion-MNIST batches, and the pipeline alone, to show the data never
                  holds training back.

  automatic     a row with precision 'auto' builds the model as `aa-gan train` does with no speed flag: make_gan's
                timed trial of every candidate precision and XLA setting (04b_speed), in a fresh cache; the row
                says what it chose, and its fraction of peak is taken against the chosen precision's peak.
  aa-gan train  --train-folder FOLDER also times the command line itself on a folder, with no speed flag and
                with --precision float32 --no-xla, alternating, from Keras' ms/step of the second epoch.

Usage: python scripts/bench.py                       # the default rows, a few minutes on 2 cores
       python scripts/bench.py --precision bfloat16 --xla --steps 5 --json bench.json
       python scripts/bench.py --recipe fashiongan fast --image-size 64 --train-folder EMOJI --json images/bench.json --markdown images/bench.md
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = ("float32", "bfloat16", "float16", "auto")
DATA = ("synthetic", "real")
REFERENCE = "fashiongan"  # the original recipe, which the reference step implements by hand
FIXED_SHAPE = (REFERENCE, "mnist")  # architectures of one image shape (28x28x1)
LATENT_DIM = 128
ROW_MARK = "BENCH_ROW"  # a worker's stdout lines with its measurements start with this
FLOPS_NOTE = ("Backward = 2 x forward (input and weight gradients); the discriminator's weight gradients are not "
              "taken in the generator step (its input gradient only: 1 x forward). Conv and Dense layers only: "
              "activations, normalisation, losses and optimizer updates (~0.1% here) are left out.")


# ---------------------------------------------------------------------------- FLOPs
def _spatial(shape, layer):
    "The spatial dimensions of a batched feature-map shape."
    shape = tuple(shape)
    return shape[2:] if getattr(layer, "data_format", "channels_last") == "channels_first" else shape[1:-1]


def _size(weight) -> int: return math.prod(int(d) for d in weight.shape)


def layer_flops(layer, shapes_from=None) -> int:
    """FLOPs (a multiply-add = 2) of one forward pass of `layer` for ONE image.

    Conv: 2 x output positions x kernel size (2*H_out*W_out*k*k*C_in*C_out; groups and depthwise included);
    transposed conv: 2 x INPUT positions x kernel size; Dense: 2 x inputs x outputs (x positions, for
    inputs of rank > 2). Nested models are walked, wrappers (e.g. SpectralNormalization) count their
    layer; every other layer counts 0. `shapes_from`: the layer whose input/output shapes to use."""
    if getattr(layer, "layers", None): return count_flops(layer)
    kinds = {c.__name__ for c in type(layer).__mro__}
    inner = getattr(layer, "layer", None)
    if "Wrapper" in kinds and inner is not None: return layer_flops(inner, shapes_from=shapes_from or layer)
    counted = {"Dense", "BaseConv", "BaseConvTranspose", "BaseDepthwiseConv", "BaseSeparableConv"}
    if not kinds & counted: return 0
    src = shapes_from or layer
    try: in_shape, out_shape = src.input.shape, src.output.shape
    except (AttributeError, ValueError) as e:
        raise ValueError(f"cannot count the FLOPs of layer '{layer.name}': its shapes are unknown ({e})") from None
    if "Dense" in kinds: return 2 * _size(layer.kernel) * math.prod(int(d) for d in tuple(in_shape)[1:-1])
    if "BaseConvTranspose" in kinds: return 2 * math.prod(_spatial(in_shape, layer)) * _size(layer.kernel)
    if "BaseSeparableConv" in kinds:
        return 2 * math.prod(_spatial(out_shape, layer)) * (_size(layer.depthwise_kernel) + _size(layer.pointwise_kernel))
    return 2 * math.prod(_spatial(out_shape, layer)) * _size(layer.kernel)  # BaseConv, BaseDepthwiseConv


def count_flops(model) -> int:
    "FLOPs of one forward pass of a built Keras model for one image: the sum of `layer_flops` over its layers."
    return sum(layer_flops(layer) for layer in model.layers)


def step_flops(generator, discriminator, n_critic: int = 1, gradient_penalty: bool = False, encoder=None) -> dict:
    """FLOPs per image of one GAN training step, from the forward FLOPs F_G, F_D (and F_E) of the networks.

    One discriminator step = G forward (F_G) + D forward and backward on a real and a fake image (2 x 3 F_D),
    plus, with a gradient penalty, ~6 F_D (D forward, input gradient, and the backward of both); one generator
    step = G forward and backward (3 F_G) + D forward and input gradient (2 F_D). With an encoder (encdec):
    D step on real, noise and reconstructed fakes (2 F_G + F_E + 9 F_D), G step on both fakes (6 F_G + 3 F_E + 4 F_D)."""
    f_g, f_d = count_flops(generator), count_flops(discriminator)
    out = {"f_g": f_g, "f_d": f_d}
    if encoder is not None:
        f_e = count_flops(encoder)
        out.update(f_e=f_e, per_image=8 * f_g + 4 * f_e + 13 * f_d, formula="8 F_G + 4 F_E + 13 F_D")
        return out
    d_per = 6 + (6 if gradient_penalty else 0)
    out["per_image"] = n_critic * (f_g + d_per * f_d) + 3 * f_g + 2 * f_d
    out["formula"] = (f"{n_critic + 3} F_G + {n_critic * d_per + 2} F_D" if n_critic == 1 and not gradient_penalty else
                      f"{n_critic} x (F_G + {d_per} F_D) + 3 F_G + 2 F_D = {n_critic + 3} F_G + {n_critic * d_per + 2} F_D")
    return out


# ---------------------------------------------------------------------------- the machine
def machine_info() -> dict:
    "CPU model, usable cores, clock, relevant flags and the assumed float32 peak."
    sys.path.insert(0, str(ROOT))
    from aa_gan.core import cpu_info  # the package's reading of /proc/cpuinfo (no TensorFlow)
    info, mhz = cpu_info(), []
    model, flags, cores = info["cpu"], set(info["flags"]), info["cores"]
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "cpu MHz":
                try: mhz.append(float(value))
                except ValueError: pass
    except OSError: pass
    clock_ghz = max(mhz) / 1000 if mhz else None
    if "avx512f" in flags: per_cycle, why = 64, "AVX-512: 2 FMA units x 16 float32 lanes x 2"
    elif {"avx2", "fma"} <= flags: per_cycle, why = 32, "AVX2+FMA: 2 FMA units x 8 float32 lanes x 2"
    elif "avx" in flags: per_cycle, why = 16, "AVX: 8 float32 lanes x (1 add + 1 mul)"
    else: per_cycle, why = 8, "SSE: 4 float32 lanes x (1 add + 1 mul)"
    # bfloat16: AMX's tile unit does 1,024 bfloat16 FLOP/cycle per core; AVX-512 BF16's VDPBF16PS 2 units x 16 lanes x 2 pairs x 2
    if "amx_bf16" in flags: bf16_per_cycle, bf16_why = 1024, "AMX: 1,024 bfloat16 FLOP/cycle per core (tile multiply)"
    elif "avx512_bf16" in flags: bf16_per_cycle, bf16_why = 128, "AVX-512 BF16: 2 units x 16 lanes x 2 bfloat16 pairs x 2"
    else: bf16_per_cycle, bf16_why = None, "no bfloat16 instructions (emulated)"
    relevant = ["avx", "avx2", "fma", "f16c", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile"]
    return {"bf16_flops_per_cycle": bf16_per_cycle, "bf16_flops_per_cycle_why": bf16_why,
            "peak_bf16_gflops": cores * clock_ghz * bf16_per_cycle if clock_ghz and bf16_per_cycle else None,"cpu": model, "cores": cores, "clock_ghz": clock_ghz, "flags": [f for f in relevant if f in flags],
            "missing_flags": [f for f in relevant if f not in flags], "flops_per_cycle": per_cycle,
            "flops_per_cycle_why": why, "bf16": bool({"avx512_bf16", "amx_bf16"} & flags),
            "peak_gflops": cores * clock_ghz * per_cycle if clock_ghz else None}


# ---------------------------------------------------------------------------- the worker (one row)
def _quiet_tf():
    "Import TensorFlow through aa_gan.data (which mutes its start-up logging); return (tf, keras)."
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))  # benchmark this checkout
    import aa_gan.data  # noqa: F401
    import tensorflow as tf
    import keras
    return tf, keras


def _dataset(cfg, image_shape, scale, tf, labels: bool = False):
    "Endless batches of real Fashion-MNIST images (in the generator's shape and range), or one constant batch repeated."
    import numpy as np
    b = cfg["batch"]
    if cfg["data"] == "synthetic":
        x = np.random.default_rng(0).uniform(size=(b, *image_shape)).astype("float32")
        if scale == "-1,1": x = 2 * x - 1
        element = (tf.constant(x), tf.constant(np.arange(b) % 10, tf.int32)) if labels else tf.constant(x)
        return tf.data.Dataset.from_tensors(element).repeat()
    from aa_gan.data import load_dataset
    ds = load_dataset("fashion_mnist", batch_size=b, scale=scale, seed=0, drop_remainder=True, with_labels=labels,
                      verbose=False)
    h, w, c = image_shape
    spec = ds.element_spec[0] if labels else ds.element_spec
    if tuple(spec.shape[1:]) != (h, w, c):  # a recipe that draws another shape (e.g. dcgan: 64x64x3)
        def fit(x):
            x = tf.image.resize(x, (h, w))
            return tf.image.grayscale_to_rgb(x) if c == 3 else x
        ds = ds.map((lambda x, y: (fit(x), tf.cast(y, tf.int32))) if labels else fit, num_parallel_calls=tf.data.AUTOTUNE)
    elif labels: ds = ds.map(lambda x, y: (x, tf.cast(y, tf.int32)))
    return ds.repeat()


def _pipeline_alone(ds, batch, n_batches=200):
    "Images/s a fresh input pipeline delivers with nothing else running, after its first batch, and that first batch's latency."
    it = iter(ds)
    t = time.perf_counter(); next(it); first = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(n_batches): next(it)
    return {"pipeline_images_per_s": n_batches * batch / (time.perf_counter() - t), "pipeline_first_batch_s": first}


def _reference(cfg, tf, keras):
    """The original recipe's training step written out plainly in float32: no fit, no XLA, no mixed precision.

    Returns (FLOPs, networks, (image shape, pixel scale, labelled?), a function that times steps on a dataset)."""
    from aa_gan.generator import build_generator
    from aa_gan.discriminator import build_discriminator
    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(0)
    G, D = build_generator(REFERENCE, latent_dim=LATENT_DIM), build_discriminator(REFERENCE)
    g_opt, d_opt = keras.optimizers.Adam(learning_rate=1e-4), keras.optimizers.Adam(learning_rate=1e-5)
    g_opt.build(G.trainable_variables); d_opt.build(D.trainable_variables)
    bce = keras.losses.BinaryCrossentropy()

    @tf.function(jit_compile=False)
    def train_step(real):
        b = tf.shape(real)[0]
        fake = G(tf.random.normal((b, LATENT_DIM)), training=False)
        with tf.GradientTape() as tape:  # discriminator: real -> 0, fake -> 1, with 0.15 * U(0, 1) label noise
            p_real, p_fake = D(real, training=True), D(fake, training=True)
            pred = tf.concat([p_real, p_fake], axis=0)
            labels = tf.concat([tf.zeros_like(p_real), tf.ones_like(p_fake)], axis=0)
            noise = 0.15 * tf.random.uniform(tf.shape(labels))
            labels += tf.concat([noise[:b], -noise[b:]], axis=0)
            d_loss = bce(labels, pred)
        d_opt.apply_gradients(zip(tape.gradient(d_loss, D.trainable_variables), D.trainable_variables))
        with tf.GradientTape() as tape:  # generator: fresh fakes should be called real (0)
            p_gen = D(G(tf.random.normal((b, LATENT_DIM)), training=True), training=True)  # as the package judges
            g_loss = bce(tf.zeros_like(p_gen), p_gen)
        g_opt.apply_gradients(zip(tape.gradient(g_loss, G.trainable_variables), G.trainable_variables))
        return d_loss, g_loss

    def run(ds, warmup, steps, deadline):
        it, ends, cpu = iter(ds), [], []
        start = time.perf_counter()
        for _ in range(warmup + steps):
            d_loss, g_loss = train_step(next(it))
            float(d_loss), float(g_loss)  # wait for the step to finish
            ends.append(time.perf_counter()); cpu.append(time.process_time())
            if _out_of_time(ends, warmup, deadline): break
        return start, ends, cpu

    return step_flops(G, D), (G, D), ((28, 28, 1), "0,1", False), run


def _package(cfg, tf, keras):
    """The package's GAN, built by aa_gan.recipes.make_gan as a run builds it; precision 'auto' lets make_gan's timed trial
    choose precision and XLA (in a fresh cache, with AA_GAN_AUTO_PRECISION unset), as `aa-gan train` does with no speed flag.

    Returns (FLOPs, networks, (image shape, pixel scale, labelled?), a function that times fit() on a dataset)."""
    from aa_gan import recipes
    from aa_gan.data import CLASS_NAMES
    recipe, precision, jit = cfg["recipe"], cfg["precision"], cfg["xla"]
    kwargs = {"class_names": CLASS_NAMES["fashion_mnist"]} if recipes.get_recipe(recipe).conditional else {}
    if cfg.get("image_size"): kwargs.update(image_size=cfg["image_size"], channels=cfg.get("channels") or 3)
    if precision == "auto":
        import tempfile
        os.environ.pop("AA_GAN_AUTO_PRECISION", None)
        os.environ["AA_GAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_speed_")
        jit = None
    keras.utils.set_random_seed(0)
    gan = recipes.make_gan(recipe, latent_dim=LATENT_DIM, seed=0, precision=precision, jit_compile=jit, batch_size=cfg["batch"],
                           trial=precision == "auto", **kwargs)
    cfg["chosen"] = gan.speed
    from aa_gan.data import output_scale
    G, D, E = gan.generator, gan.discriminator, getattr(gan, "encoder", None)
    try: flops = step_flops(G, D, n_critic=int(getattr(gan, "n_critic", 1)),
                            gradient_penalty=bool(getattr(gan, "gp_weight", 0)), encoder=E)
    except ValueError as e: flops = {"flops_error": str(e)}

    class StepTimer(keras.callbacks.Callback):
        "The wall-clock time at the end of every training step."
        def __init__(self): super().__init__(); self.ends, self.cpu = [], []

        def on_train_batch_end(self, batch, logs=None):
            for value in (logs or {}).values(): float(value)  # wait for the step to finish
            self.ends.append(time.perf_counter()); self.cpu.append(time.process_time())
            if _out_of_time(self.ends, self.warmup, self.deadline): self.model.stop_training = True

    def run(ds, warmup, steps, deadline):  # one fit call, as users train; its warm-up steps trace (and XLA-compile)
        timer = StepTimer()
        timer.warmup, timer.deadline = warmup, deadline
        start = time.perf_counter()
        gan.fit(ds, steps_per_epoch=warmup + steps, epochs=1, verbose=0, callbacks=[timer])
        return start, timer.ends, timer.cpu

    data_format = (tuple(G.output_shape[1:]), output_scale(G), bool(getattr(gan, "num_classes", None)))
    return flops, (G, D) + ((E,) if E is not None else ()), data_format, run


def _out_of_time(ends, warmup, deadline) -> bool:
    "Whether another step would end after `deadline` (time.time()), once at least one step has been timed."
    if deadline is None or len(ends) < warmup + 1: return False
    return time.time() + (ends[-1] - ends[-2] if len(ends) > 1 else 0.0) > deadline


def _rss_mib() -> float:
    "This process's resident memory now, in MiB."
    try: return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError): return float("nan")


def worker(cfg: dict) -> list:
    """Train one configuration and return its measurements, one row per data source (printed as JSON).

    With both data sources (the input-pipeline check), the same model and compiled step are timed first on
    the constant synthetic batch, then on real data, so the ratio is not blurred by process-to-process noise."""
    import resource
    tf, keras = _quiet_tf()
    rss_import = _rss_mib()
    flops, nets, (image_shape, scale, labels), run = (_reference if cfg["kind"] == "reference" else _package)(cfg, tf, keras)
    rows, w, sources = [], cfg["warmup"], _sources(cfg)
    deadline = cfg.pop("deadline", None)
    for i, data in enumerate(sources):
        row_cfg = {**cfg, "data": data}
        ds = _dataset(row_cfg, image_shape, scale, tf, labels=labels)
        # --max-seconds: time fewer steps rather than none (the time left is shared by the data sources still to run)
        part_deadline = None if deadline is None else time.time() + (deadline - time.time()) / (len(sources) - i)
        start, ends, cpu = run(ds, w, cfg["steps"], part_deadline)
        timed, n = ends[-1] - ends[w - 1], len(ends) - w
        steps = [b - a for a, b in zip([start] + ends[:-1], ends)]
        row = {**row_cfg, **flops, "images_per_s": cfg["batch"] * n / timed, "timed_steps": n, "timed_s": timed,
               # CPU time of all the process's threads over the timed steps: less swayed by other work on the cores
               "images_per_cpu_s": cfg["batch"] * n / max(cpu[-1] - cpu[w - 1], 1e-9),
               "warmup_step_s": steps[:w], "step_s": steps[w:], "params": sum(net.count_params() for net in nets),
               "rss_after_import_mib": rss_import}
        row["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        if data == "real" and (deadline is None or time.time() < deadline):  # a fresh pipeline: its start-up counts too
            row.update(_pipeline_alone(_dataset(row_cfg, image_shape, scale, tf, labels=labels), cfg["batch"]))
        print(ROW_MARK, json.dumps(row), flush=True)  # at once: rows done count even if a later one runs out of time
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------- the command line, as a user runs it
def train_folder(folder, steps: int, rounds: int = 2, timeout: float = 900) -> dict:
    """`aa-gan train --dataset FOLDER` with no speed flag against `--precision float32 --no-xla`, alternating (the default first,
    so its one-time trial and the folder's decoding happen before anything is compared): ms/step of each run's second epoch."""
    import re
    import shutil
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="bench_train_"))
    env = {k: v for k, v in os.environ.items() if k != "AA_GAN_AUTO_PRECISION"}
    env.update(AA_GAN_CACHE_DIR=str(tmp / "cache"), TF_CPP_MIN_LOG_LEVEL="2")
    variants = {"default": [], "float32, no XLA": ["--precision", "float32", "--no-xla"]}
    out = {"folder": str(folder), "steps_per_epoch": steps, "ms_per_step": {k: [] for k in variants}, "chosen": None}
    code = "import sys; from aa_gan.cli import main; sys.exit(main())"
    try:
        for i in range(rounds):
            for name, flags in variants.items():
                run = tmp / f"run_{i}_{len(out['ms_per_step'][name])}_{name[:7]}"
                cmd = [sys.executable, "-c", code, "train", "--dataset", str(folder), "--epochs", "2", "--steps-per-epoch",
                       str(steps), "--quiet", "--seed", "0", "--out", str(run), *flags]
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
                times = re.findall(r"(\d+)ms/step", proc.stdout)
                if proc.returncode != 0 or len(times) < 2:
                    raise RuntimeError(f"aa-gan train {' '.join(flags)} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
                out["ms_per_step"][name].append(int(times[-1]))
                if name == "default" and out["chosen"] is None:
                    out["chosen"] = json.loads((run / "run.json").read_text()).get("speed")
                    out["speed_line"] = next((l for l in proc.stdout.splitlines() if l.startswith("Speed:")), "")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: sorted(v)[len(v) // 2] for k, v in out["ms_per_step"].items()}
    out["speedup"] = med["float32, no XLA"] / med["default"]
    return out


def verdict(rows, machine, cli=None) -> list:
    "The ratios the speed issue asks for, from the rows of this run: each line names what it divides by what."
    lines, ok = [], lambda r: "images_per_s" in r
    ref = next((r for r in rows if r["kind"] == "reference" and ok(r)), None)
    groups = {}
    for r in rows:
        if r["kind"] == "package" and ok(r) and r["data"] == "synthetic": groups.setdefault(label(r), []).append(r)
    for name, rs in groups.items():
        auto = next((r for r in rs if r["precision"] == "auto"), None)
        plain = next((r for r in rs if r["precision"] == "float32" and not r["xla"]), None)
        if auto and plain:
            prec, xla = computed_in(auto)
            frac = f"{100 * auto['fraction_of_peak']:.0f}% of the {prec} peak" if auto.get("fraction_of_peak") else "peak unknown"
            lines.append(f"- **{name}**: the automatic choice ({prec}{' + XLA' if xla else ''}) trains "
                         f"{auto['images_per_s']:,.0f} images/s, **{auto['images_per_s'] / plain['images_per_s']:.2f}x** plain float32 "
                         f"without XLA ({plain['images_per_s']:,.0f}); {frac}.")
        if auto and ref and name == REFERENCE:
            lines.append(f"- **The original recipe's default** is **{auto['images_per_s'] / ref['images_per_s']:.2f}x** the "
                         f"hand-written float32 reference step ({ref['images_per_s']:.1f} images/s).")
    if cli:
        med = {k: sorted(v)[len(v) // 2] for k, v in cli["ms_per_step"].items()}
        chosen = cli.get("chosen") or {}
        lines.append(f"- **`aa-gan train --dataset {Path(cli['folder']).name}`** with no speed flag ({chosen.get('precision')}"
                     f"{' + XLA' if chosen.get('xla') else ''}, chosen by its trial): {med['default']} ms/step against "
                     f"{med['float32, no XLA']} ms/step with `--precision float32 --no-xla`: **{cli['speedup']:.2f}x** "
                     f"(second epochs of {cli['steps_per_epoch']} steps, medians of {len(cli['ms_per_step']['default'])} runs each, alternating).")
    return lines


# ---------------------------------------------------------------------------- the driver
class _Parser(argparse.ArgumentParser):
    "Argument errors as one line (and exit status 2), not usage + traceback."
    def error(self, message): self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(text):
    try: value = int(text)
    except ValueError: raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1: raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text):
    try: value = float(text)
    except ValueError: raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0: raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def parse_args(argv=None):
    p = _Parser(prog="bench.py", description=__doc__.split("\n\n")[0],
                epilog="Every row is a fresh process; the reference row (plain float32 step of the original "
                       "recipe) always runs first and every row is divided by it.")
    p.add_argument("--recipe", nargs="+", default=[REFERENCE], metavar="NAME",
                   help="recipes to time: 'fashiongan' or a name in aa_gan.recipes.RECIPES (default: %(default)s)")
    p.add_argument("--precision", nargs="+", choices=PRECISIONS, default=None,
                   help="default: float32, bfloat16 too where the CPU has bf16 instructions, and auto (the package's own choice)")
    p.add_argument("--image-size", nargs="+", type=_positive, default=None, metavar="N",
                   help="image sizes (colour, --channels) to time too, for recipes that take one (fast, fast-cond, bce, ..., dcgan), after "
                        "their own shape (28x28x1 for the small ones); fashiongan and mnist have only theirs")
    p.add_argument("--channels", type=int, choices=(1, 3), default=3, help="channels with --image-size (default: %(default)s)")
    p.add_argument("--train-folder", metavar="FOLDER", default=None,
                   help="also time `aa-gan train --dataset FOLDER` with no speed flag against --precision float32 --no-xla")
    p.add_argument("--train-steps", type=_positive, default=60, help="steps per epoch of those runs (default: %(default)s)")
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown to FILE (README and 14_speed show it)")
    xla = p.add_mutually_exclusive_group()
    xla.add_argument("--jit", nargs="+", type=int, choices=(0, 1), default=None,
                     help="XLA off (0) and/or on (1) for the package rows (default: 0 1)")
    xla.add_argument("--xla", dest="jit", action="store_const", const=[1], help="only with XLA (--jit 1)")
    xla.add_argument("--no-xla", dest="jit", action="store_const", const=[0], help="only without XLA (--jit 0)")
    p.add_argument("--batch", type=_positive, default=32, help="images per step (default: %(default)s)")
    p.add_argument("--steps", type=_positive, default=3, help="timed steps per row (default: %(default)s)")
    p.add_argument("--warmup", type=_positive, default=2,
                   help="untimed steps first; the first one traces the graph (default: %(default)s)")
    p.add_argument("--data", nargs="+", choices=DATA, default=None,
                   help="input data for every row (default: synthetic, plus real for the first package row, "
                        "to compare the input pipeline)")
    p.add_argument("--json", metavar="FILE", help="also write the machine and the rows to FILE as JSON")
    p.add_argument("--max-seconds", type=_positive_float, default=170.0,
                   help="stop starting (and stop) rows once the run would take longer (default: %(default)s)")
    p.add_argument("--peak-gflops", type=_positive_float, default=None,
                   help="the CPU's float32 peak in GFLOP/s, if the estimate from cores x clock x FLOP/cycle is off")
    p.add_argument("--_worker", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.precision: a.precision = list(dict.fromkeys(a.precision))
    a.recipe = list(dict.fromkeys(a.recipe))
    return a


def _check_recipes(names):
    "Exit 2 with one line if a recipe name is not known (only imports aa_gan.recipes, and so TensorFlow, when needed)."
    unknown = [n for n in names if n != REFERENCE]
    if not unknown: return
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import aa_gan.data  # noqa: F401  (mutes TensorFlow's start-up logging)
        from aa_gan import recipes
        recipes.make_gan, recipes.RECIPES  # noqa: B018
    except (ImportError, AttributeError) as e:
        _exit2(f"bench.py: error: unknown recipe '{unknown[0]}': aa_gan.recipes cannot be used ({e}), "
               f"so only '{REFERENCE}' can be timed")
    for n in unknown:
        if n in recipes.RECIPES: continue
        if hasattr(recipes, "get_recipe"):
            try: recipes.get_recipe(n); continue
            except ValueError as e: _exit2(f"bench.py: error: {e}")
        _exit2(f"bench.py: error: unknown recipe '{n}'. Choose from: {', '.join([REFERENCE, *recipes.RECIPES])}")


def _load() -> float:
    "The 1-minute load average (runnable processes; compare with the cores), or 0 where unknown."
    try: return os.getloadavg()[0]
    except OSError: return 0.0


def _exit2(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def plan(a, machine) -> tuple:
    "The rows to run, in order (the reference first), and notes to print."
    notes = []
    precisions = a.precision
    if precisions is None:
        precisions = ["float32"] + (["bfloat16"] if machine["bf16"] else []) + ["auto"]
        if not machine["bf16"]:
            notes.append("bfloat16 skipped: this CPU has no bf16 instructions (no avx512_bf16 or amx_bf16 in "
                         "/proc/cpuinfo), so it would only be emulated; `--precision bfloat16` forces it.")
    jits = [bool(j) for j in dict.fromkeys(a.jit if a.jit is not None else [0, 1])]
    base = dict(batch=a.batch, steps=a.steps, warmup=a.warmup)
    data = a.data or ["synthetic"]
    ref_data = "synthetic" if "synthetic" in data else "real"
    rows = [dict(kind="reference", recipe=REFERENCE, precision="float32", xla=False, data=ref_data, **base)]
    for recipe in a.recipe:
        for size in ([None] if recipe in FIXED_SHAPE else [None, *(a.image_size or [])]):  # its own shape, then each size asked
            for precision in precisions:
                for jit in ([None] if precision == "auto" else jits):
                    # both sources in one worker: the same model and step, timed on each (the pipeline check)
                    rows.append(dict(kind="package", recipe=recipe, precision=precision, xla=jit, image_size=size,
                                     channels=a.channels if size else None, data=data if len(data) > 1 else data[0], **base))
    if a.data is None and len(rows) > 1 and not rows[1]["image_size"]:  # the input-pipeline check (Fashion-MNIST's shape): the first package row, then the same on real data
        rows[1] = {**rows[1], "data": ["synthetic", "real"]}
    return rows, notes


def _sources(cfg) -> list: return cfg["data"] if isinstance(cfg["data"], list) else [cfg["data"]]


def run_worker(cfg, timeout) -> tuple:
    "Run one configuration in a fresh process: (its rows, one per data source, each with measurements or 'error'; wall time)."
    # The worker times fewer steps when it would not finish in time; the timeout is the backstop
    soft = time.time() + timeout - min(10.0, 0.1 * timeout)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", json.dumps({**cfg, "deadline": soft})]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
        out, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:  # keep the rows it finished
        out, err = (x.decode(errors="replace") if isinstance(x, bytes) else (x or "") for x in (e.stdout, e.stderr))
        error = f"not finished: stopped after {timeout:.0f} s (--max-seconds)"
    else:
        lines = [l for l in err.strip().splitlines() if l.strip()]
        error = (lines[-1] if lines else f"exit status {proc.returncode}")[:300]
    rows = {}
    for line in out.splitlines():
        if line.startswith(ROW_MARK + " "):
            row = json.loads(line[len(ROW_MARK) + 1:])
            rows[row["data"]] = row
    return [rows.get(d) or {**cfg, "data": d, "error": error} for d in _sources(cfg)], time.perf_counter() - t


def _name(cfg) -> str:
    return f"{label(cfg)} {cfg['precision']}{' + XLA' if cfg['xla'] else ''} ({', then '.join(_sources(cfg))})"


def label(r) -> str:
    if r["kind"] == "reference": return f"reference ({r['recipe']})"
    return r["recipe"] + (f" {r['image_size']}x{r['image_size']}x{r['channels']}" if r.get("image_size") else "")


def computed_in(r) -> tuple:
    "(precision, XLA) the row computed in: for an 'auto' row, what the package chose."
    if r["precision"] == "auto" and r.get("chosen"): return r["chosen"]["precision"], bool(r["chosen"]["xla"])
    return r["precision"], bool(r["xla"])


def _fmt(x, spec, missing="n/a"): return missing if x is None else format(x, spec)


def report(rows, machine, a, notes) -> str:
    "The machine lines, the Markdown table and the notes under it."
    peak = a.peak_gflops or machine["peak_gflops"]
    ref = rows[0] if rows and rows[0]["kind"] == "reference" and "images_per_s" in rows[0] else None
    for r in rows:
        ips = r.get("images_per_s")
        r["vs_reference"] = ips / ref["images_per_s"] if ips and ref else None
        r["gflops_per_s"] = r["per_image"] * ips / 1e9 if ips and r.get("per_image") else None
        # against the peak of the precision it computed in (bfloat16 rows: the bfloat16 peak, where the CPU has one)
        row_peak = machine.get("peak_bf16_gflops") if computed_in(r)[0] == "bfloat16" else peak
        r["fraction_of_peak"] = r["gflops_per_s"] / row_peak if r["gflops_per_s"] and row_peak else None
    clock = f"{machine['clock_ghz'] * 1000:.0f} MHz" if machine["clock_ghz"] else "unknown clock"
    out = [f"machine: {machine['cpu']}, {machine['cores']} cores usable (sched_getaffinity), {clock} "
           f"('cpu MHz' in /proc/cpuinfo); flags: {' '.join(machine['flags']) or 'none'} "
           f"(absent: {' '.join(machine['missing_flags']) or 'none'})"]
    if a.peak_gflops: out.append(f"peak (float32): {peak:.1f} GFLOP/s, as given by --peak-gflops")
    elif peak:
        out.append(f"peak (float32, assumed): {machine['cores']} cores x {machine['clock_ghz']:.3f} GHz x "
                   f"{machine['flops_per_cycle']} FLOP/cycle ({machine['flops_per_cycle_why']}) = {peak:.1f} GFLOP/s "
                   "(at the listed clock: a higher turbo clock would make the true fraction lower)")
    if machine.get("peak_bf16_gflops"):
        out.append(f"peak (bfloat16, assumed): {machine['cores']} cores x {machine['clock_ghz']:.3f} GHz x "
                   f"{machine['bf16_flops_per_cycle']} FLOP/cycle ({machine['bf16_flops_per_cycle_why']}) = "
                   f"{machine['peak_bf16_gflops']:.1f} GFLOP/s; bfloat16 rows are measured against it")
    load = machine.get("load")
    if load and max(load) > 0.5 * machine["cores"]:
        out.append(f"WARNING: other work was running on these cores (load average {load[0]:.1f} at the start, "
                   f"{load[1]:.1f} at the end, for {machine['cores']} cores): images/s are lower and noisier than on an idle "
                   "machine; the CPU-time ratio under the table is less affected")
    out += notes
    out.append(f"batch {a.batch}, {a.warmup} warm-up step(s) (tracing, not timed) + {a.steps} timed step(s) per row; each "
               "configuration in a fresh process (its synthetic and real rows share it, and its compiled step)\n")
    out.append("| recipe | precision | XLA | data | batch | images/s | vs reference | peak RSS (MiB) | GFLOP/s | % of peak |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        prec, xla = computed_in(r)
        head = (f"| {label(r)} | {'auto: ' + prec if r['precision'] == 'auto' else prec} | {'yes' if xla else 'no'} | "
                f"{r['data']} | {r['batch']} |")
        if "error" in r:
            why = r["error"] if r["error"].startswith("not finished") else f"failed: {r['error']}"
            out.append(f"{head} {why.replace('|', '/')} | | | | |")
            continue
        frac = None if r["fraction_of_peak"] is None else 100 * r["fraction_of_peak"]
        short = f" ({r['timed_steps']} of {r['steps']} steps: --max-seconds)" if r.get("timed_steps", r["steps"]) < r["steps"] else ""
        out.append(f"{head} {r['images_per_s']:.2f}{short} | {_fmt(r['vs_reference'], '.2f')}x | {r['peak_rss_mib']:.0f} | "
                   f"{_fmt(r['gflops_per_s'], '.1f')} | {_fmt(frac, '.0f')}% |")
    out.append("")
    pkg = next((r for r in rows[1:] if "images_per_s" in r), None)
    if ref and pkg:
        out.append(f"images/s: reference {ref['images_per_s']:.2f}, package {pkg['recipe']} {pkg['precision']}"
                   f"{' + XLA' if pkg['xla'] else ''} ({pkg['data']}) {pkg['images_per_s']:.2f}: "
                   f"ratio {pkg['vs_reference']:.2f}x (by CPU time: {ref['images_per_cpu_s']:.2f} and "
                   f"{pkg['images_per_cpu_s']:.2f} images per CPU-second, ratio "
                   f"{pkg['images_per_cpu_s'] / ref['images_per_cpu_s']:.2f}x)")
    seen = set()
    for r in rows:
        if r["recipe"] in seen or "images_per_s" not in r: continue
        seen.add(r["recipe"])
        if not r.get("per_image"):
            out.append(f"FLOPs ({r['recipe']}): {r.get('flops_error', 'not counted')}")
            continue
        enc = f", F_E = {r['f_e'] / 1e9:.3f}" if "f_e" in r else ""
        out.append(f"FLOPs per image per training step ({r['recipe']}): {r['formula']} = {r['per_image'] / 1e9:.2f} GFLOP "
                   f"(forward per image: F_G = {r['f_g'] / 1e9:.3f}, F_D = {r['f_d'] / 1e9:.3f}{enc} GFLOP); "
                   f"x batch {r['batch']} = {r['per_image'] * r['batch'] / 1e9:.1f} GFLOP per step")
    if seen: out.append(f"FLOPs: discriminator step = G forward (F_G) + D forward and backward on a real and a fake "
                        f"image (2 x 3 F_D); generator step = G forward and backward (3 F_G) + D forward and input "
                        f"gradient (2 F_D). {FLOPS_NOTE}")
    for real in (r for r in rows if r["data"] == "real" and "images_per_s" in r):
        twin = next((s for s in rows if s["data"] == "synthetic" and "images_per_s" in s and
                     all(s[k] == real[k] for k in ("kind", "recipe", "precision", "xla", "batch"))), None)
        line = "input pipeline: "
        if twin: line += f"real/synthetic = {real['images_per_s'] / twin['images_per_s']:.2f}x "
        line += f"({label(real)} {real['precision']}{' + XLA' if real['xla'] else ''}, batch {real['batch']})"
        if "pipeline_images_per_s" not in real:
            out.append(line + "; the pipeline alone was not timed (--max-seconds)")
            continue
        line += (f"; the pipeline alone delivers {real['pipeline_images_per_s']:,.0f} images/s, "
                 f"{real['pipeline_images_per_s'] / real['images_per_s']:,.0f}x what training uses, so it is not the "
                 f"bottleneck; its start-up, once per fit() call (the first batch of a fresh pipeline, after "
                 f"the shuffle buffer fills), took {real['pipeline_first_batch_s']:.1f} s")
        out.append(line)
    if any(r["recipe"] != REFERENCE for r in rows):
        out.append(f"rows of recipes other than {REFERENCE} train other networks: 'vs reference' compares images/s, "
                   "not the same work (GFLOP/s does)")
    rss = [r["rss_after_import_mib"] for r in rows if r.get("rss_after_import_mib")]
    out.append("reference: a hand-written float32 step of the original FashionGAN recipe (Adam 1e-4 / 1e-5, binary "
               "cross-entropy, real=0 fake=1 with 0.15 label noise) in one tf.function, no XLA, no fit; package rows "
               "train with fit(). Peak RSS: the worker process's maximum resident memory"
               + (f", of which ~{min(rss):.0f} MiB is Python + TensorFlow after import" if rss else "")
               + "; real-data rows also hold the dataset")
    return "\n".join(out)


def main(argv=None):
    a = parse_args(argv)
    if a._worker is not None:
        worker(json.loads(a._worker))  # prints its rows
        return 0
    t0 = time.perf_counter()
    _check_recipes(a.recipe)
    machine, load_start = machine_info(), _load()
    rows, notes = plan(a, machine)
    done, walls = [], []
    for i, cfg in enumerate(rows, 1):
        left = a.max_seconds - (time.perf_counter() - t0)
        guess = max(walls, default=0.0)  # the least the next worker needs: as the longest so far, with one timed step
        if left < max(guess, 1.0):
            notes.append(f"skipped {len(rows) - i + 1} configuration(s) to stay within --max-seconds {a.max_seconds:.0f}: "
                         + "; ".join(_name(r) for r in rows[i - 1:]))
            break
        print(f"[{i}/{len(rows)}] {_name(cfg)} ...", end=" ", file=sys.stderr, flush=True)
        got, wall = run_worker(cfg, timeout=left)
        # what this worker would have needed to time just one step per row (start-up and warm-up are fixed costs)
        walls.append(wall - sum(r["timed_s"] * (1 - 1 / r["timed_steps"]) for r in got if "timed_s" in r))
        print(", ".join(f"{r['images_per_s']:.2f} images/s" if "images_per_s" in r else r["error"] for r in got),
              f"({wall:.0f} s)", file=sys.stderr, flush=True)
        done += got
    cli = None
    if a.train_folder:
        print(f"aa-gan train --dataset {a.train_folder}: default against --precision float32 --no-xla ...", file=sys.stderr, flush=True)
        cli = train_folder(a.train_folder, a.train_steps)
    machine["load"] = [load_start, _load()]
    text = report(done, machine, a, notes)
    lines = verdict(done, machine, cli)
    print(text + ("\n\n" + "\n".join(lines) if lines else ""))
    print(f"total wall time: {time.perf_counter() - t0:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": machine, "flops_note": FLOPS_NOTE, "rows": done, "train_folder": cli,
                                            "verdict": lines, "command": "python scripts/bench.py " + " ".join(argv or sys.argv[1:])},
                                           indent=1) + "\n")
    if a.markdown:  # what README and 14_speed show: made from this run, so it names its machine and cannot go stale
        Path(a.markdown).write_text(text + ("\n\n" + "\n".join(lines) if lines else "") + "\n")
    # Exit 1 if a worker failed, or if there is no ratio to show (the reference or the first package row is missing)
    failed = any("error" in r and not r["error"].startswith("not finished") for r in done)
    measured = [r for r in done if "images_per_s" in r]
    has_ratio = bool(measured) and measured[0]["kind"] == "reference" and any(r["kind"] == "package" for r in measured)
    return 1 if failed or not has_ratio else 0


if __name__ == "__main__":
    sys.exit(main())
