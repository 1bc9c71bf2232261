"""Stored outputs and shipped cards are read on the website: no machine paths, no TensorFlow C++ log lines, no Python warnings.

A notebook's stored outputs are what a learner sees first; a generator's card is what `aa-gan generate` users read. Both must
say what the run showed, not where or on which interpreter it ran."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOISE = {  # what each kind of noise looks like in a line of output
    "a TensorFlow C++ log line": re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|^WARNING: All log messages before absl"),
    "a machine's absolute path": re.compile(r"(?<![\w.~])/(?:work|home|root|tmp|usr|opt|var|Users)/"),
    "a Python warning": re.compile(r"\.py:\d+: \w*Warning\b|^\s*warnings\.warn\("),
}


def output_text(output: dict) -> str:
    "The text of one stored output: a stream, the plain-text form of a result, or an error's traceback."
    if "text" in output: return "".join(output["text"])
    if "traceback" in output: return "\n".join(output["traceback"])
    return "".join(output.get("data", {}).get("text/plain", ""))


def noise_in_notebook(path: Path) -> list:
    "(cell index, kind, line) for every noisy line among the stored outputs of the notebook at `path`."
    found = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        for output in cell.get("outputs", []):
            for line in output_text(output).splitlines():
                found += [(i, kind, line[:160]) for kind, pattern in NOISE.items() if pattern.search(line)]
    return found


def noise_in_card(path: Path) -> list:
    "(key, kind, value) for every noisy string in a shipped generator's or classifier's card."
    def strings(value, key=""):
        if isinstance(value, str): yield key, value
        elif isinstance(value, dict):
            for k, v in value.items(): yield from strings(v, k)
        elif isinstance(value, list):
            for v in value: yield from strings(v, key)
    return [(k, kind, s[:160]) for k, s in strings(json.loads(path.read_text()))
            for kind, pattern in NOISE.items() if pattern.search(s)]


@pytest.mark.parametrize("notebook", sorted((ROOT / "nbs").glob("*.ipynb")), ids=lambda p: p.name)
def test_stored_outputs_are_clean(notebook):
    assert noise_in_notebook(notebook) == []


@pytest.mark.parametrize("card", sorted((ROOT / "aa_gan" / "weights").glob("*.json")), ids=lambda p: p.name)
def test_shipped_cards_are_clean(card):
    assert noise_in_card(card) == []


def test_the_checks_can_fail(tmp_path):
    lines = ["E0000 00:00:1796569236.636770   17277 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT\n",
             "/srv/venv/lib/python3.11/site-packages/keras/src/trainers/epoch_iterator.py:74: UserWarning: `shuffle=True`\n",
             "fashion_mnist [train] from tensorflow-datasets (/root/tensorflow_datasets/fashion_mnist/3.0.1): 60,000 images\n",
             "fashion_mnist [train] from tensorflow-datasets (~/tensorflow_datasets/fashion_mnist/3.0.1): 60,000 images\n"]
    nb = {"cells": [{"cell_type": "code", "source": [], "outputs": [{"output_type": "stream", "name": "stderr", "text": lines}]}]}
    (tmp_path / "x.ipynb").write_text(json.dumps(nb))
    kinds = [kind for _, kind, _ in noise_in_notebook(tmp_path / "x.ipynb")]
    assert kinds == ["a TensorFlow C++ log line", "a Python warning", "a machine's absolute path"]  # the ~ line is clean
    (tmp_path / "card.json").write_text(json.dumps({"dataset": "/work/main/runs/colour/emoji64", "metrics": {"fid": 1.0}}))
    assert [k for k, _, _ in noise_in_card(tmp_path / "card.json")] == ["dataset"]
