import configparser
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


def test_readme_tables_are_the_measured_ones():
    "README's recipe comparison and benchmark tables are the files the scripts wrote, not hand-edited numbers."
    readme = (ROOT / "README.md").read_text()
    comparison = (ROOT / "images" / "recipes_comparison.md").read_text().strip()
    assert comparison in readme
    bench_rows = [l for l in (ROOT / "images" / "bench.md").read_text().splitlines() if l.startswith("| ")]
    assert len(bench_rows) >= 4 and all(row in readme for row in bench_rows)
