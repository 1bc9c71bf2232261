import configparser
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_is_made_from_index_notebook():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_readme.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_readme_test_command_is_what_ci_runs():
    "README's test command is what .ci/run runs, and that script installs what the suite needs, then runs the whole suite."
    readme = (ROOT / "README.md").read_text()
    ci = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines() if l.strip() and not l.lstrip().startswith("#")]
    assert "```sh\nbash scripts/test.sh\n```" in readme
    assert ci[-1] == "exec bash scripts/test.sh"
    script = (ROOT / "scripts" / "test.sh").read_text()
    assert "dataset-fashion-mnist" in script and 'python -m pip install -q -e ".[dev]"' in script
    assert script.rstrip().splitlines()[-1] == 'python -m pytest "$@"'


def test_version_matches_settings():
    import aa_gan
    cfg = configparser.ConfigParser(); cfg.read(ROOT / "settings.ini")
    assert aa_gan.__version__ == cfg["DEFAULT"]["version"]


def test_nbdev_export_changes_nothing(tmp_path):
    "The library is exactly what the notebooks export."
    import shutil
    nbdev_export = Path(sys.executable).with_name("nbdev_export")
    if not nbdev_export.exists(): import pytest; pytest.skip("nbdev is not installed (pip install -e '.[dev]')")
    for item in ("settings.ini", "nbs", "aa_gan"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / item,
            **({"ignore": shutil.ignore_patterns("__pycache__", "runs", ".ipynb_checkpoints")} if src.is_dir() else {}))
    r = subprocess.run([str(nbdev_export)], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for py in (ROOT / "aa_gan").glob("*.py"):
        assert (tmp_path / "aa_gan" / py.name).read_text() == py.read_text(), f"{py.name} differs from what nbdev_export writes"


def shown_markdown(nb_path: Path, file_name: str) -> list:
    "The stored Markdown outputs of the notebook's code cells that read `file_name` (display(Markdown(...)) of it)."
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    return ["".join(o["data"]["text/markdown"]) for c in cells if c["cell_type"] == "code" and file_name in "".join(c["source"])
            for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]


def test_book_tables_are_the_measured_ones():
    """The recipe comparison (13_comparison) and the speed benchmark (14_speed), which README links to, show the files the
    scripts wrote, not hand-edited numbers: each notebook displays its file, and its stored output is that file."""
    for nb, file in (("13_comparison", "recipes_comparison.md"), ("14_speed", "bench.md")):
        measured = (ROOT / "images" / file).read_text(encoding="utf-8").strip()
        shown = shown_markdown(ROOT / "nbs" / f"{nb}.ipynb", file)
        assert len(shown) == 1 and shown[0].strip() == measured, f"nbs/{nb}.ipynb does not show images/{file} as it is now"
    bench_rows = [l for l in (ROOT / "images" / "bench.md").read_text().splitlines() if l.startswith("| ")]
    assert len(bench_rows) >= 4


def test_readme_is_a_landing_page():
    "README (issue 28): short, a picture in its first screen, the tables left to the book, every notebook named."
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines"
    assert any(l.startswith("![") for l in lines[:25]), "no picture in README's first 25 lines"
    assert "pip install aa-gan" in readme and "git clone " in readme
    assert not any(len(l) > 120 for l in lines if not l.startswith(("|", "![", "<!--"))), "a line too long to read"
    bench_rows = [l for l in (ROOT / "images" / "bench.md").read_text().splitlines() if l.startswith("| ")]
    assert not any(row in readme for row in bench_rows), "README copies the speed table (14_speed shows it)"
    names = sorted(p.stem for p in (ROOT / "nbs").glob("[0-9]*.ipynb"))
    assert [n for n in names if f"`{n}`" not in readme] == []
