"""Scoring colour generators offline (issue 20, item 4): the evaluator for colour and 64x64 images, the shipped emoji
classifier and its card, the calibration rows, and `evaluate_generator` / `aa-gan evaluate` against a folder of images."""
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aa_gan import evaluation as ev
from aa_gan.small import fast_generator



sys.path.insert(0, str(Path(__file__).parent))
from test_reliability import aa_gan as _aa_gan, one_line_error  # noqa: E402  the command-line helpers of issue 21


def aa_gan(*args, env=None, timeout=600): return _aa_gan(*args, env=env, timeout=timeout)  # scoring takes longer than a bad flag


def one_error_line(r) -> str:
    "The single stderr line of a failed command (exit code 2), which says it is aa-gan's error."
    line = one_line_error(r)
    assert line.startswith("aa-gan: error: "), line
    return line


def write_folder(folder: Path, per_class: int, size: int = 32, seed: int = 0, classes=("blue_squares", "red_discs")):
    "A small colour folder, one sub-folder per class: red discs and blue squares of random size and place on white."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    for c, name in enumerate(classes):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            im = np.full((size, size, 3), 255, np.uint8)
            cy, cx, r = rng.integers(8, size - 8, 2).tolist() + [int(rng.integers(3, 8))]
            mask = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) if c else ((abs(yy - cy) <= r) & (abs(xx - cx) <= r))
            im[mask] = [int(rng.integers(150, 256)), 0, 0] if c else [0, 0, int(rng.integers(150, 256))]
            Image.fromarray(im).save(folder / name / f"{i:03d}.png")
    return folder


@pytest.fixture(scope="module")
def colour(tmp_path_factory):
    "A 160-image colour folder, a domain classifier trained on it for one epoch (in a private evaluator_dir), a 32x32 generator."
    root = tmp_path_factory.mktemp("colour")
    folder = write_folder(root / "shapes", per_class=80)
    evaluators = root / "evaluators"
    old = os.environ.get("AA_GAN_EVALUATOR_DIR")
    os.environ["AA_GAN_EVALUATOR_DIR"] = str(evaluators)
    try:
        _, acc = ev.train_evaluator(folder, epochs=1, batch_size=32, image_shape=(32, 32, 3), verbose=0)
    finally:
        if old is None: os.environ.pop("AA_GAN_EVALUATOR_DIR")
        else: os.environ["AA_GAN_EVALUATOR_DIR"] = old
    generator = fast_generator(image_shape=(32, 32, 3))
    generator.save(root / "G.keras")
    return {"root": root, "folder": folder, "evaluators": evaluators, "acc": acc, "generator": generator, "G": root / "G.keras"}


# ---------------------------------------------------------------- the evaluator for colour and larger images

def test_build_evaluator_layouts():
    assert ev.build_evaluator().count_params() == 421_930  # the shipped Fashion-MNIST layout is unchanged
    m = ev.build_evaluator(99, (64, 64, 3))
    assert m.get_layer("features").input.shape[-1] == 8 * 8 * 128 and m.output_shape == (None, 99)
    assert ev.build_evaluator(5, (32, 32, 3)).get_layer("features").input.shape[-1] == 8 * 8 * 64


def test_train_evaluator_on_a_colour_folder(colour):
    saved = colour["evaluators"] / "shapes_classifier.keras"  # named after the folder, where load_evaluator looks
    assert saved.exists()
    model = ev.load_evaluator(path=saved)
    assert model.input_shape[1:] == (32, 32, 3) and model.output_shape[-1] == 2
    assert 0.0 <= colour["acc"] <= 1.0


def test_train_evaluator_labels_must_match_images():
    x = np.zeros((20, 16, 16, 3), np.float32)
    with pytest.raises(ValueError, match="20 images but 19 labels"):
        ev.train_evaluator((x, np.zeros(19, int)), epochs=1, path=False, verbose=0)


# ---------------------------------------------------------------- the shipped emoji classifier

def test_shipped_emoji_classifier_and_card():
    path = ev.WEIGHTS_DIR / "emoji_classifier.keras"
    card = json.loads(path.with_suffix(".json").read_text())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == card["sha256"]  # the card describes these very weights
    assert {"command", "train_seconds", "machine", "accuracy", "classes"} <= set(card)
    assert path.stat().st_size < 8_000_000
    model = ev.load_evaluator("emoji")
    assert model.input_shape[1:] == (64, 64, 3) and model.output_shape[-1] == card["classes"]


def test_emoji_folder_is_recognised_by_its_index(tmp_path):
    (tmp_path / "emoji.csv").write_text("path,group,subgroup,codepoints,name\n")
    assert ev.is_emoji_folder(tmp_path)
    (tmp_path / "emoji.csv").write_text("file,label\n")  # some other index: not the emoji set
    assert not ev.is_emoji_folder(tmp_path)
    assert ev.folder_extractor(tmp_path, evaluator="emoji").name == "domain:emoji"


