"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack).

Usage: python scripts/make_readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    text, readme = render(), ROOT / "README.md"
    if "--check" in sys.argv[1:]:
        ok = readme.exists() and readme.read_text(encoding="utf-8") == text
        print("README.md is up to date" if ok else "README.md is out of date: run python scripts/make_readme.py")
        sys.exit(0 if ok else 1)
    readme.write_text(text, encoding="utf-8")
    print(f"wrote {readme}")
