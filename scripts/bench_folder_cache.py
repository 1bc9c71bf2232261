"""Time the folder cache (issue 20, item 3): first load vs reuse, and one epoch of pure iteration, before and after.

    python scripts/bench_folder_cache.py [FOLDER] [--sizes 32 64] [--before REV] [--batch-size 128] [--json OUT]

FOLDER defaults to runs/colour/emoji64 (made by `aa_gan.folders.make_emoji_folder`). "Before" is
`aa_gan/folders.py` as it was at git revision REV (default 6e0c31b, the last one without the cache):
it checked every file when called, then decoded in the tf.data pipeline during the first epoch and
kept the result in memory (`ds.cache()`) for the next ones; nothing outlived the process. "After" is
the package as it is: the first load decodes into an array and keeps it in a (here temporary) cache
folder; the reuse reads that array. Each row times the call (`load`) and two passes over the dataset
(`epoch 1`, `epoch 2`), iterating batches and doing nothing else.
"""
import argparse, importlib.util, json, os, shutil, subprocess, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def old_module(rev: str):
    "aa_gan/folders.py at git revision `rev`, imported as a module of its own."
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:aa_gan/folders.py"], capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "folders_before.py"
    path.write_text(src.replace("from .", "from aa_gan."))
    spec = importlib.util.spec_from_file_location("folders_before", path)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


def timed(load, **kwargs) -> dict:
    start = time.perf_counter(); ds = load(**kwargs); row = {"load": time.perf_counter() - start}
    for epoch in (1, 2):
        start = time.perf_counter(); n = sum(int(b.shape[0]) for b in ds); row[f"epoch {epoch}"] = time.perf_counter() - start
    row["images"] = n
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?", default=str(ROOT / "runs" / "colour" / "emoji64"))
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    p.add_argument("--before", default="6e0c31b")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--json", help="also write the rows here")
    a = p.parse_args()
    from aa_gan.core import quiet
    import aa_gan.folders as after
    before = old_module(a.before)
    files = [f for f in Path(a.folder).rglob("*") if f.is_file()]
    for f in files: f.read_bytes()  # every variant starts with the files in the page cache
    cache = tempfile.mkdtemp(prefix="bench_folder_cache_")
    rows = []
    for size in a.sizes:
        common = dict(path=a.folder, image_size=size, channels=3, batch_size=a.batch_size, seed=0, verbose=False)
        variants = [("before (check, decode in epoch 1, ds.cache)", before.load_image_folder, {}),
                    ("after, first load (decode into the cache)", after.load_image_folder, {"cache_dir": cache}),
                    ("after, reuse (read the cache)", after.load_image_folder, {"cache_dir": cache}),
                    ("after, cache=False (decode every epoch)", after.load_image_folder, {"cache": False, "cache_dir": False})]
        for name, load, extra in variants:
            after._SCANS.clear()  # as in a new process: only the disk remembers
            with quiet(): row = timed(load, **common, **extra)
            rows.append({"size": size, "variant": name, **{k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}})
            print(f"{size:>3} px  {name:<46} load {row['load']:6.2f} s  epoch 1 {row['epoch 1']:6.2f} s  epoch 2 {row['epoch 2']:6.2f} s"
                  f"  ({row['images']:,} images)", flush=True)
    print(f"cache: {sum(f.stat().st_size for f in Path(cache).iterdir()) / 2**20:.1f} MiB (removed again); {os.cpu_count()} CPUs")
    shutil.rmtree(cache)
    if a.json: Path(a.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