def test_calibration_on_the_emoji_set_orders_real_before_noise(emoji_set):
    "Negative control: the shipped classifier puts two halves of the real set far closer than damaged copies and noise."
    x = ev._folder_arrays(emoji_set, (64, 64, 3), with_labels=False)[0]
    x = x[np.random.default_rng(0).choice(len(x), 1200, replace=False)]
    rows = ev.calibration_table(x, dataset="emoji", kid_subsets=10)
    floor, noise = rows["real half vs other half"], rows["uniform noise"]
    assert floor["fid"] * 20 < noise["fid"] and floor["recall"] > 0.7 > noise["recall"], (floor, noise)
    fids = [rows[f"real at {s}x{s} and back"]["fid"] for s in (32, 16, 8)]
    assert floor["fid"] < fids[0] < fids[1] < fids[2], fids  # less detail, worse: the order eyes see
    noisy = [rows[f"real + gaussian noise sd {sd:g}"]["fid"] for sd in (0.05, 0.1, 0.2)]
    assert floor["fid"] < noisy[0] < noisy[1] < noisy[2], noisy
    assert rows["one real image repeated"]["recall"] < 0.05


def test_the_emoji_scorer_does_not_forgive_blur(emoji_set):
    """Issue 30: real emoji blurred to 8x8 and back kept a recall of 0.45 against the other half under the old classifier,
    as much as the shipped generator's; the shipped classifier must not find them: recall at most 0.3, at 64 and at 32 pixels."""
    for size in (64, 32):
        x = ev._folder_arrays(emoji_set, (size, size, 3), with_labels=False)[0]
        order = np.random.default_rng(1).permutation(len(x)); half = len(x) // 2
        a, b = x[order[:half]], x[order[half:2 * half]]
        fit = lambda v: ev._resize(v, (64, 64)) if size != 64 else v
        blurred = ev._resize(ev._resize(b, (8, 8)), (size, size))
        rows = ev.calibrate(fit(a), {"half": fit(b), "blurred": fit(blurred)}, dataset="emoji", kid_subsets=5)
        assert rows["blurred"]["recall"] <= 0.3 < rows["half"]["recall"], (size, rows["blurred"]["recall"], rows["half"]["recall"])


def test_the_shipped_emoji_classifier_is_strong():
    "The card's held-out accuracies: the issue's target of 0.75 on the 9 groups, and well above the old 0.47 on the subgroups."
    card = json.loads((ev.WEIGHTS_DIR / "emoji_classifier.json").read_text())
    assert card["group_accuracy"] >= 0.75 and card["accuracy"] >= 0.6, card
    assert "/root/" not in json.dumps(card) and "/work/" not in json.dumps(card) and "/tmp/" not in json.dumps(card)


def test_calibration_table_with_a_folder_classifier(colour):
    "Any extractor works: the small folder's one-epoch classifier already puts two real halves far below uniform noise."
    x = ev._folder_arrays(colour["folder"], (32, 32, 3), with_labels=False)[0]
    assert x.shape == (160, 32, 32, 3)
    ext = ev._named_extractor(colour["evaluators"] / "shapes_classifier.keras")
    x = np.concatenate([x] * 2)  # 320 images: 160 a side, more than its 128 features
    rows = ev.calibration_table(x, extractor=ext, kid_subsets=5)
    floor, noise = rows["real half vs other half"]["fid"], rows["uniform noise"]["fid"]
    assert floor * 10 < noise, (floor, noise)  # measured: 0.01 and 0.28


# ---------------------------------------------------------------- evaluate_generator against a folder

def test_evaluate_generator_on_a_colour_folder(colour, monkeypatch, capsys):
    monkeypatch.setenv("AA_GAN_EVALUATOR_DIR", str(colour["evaluators"]))
    m = ev.evaluate_generator(colour["generator"], dataset=colour["folder"], n=500)
    out = capsys.readouterr().out
    assert "holds 160 images: evaluating 160 generated images against all of them (asked for 500)" in out
    assert m["n_real"] == m["n_fake"] == 160 and m["extractor"] == "domain:shapes"  # the classifier trained on the folder
    assert np.isfinite(m["fid"]) and 0 <= m["precision"] <= 1
    json.dumps(m)
    assert "class_agreement" not in m  # unconditional


