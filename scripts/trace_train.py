"""The trip from `aa-gan train` to the fitted GAN: which of the package's functions a run passes through, in order.

Runs `aa-gan train` (a tiny run: the fast recipe, 1 step of 4 images) under a profiler hook and records every call into
a function of the package, from the command's entry until Keras' own `fit` starts (what runs inside `fit`, the training
step and the callbacks, is the training itself, not the trip). Printed: each stop with its depth below the command,
then the counts:

- stops: the calls that carry the run's options: calls into the package's functions that receive the parsed command
  line, the `TrainConfig` or the `Recipe` as an argument (the trip a reader follows to see where an option goes);
  `--depth N` counts instead every call into the package at depth <= N below `aa_gan.cli._train`;
- climbs back: stops whose module differs from the previous stop's and was already visited (a return to a module the
  trip had left, the back-and-forth a reader follows);
- files: the modules visited.

The package's modules are imported before the trip starts, and dunder methods (`__getattr__`, `__post_init__`) are
not stops: neither is a place a reader follows the configuration to.

Usage: python scripts/trace_train.py [--depth 2] [--all]   (--all also counts calls at every depth)
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def carries_options(frame, kinds) -> bool:
    "Whether a call received the options: the argparse namespace, a TrainConfig or a Recipe among its arguments."
    code = frame.f_code
    n = code.co_argcount + code.co_kwonlyargcount
    values = [frame.f_locals.get(name) for name in code.co_varnames[:n]]
    if code.co_flags & 0x04: values += list(frame.f_locals.get(code.co_varnames[n]) or ()); n += 1  # *args
    if code.co_flags & 0x08: values += list((frame.f_locals.get(code.co_varnames[n]) or {}).values())  # **options
    return any(isinstance(v, kinds) for v in values)


def option_kinds() -> tuple:
    import argparse
    import aa_gan.recipes as recipes
    from aa_gan.cli import TrainConfig  # wherever the configuration lives, the command line imports it
    return (argparse.Namespace, TrainConfig, recipes.Recipe)


def trace(argv, max_depth: int):
    import importlib, pkgutil
    import aa_gan
    for m in pkgutil.iter_modules(aa_gan.__path__): importlib.import_module(f"aa_gan.{m.name}")  # imports are not stops
    from aa_gan.core import tf, keras  # noqa: F401 (nor is TensorFlow's lazy import)
    root = str(Path(aa_gan.__file__).parent)
    kinds = option_kinds()
    stops, depth = [], {"n": None}
    stack = []

    def hook(frame, event, arg):
        code = frame.f_code
        if event == "call":
            inside = (code.co_filename.startswith(root) and not code.co_name.startswith("<")
                      and not (code.co_name.startswith("__") and code.co_name != "__init__"))  # dunders: attribute lookups, dataclass hooks
            if code.co_name == "fit" and "keras" in code.co_filename: raise StopTrip  # Keras' fit starts: the trip is over
            if depth["n"] is None and inside and code.co_name == "_train" and code.co_filename.endswith("cli.py"): depth["n"] = 0
            elif depth["n"] is not None and inside: depth["n"] += 1
            stack.append(inside and depth["n"] is not None)
            if inside and depth["n"] is not None:
                module = Path(code.co_filename).stem
                stops.append((depth["n"], f"{module}.{code.co_qualname}", module, carries_options(frame, kinds)))
        elif event == "return":
            if stack and stack.pop() and depth["n"] is not None: depth["n"] -= 1

    from aa_gan.cli import main
    sys.setprofile(hook)
    try: main(argv)
    except StopTrip: pass
    finally: sys.setprofile(None)
    return stops


class StopTrip(Exception): pass


def count(stops, max_depth: int | None = None) -> dict:
    "Stops, climbs back and files of the calls that carry the options (or of every call at depth <= max_depth)."
    path = [s for s in stops if (s[3] if max_depth is None else s[0] <= max_depth)]
    seen, climbs, previous = set(), 0, None
    for _, _, module, _ in path:
        if module != previous and module in seen: climbs += 1
        seen.add(module); previous = module
    return {"stops": len(path), "climbs back": climbs, "files": len(seen), "path": path}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depth", type=int, default=None, help="count every call at depth <= N below aa_gan.cli._train instead")
    p.add_argument("--all", action="store_true", help="also count every call into the package, at every depth")
    a = p.parse_args()
    out = Path(tempfile.mkdtemp()) / "run"
    stops = trace(["train", "--model", "fast", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "4",
                   "--max-images", "16", "--seed", "0", "--quiet", "--out", str(out)], a.depth)
    c = count(stops, a.depth)
    for d, name, _, _ in c["path"]: print("  " * d + name)
    what = "calls that carry the options" if a.depth is None else f"every call at depth <= {a.depth}"
    print(f"\nfrom `aa-gan train` to Keras' fit, {what}: {c['stops']} stops, {c['climbs back']} climbs back, {c['files']} files")
    if a.all:
        c = count(stops, 10 ** 6)
        print(f"every depth: {c['stops']} stops, {c['climbs back']} climbs back, {c['files']} files")
