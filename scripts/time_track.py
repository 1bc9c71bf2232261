"""Re-run the GAN track as a learner does, top to bottom, and time each notebook: README's times come from here.

Every numbered notebook without a letter (01_data ... 14_speed) is executed in place with `jupyter nbconvert`, with no
budget variable set, so each trains at the showcase budget its stored figures state (on a CPU) and its outputs become
the ones a learner gets. `TF_CPP_MIN_LOG_LEVEL=3` keeps TensorFlow's C++ start-up lines out of the stored outputs.
Run it with nothing else on the machine: the times are wall clock on all the cores there are.

Usage: python scripts/time_track.py [--out images/track_times.json] [NOTEBOOK ...]   (default: the whole track)
Writes the JSON after every notebook, so an interrupted run keeps the times it has.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACK = re.compile(r"^(0[1-9]|1\d)_[a-z]")  # 05_mnist; not 00_core, 04a_gan (the engineering track) or 90_cli


def track(nbs=ROOT / "nbs") -> list:
    "The GAN track's notebooks in reading order."
    return sorted(p for p in nbs.glob("*.ipynb") if TRACK.match(p.name))


def main(argv=None):
    from aa_gan.core import machine  # the words every record of this package uses
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="names in nbs/ (default: the whole GAN track)")
    ap.add_argument("--out", default=str(ROOT / "images" / "track_times.json"))
    args = ap.parse_args(argv)
    names = args.notebooks or [p.name for p in track()]
    out = Path(args.out)
    saved = json.loads(out.read_text()) if out.is_file() and args.notebooks else {}
    times = dict(saved.get("seconds", {}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AA_GAN_")} | {"TF_CPP_MIN_LOG_LEVEL": "3"}
    jupyter = Path(sys.executable).with_name("jupyter")
    failed = []
    for name in names:
        start = time.perf_counter()
        r = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--inplace", name],
                           cwd=ROOT / "nbs", env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if r.returncode:
            failed.append(name)
            print(f"{name}: FAILED after {seconds / 60:.1f} min\n{r.stderr[-3000:]}", flush=True)
            continue
        times[name] = round(seconds, 1)
        print(f"{name}: {seconds / 60:.1f} min", flush=True)
        record = {"machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
                  "command": "python scripts/time_track.py", "seconds": times,
                  "total_minutes": round(sum(times.values()) / 60, 1)}
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1) + "\n"); tmp.replace(out)  # whole or not at all
    print(f"total: {sum(times.values()) / 60:.1f} min over {len(times)} notebooks" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
