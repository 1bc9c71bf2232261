"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack), after copying the speed
benchmark's table and verdict (images/bench.md, written by scripts/bench.py --markdown) into the notebook's bench-table block.

Usage: python scripts/make_readme.py [--check]   (--check: exit 1 if README.md or the notebook's block is out of date)
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


BENCH = ROOT / "images" / "bench.md"
START, END = "<!-- bench-table -->", "<!-- /bench-table -->"


def bench_block() -> str:
    "What README shows of the benchmark: the machine and its peaks, the table, the verdict (the rest is in 14_speed)."
    keep = [l for l in BENCH.read_text(encoding="utf-8").splitlines() if l.startswith(("machine:", "peak", "|", "- **"))]
    table = [l for l in keep if l.startswith("|")]
    return "\n".join([*(l for l in keep if not l.startswith(("|", "- **"))), "", *table, "", *(l for l in keep if l.startswith("- **"))])


def sync_bench(nb_path=ROOT / "nbs" / "index.ipynb", write: bool = True) -> bool:
    "Put `bench_block()` between the markers of the notebook's markdown; True if it was already there."
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or START not in text: continue
        head, rest = text.split(START, 1)
        new = f"{head}{START}\n{bench_block()}\n{END}{rest.split(END, 1)[1]}"
        if new == text: return True
        if write:
            lines = new.split("\n")
            cell["source"] = [l + "\n" for l in lines[:-1]] + [lines[-1]]
            Path(nb_path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return False
    return True


def render(nb_path=ROOT / "nbs" / "index.ipynb") -> str:
    "README text: the notebook's markdown cells, the title's `>` line as a quote, image paths made relative to the root."
    cells = json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]
    parts = ["<!-- Made from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file. -->"]
    for cell in cells:
        if cell["cell_type"] != "markdown": continue
        text = "".join(cell["source"]).strip()
        parts.append(re.sub(r"\]\(\.\./", "](", text))
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    check = "--check" in sys.argv[1:]
    synced = sync_bench(write=not check)
    text, readme = render(), ROOT / "README.md"
    if check:
        ok = synced and readme.exists() and readme.read_text(encoding="utf-8") == text
        print("README.md is up to date" if ok else "README.md is out of date: run python scripts/make_readme.py")
        sys.exit(0 if ok else 1)
    readme.write_text(text, encoding="utf-8")
    print(f"wrote {readme}")
