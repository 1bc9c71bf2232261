"""The book's layout (issue 19): one notebook per module, no notebook exporting into another's module, numbers unique, and
`ls nbs` in import order, so the file a maintainer edits is the one a module's header names, and reading order is file order."""
import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, PACKAGE = ROOT / "nbs", ROOT / "aa_gan"
HEADER = re.compile(r"File to edit: \.\./nbs/([\w.-]+\.ipynb)")
CELL = re.compile(r"^# %% \.\./nbs/([\w.-]+\.ipynb)", re.M)


def notebooks() -> list:
    return sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))


def code_cells(nb: Path) -> list:
    return ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]


def exports(nb: Path) -> tuple:
    "(the module a notebook owns, the modules its cells export into)."
    cells = code_cells(nb)
    own = next((m[1] for s in cells for m in [re.search(r"^#\|\s*default_exp\s+([\w.]+)", s, re.M)] if m), None)
    targets = {m[1] or own for s in cells for m in re.finditer(r"^#\|\s*(?:exports|exporti|export)[ \t]*([\w.]*)[ \t]*$", s, re.M)}
    return own, targets


def module_sources(text: str) -> set:
    "The notebooks a module's code cells say they come from (its header and every cell marker)."
    return set(HEADER.findall(text)) | set(CELL.findall(text))


def imported_modules(text: str) -> set:
    "aa_gan modules imported anywhere in `text` (module level or inside functions)."
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 1: found.add(node.module.split(".")[0])
            elif node.module.startswith("aa_gan."): found.add(node.module.split(".")[1])
            elif node.module == "aa_gan" or (node.level == 1 and not node.module): found |= {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("aa_gan.")}
    return found


def layout_problems(nbs: list, modules: dict) -> list:
    "Every way `nbs` (notebook paths) and `modules` ({name: source text}) break the one-book layout; empty if none."
    problems, owner = [], {}
    prefixes = [re.match(r"(\d\d[a-z]?)_", nb.name) for nb in nbs if nb.name != "index.ipynb"]
    names = [nb.name for nb in nbs if nb.name != "index.ipynb"]
    for name, m in zip(names, prefixes):
        if not m: problems.append(f"{name} has no NN_ or NNa_ prefix")
    numbers = [m[1] for m in prefixes if m]
    problems += [f"number {n} is used twice" for n in sorted({n for n in numbers if numbers.count(n) > 1})]
    for nb in nbs:
        own, targets = exports(nb)
        for t in targets - {own}: problems.append(f"{nb.name} exports into {t}, which is not its own module ({own})")
        if own: owner[own] = nb.name
    for mod, text in modules.items():
        sources = module_sources(text)
        if sources != {owner.get(mod)}:
            problems.append(f"aa_gan/{mod}.py comes from {sorted(sources)}, not from exactly its notebook {owner.get(mod)}")
    for mod, text in modules.items():
        for dep in imported_modules(text) & set(owner):
            if dep != mod and owner[dep] > owner.get(mod, ""):
                problems.append(f"aa_gan/{mod}.py ({owner.get(mod)}) imports aa_gan.{dep}, whose notebook {owner[dep]} comes later")
    return problems


def package_modules() -> dict:
    return {p.stem: p.read_text() for p in PACKAGE.glob("*.py") if not p.name.startswith("_")}


def test_one_notebook_per_module_in_import_order():
    assert layout_problems(notebooks(), package_modules()) == []


def test_every_module_has_a_notebook():
    owned = {exports(nb)[0] for nb in notebooks()}
    assert set(package_modules()) <= owned, set(package_modules()) - owned


def test_layout_check_can_fail(tmp_path):
    "The check above finds each kind of break on a small made-up book."
    def nb(name, *cells):
        p = tmp_path / name
        p.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells]}))
        return p
    a = nb("00_a.ipynb", "#| default_exp a", "#| export\nx = 1", "#| export b\ny = 2")  # exports into b's module
    b = nb("01_b.ipynb", "#| default_exp b")
    c = nb("01_c.ipynb", "#| default_exp c")  # number 01 twice
    modules = {"a": "# File to edit: ../nbs/00_a.ipynb.\n# %% ../nbs/00_a.ipynb 1\nfrom .b import y\n# %% ../nbs/01_b.ipynb 2\n",
               "b": "# File to edit: ../nbs/01_b.ipynb.\n", "c": "# File to edit: ../nbs/01_c.ipynb.\n"}
    found = layout_problems([a, b, c], modules)
    assert "00_a.ipynb exports into b, which is not its own module (a)" in found
    assert "number 01 is used twice" in found
    assert any(p.startswith("aa_gan/a.py comes from") for p in found)
    assert "aa_gan/a.py (00_a.ipynb) imports aa_gan.b, whose notebook 01_b.ipynb comes later" in found
