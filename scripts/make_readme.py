"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack).

README is the landing page: the measured tables live in the book (the recipe comparison and quality per CPU-minute in
13_comparison, the speed benchmark of images/bench.md in 14_speed), so nothing is copied into the notebook here.

Usage: python scripts/make_readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(nb_path=ROOT / "nbs" / "index.ipynb") -> str:
    """README text: the notebook's markdown cells, paths made relative to the repository's root: `../images/x.png`
    becomes `images/x.png`, and a link to a notebook beside the index, `(01_data.ipynb)`, becomes `(nbs/01_data.ipynb)`."""
    nbs = Path(nb_path).parent
    cells = json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]
    parts = ["<!-- Made from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file. -->"]
    for cell in cells:
        if cell["cell_type"] != "markdown": continue
        text = re.sub(r"\]\(\.\./", "](", "".join(cell["source"]).strip())
        text = re.sub(r"\]\(([\w.-]+\.ipynb)(#[^)]*)?\)",
                      lambda m: f"](nbs/{m[1]}{m[2] or ''})" if (nbs / m[1]).is_file() else m[0], text)
        parts.append(text)
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    check = "--check" in sys.argv[1:]
    text, readme = render(), ROOT / "README.md"
    if check:
        ok = readme.exists() and readme.read_text(encoding="utf-8") == text
        print("README.md is up to date" if ok else "README.md is out of date: run python scripts/make_readme.py")
        sys.exit(0 if ok else 1)
    readme.write_text(text, encoding="utf-8")
    print(f"wrote {readme}")