def test_class_agreement_only_with_the_same_classes(colour, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("AA_GAN_EVALUATOR_DIR", str(colour["evaluators"]))
    cond = fast_generator(image_shape=(32, 32, 3), num_classes=2, class_names=["blue_squares", "red_discs"])
    m = ev.evaluate_generator(cond, dataset=colour["folder"], n=160)
    assert 0 <= m["class_agreement"] <= 1  # the folder's own classifier: the same two sorted sub-folder classes
    bigger = write_folder(tmp_path / "more_shapes", per_class=150)  # more images than the emoji classifier's 256 features
    m = ev.evaluate_generator(cond, dataset=bigger, n=300, evaluator="emoji", calibration=False)  # 99 subgroups, not 2 classes
    assert "class_agreement" not in m and m["extractor"] == "domain:emoji"
    out = capsys.readouterr().out
    assert "No class agreement: the domain:emoji classifier knows" in out and "Resizing the generated and real 32x32 images to 64x64" in out


def test_a_conditional_generator_draws_the_folders_class_frequencies(colour, tmp_path, monkeypatch):
    """Scored against a folder of 150 blue squares and 10 red discs, a conditional generator draws 150 and 10, not 80 and 80:
    equal draws would put the FID's means apart for a reason that is not the pictures (the emoji set is 59% people)."""
    monkeypatch.setenv("AA_GAN_EVALUATOR_DIR", str(colour["evaluators"]))
    folder = write_folder(tmp_path / "shapes", per_class=150)
    for extra in sorted((folder / "red_discs").glob("*.png"))[10:]: extra.unlink()
    drawn = []
    real_generate = ev.generate
    monkeypatch.setattr(ev, "generate", lambda gen, n, labels=None, **kw: (drawn.append(labels), real_generate(gen, n, labels=labels, **kw))[1])
    cond = fast_generator(image_shape=(32, 32, 3), num_classes=2, class_names=["blue_squares", "red_discs"])
    ev.evaluate_generator(cond, dataset=folder, n=160, evaluator=colour["evaluators"] / "shapes_classifier.keras")
    assert np.bincount(drawn[0]).tolist() == [150, 10]
    other = fast_generator(image_shape=(32, 32, 3), num_classes=2, class_names=["a", "b"])  # not this folder's classes
    ev.evaluate_generator(other, dataset=folder, n=160, evaluator=colour["evaluators"] / "shapes_classifier.keras")
    assert np.bincount(drawn[1]).tolist() == [80, 80]


def test_cli_evaluate_colour_generator_against_folder(colour, tmp_path):
    out = tmp_path / "m.json"
    r = aa_gan("evaluate", "--generator", colour["G"], "--dataset", colour["folder"], "-n", 1000, "--json", out,
               env={"AA_GAN_EVALUATOR_DIR": str(colour["evaluators"])})
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads(out.read_text())
    assert m["n_real"] == 160 and m["dataset"] == str(colour["folder"]) and m["extractor"] == "domain:shapes"
    assert "asked for 1,000" in r.stdout and "FID" in r.stdout


def test_cli_evaluate_folder_errors(colour, tmp_path):
    empty_keras = {"AA_GAN_EVALUATOR_DIR": str(tmp_path / "none"), "KERAS_HOME": str(tmp_path / "keras")}
    line = one_error_line(aa_gan("evaluate", "--generator", colour["G"], "--dataset", tmp_path / "missing", env=empty_keras))
    assert f"--dataset {tmp_path / 'missing'}: No folder there: pass a folder of images" in line
    # a folder with no classifier, no emoji.csv and no downloaded Inception weights: scored by SWD, with no option
    r = aa_gan("evaluate", "--generator", colour["G"], "--dataset", colour["folder"], env=empty_keras)
    assert r.returncode == 0 and "features: no network" in r.stdout and "real half vs other half" in r.stdout, r.stderr[-2000:]
    # too few images for the features of a classifier named on the command line
    few = write_folder(tmp_path / "few", per_class=10, seed=1)
    line = one_error_line(aa_gan("evaluate", "--generator", colour["G"], "--dataset", few,
                                 "--evaluator", colour["evaluators"] / "shapes_classifier.keras", env=empty_keras))
    assert "has 20 images but the domain:shapes_classifier.keras extractor gives 128 features" in line
    assert "leave out the classifier (--evaluator)" in line
    line = one_error_line(aa_gan("evaluate", "--generator", colour["G"], "--extractor", "inception", "--evaluator", "emoji"))
    assert "--evaluator names a domain classifier" in line


def test_a_folders_own_classifier_needs_more_images_than_features(colour, tmp_path, monkeypatch, capsys):
    "Found by itself (not named), a classifier with too few images to score by steps aside for SWD, and says so."
    monkeypatch.setenv("AA_GAN_EVALUATOR_DIR", str(colour["evaluators"]))
    few = write_folder(tmp_path / "shapes", per_class=10, seed=1)  # named like the folder the classifier was trained on
    m = ev.evaluate_generator(colour["generator"], dataset=few, n=100)
    assert m["extractor"] == ev.SWD_NAME and "fid" not in m and np.isfinite(m["swd"])
    assert "too few for FID with the 128 features" in capsys.readouterr().out
