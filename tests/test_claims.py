"""One source for every number (issue 19): what README.md and the notebooks' text say about the shipped generators and
the time-to-quality benchmark must be what their cards and JSON files say. A stale number (an old card's FID, a speed
measured before the last change) fails here, naming the place and the source."""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "aa_gan" / "weights"
TTQ = ROOT / "images" / "ttq" / "time_to_quality.json"


def sources() -> dict:
    "The cards of the shipped generators and the time-to-quality results, as read by the claims below."
    card = lambda name: json.loads((WEIGHTS / f"{name}.json").read_text())
    return {"default": card("fashion_mnist_generator"), "conditional": card("fashion_mnist_conditional_generator"),
            "emoji": card("emoji_generator"), "emoji64": card("emoji64_generator"), "ttq": json.loads(TTQ.read_text()),
            "colour64": json.loads((TTQ.parent / "colour64.json").read_text()),
            "blur32": json.loads((ROOT / "images" / "colour" / "emoji_calibration_32.json").read_text())["rows"]["real at 8x8 and back"],
            "track": json.loads((ROOT / "images" / "track_times.json").read_text())}


TRAINING_NOTEBOOKS = {"game": "04_game", "mnist": "05_mnist", "dcgan": "06_dcgan", "recipes": "07_recipes",
                      "training": "08_training", "results": "09_results",
                      "evaluation": "10_evaluation", "finetune": "11_finetune", "own": "12_own_images"}


def _track(t: dict) -> dict:
    "Minutes of the timed re-run of the GAN track (scripts/time_track.py): in all, and in each notebook that trains."
    minutes = {k: str(round(t["seconds"][f"{nb}.ipynb"] / 60)) for k, nb in TRAINING_NOTEBOOKS.items()}
    return {"total": str(round(sum(t["seconds"].values()) / 60)), **minutes}


def _card(c: dict) -> dict:
    m = c["metrics"]
    out = {"recipe": c["recipe"], "epochs": str(c["epochs"]), "minutes": str(round(c["train_seconds"] / 60)),
           "fid": f"{m['fid']:.1f}", "precision": f"{m['precision']:.2f}", "recall": f"{m['recall']:.2f}"}
    if "class_agreement" in m: out["agreement"] = f"{m['class_agreement']:.2f}"
    return out


# Each claim: a pattern over whitespace-normalised text whose named groups must equal what the source says
CLAIMS = {
    "README caption of the shipped default": (
        r"the `(?P<recipe>[\w-]+)` recipe after (?P<epochs>\d+) epochs, (?P<minutes>\d+) minutes on two CPU cores; "
        r"FID (?P<fid>[\d.]+) and recall (?P<recall>[\d.]+) on 10,000 images", lambda s: _card(s["default"])),
    "README caption of the shipped conditional": (
        r"It is the `(?P<recipe>[\w-]+)` recipe after (?P<epochs>\d+) epochs, (?P<minutes>\d+) minutes on two CPU cores\. "
        r"FID (?P<fid>[\d.]+) and class agreement (?P<agreement>[\d.]+) on 10,000 images", lambda s: _card(s["conditional"])),
    "table row of the shipped default": (
        r"\*\*shipped default\*\*: `(?P<recipe>[\w-]+)`, (?P<epochs>\d+) epochs, (?P<minutes>\d+) min[^|]*\| "
        r"\*\*(?P<fid>[\d.]+)\*\* \| (?P<precision>[\d.]+) \| \*\*(?P<recall>[\d.]+)\*\*", lambda s: _card(s["default"])),
    "table row of the shipped conditional": (
        r"\*\*shipped conditional\*\*: `(?P<recipe>[\w-]+)`, (?P<epochs>\d+) epochs, (?P<minutes>\d+) min[^|]*\| "
        r"\*\*(?P<fid>[\d.]+)\*\* \| (?P<precision>[\d.]+) \| (?P<recall>[\d.]+) \| \*\*(?P<agreement>[\d.]+)\*\*",
        lambda s: _card(s["conditional"])),
    "README caption of the shipped emoji generator": (
        r"It is `(?P<recipe>[\w-]+)` with augmentation on the emoji at 32x32 after (?P<epochs>\d+) epochs of 500 steps, (?P<minutes>\d+) minutes "
        r"on two shared CPU cores in bfloat16 .{0,80}On all 3,641 emoji[^:]{0,60}: FID (?P<fid>[\d.]+), precision (?P<precision>[\d.]+), recall (?P<recall>[\d.]+)\.",
        lambda s: {k: v for k, v in _card(s["emoji"]).items()}),
    "README caption of the shipped 64x64 emoji generator": (
        r"It is `(?P<recipe>[\w+-]+)` with R1 0\.1 and colour and translation augmentation after (?P<epochs>\d+) epochs of 500 "
        r"steps, (?P<minutes>\d+) minutes on one CPU core in bfloat16\. On all 3,641 emoji, by the emoji classifier: "
        r"FID (?P<fid>[\d.]+), precision (?P<precision>[\d.]+), recall (?P<recall>[\d.]+)\.", lambda s: _card(s["emoji64"])),
    "the blurred emoji it is compared with": (
        r"[Rr]eal emoji blurred to 8x8 and back score FID (?P<fid>[\d.]+) and recall (?P<recall>[\d.]+)",
        lambda s: {"fid": f"{s['blur32']['fid']:.1f}", "recall": f"{s['blur32']['recall']:.2f}"}),
    "the colour peer's best FID": (
        r"reaches the peer's best FID \((?P<fid>[\d.]+), at (?P<minutes>\d+) minutes\)",
        lambda s: {"fid": f"{min(r['fid'] for r in s['colour64']['results']['kerasio']['rows']):.1f}",
                   "minutes": f"{min(s['colour64']['results']['kerasio']['rows'], key=lambda r: r['fid'])['minutes']:g}"}),
    "the timed re-run of the GAN track": (
        r"took (?P<total>\d+) minutes on two CPU cores, with nothing else running: (?P<game>\d+) in `04_game`, "
        r"(?P<mnist>\d+) in `05_mnist`, (?P<dcgan>\d+) in `06_dcgan`, (?P<recipes>\d+) in `07_recipes`, "
        r"(?P<training>\d+) in `08_training`, "
        r"(?P<results>\d+) in `09_results`, (?P<evaluation>\d+) in `10_evaluation`, (?P<finetune>\d+) in `11_finetune` "
        r"and (?P<own>\d+) in `12_own_images`", lambda s: _track(s["track"])),
    "how far the shipped generators miss their targets": (
        r"Both are missed, by (?P<default>[\d.]+)x and (?P<conditional>[\d.]+)x",
        lambda s: {"default": f"{s['default']['metrics']['fid'] / 15:.1f}", "conditional": f"{s['conditional']['metrics']['fid'] / 8:.1f}"}),
    "the benchmark's 10-minute FIDs": (
        r"FID (?P<fast>[\d.]+) unconditional \(target 50\) and (?P<cond>[\d.]+) conditional",
        lambda s: {"fast": f"{_ttq_row(s, 'fast', 10)['fid']:.0f}", "cond": f"{_ttq_row(s, 'fast-cond', 10)['fid']:.0f}"}),
}


def _ttq_row(s: dict, contender: str, minutes: float) -> dict:
    return next(r for r in s["ttq"]["results"][contender]["rows"] if r["minutes"] == minutes)


def texts() -> dict:
    "README.md and every notebook's markdown, whitespace-normalised, by place."
    out = {"README.md": " ".join((ROOT / "README.md").read_text().split())}
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        out[f"nbs/{nb.name}"] = " ".join(" ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown").split())
    return out


def contradictions(texts: dict, src: dict, claims=CLAIMS) -> list:
    "Every stated number that its source contradicts, and every claim stated nowhere, as readable lines."
    found = []
    for name, (pattern, expected) in claims.items():
        want, hits = expected(src), 0
        for place, text in texts.items():
            for m in re.finditer(pattern, text):
                hits += 1
                bad = {k: (v, want[k]) for k, v in m.groupdict().items() if k in want and v != want[k]}
                found += [f"{place}: {name}: states {k} {v}, its source says {w}" for k, (v, w) in bad.items()]
        if not hits: found.append(f"{name}: stated nowhere (pattern {pattern!r})")
    return found


def ttq_table_rows(src: dict) -> list:
    "The quality-per-minute table's rows (in 13_comparison), as time_to_quality.json gives them."
    label = {"peer": "peer (TF DCGAN tutorial)", "fast": "`fast`", "fast-cond": "`fast-cond` (class agreement)"}
    rows = []
    for name, result in src["ttq"]["results"].items():
        cells = []
        for r in result["rows"]:
            cell = f"{r['fid']:.1f} / {r['precision']:.2f} / {r['recall']:.2f}"
            if "class_agreement" in r: cell += f" ({r['class_agreement']:.2f})"
            cells.append(cell)
        rows.append(f"| {label.get(name, name)} | {result['rows'][-1]['images_per_s']:.0f} | " + " | ".join(cells) + " |")
    return rows


def test_stated_numbers_match_their_cards():
    assert contradictions(texts(), sources()) == []


QUALITY_TABLE_NB = ROOT / "nbs" / "13_comparison.ipynb"  # where the quality-per-minute table lives (README links to it)


def markdown_lines(nb_path: Path) -> list:
    "Every line of a notebook's markdown cells."
    cells = json.loads(Path(nb_path).read_text())["cells"]
    return [line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()]


def missing_ttq_rows(lines: list, src: dict) -> list:
    "The rows time_to_quality.json gives that `lines` do not hold verbatim."
    return [row for row in ttq_table_rows(src) if row not in lines]


def test_quality_table_is_the_benchmark_json():
    missing = missing_ttq_rows(markdown_lines(QUALITY_TABLE_NB), sources())
    assert not missing, f"{QUALITY_TABLE_NB.name}'s quality-per-minute table is not time_to_quality.json's; expected rows: {missing}"


def test_the_checks_can_fail():
    "A stale FID, a wrong epoch count and a claim that disappeared are each reported."
    src, good = sources(), texts()
    stale = {k: v.replace(f"FID {_card(src['default'])['fid']} and recall", "FID 152.9 and recall") for k, v in good.items()}
    assert any("states fid 152.9, its source says" in p for p in contradictions(stale, src))
    wrong = {k: v.replace(f"after {src['conditional']['epochs']} epochs", "after 10 epochs") for k, v in good.items()}
    assert any("states epochs 10" in p for p in contradictions(wrong, src))
    assert any("stated nowhere" in p for p in contradictions({"README.md": ""}, src))
    moved = {**src, "ttq": json.loads(json.dumps(src["ttq"]))}
    next(iter(moved["ttq"]["results"].values()))["rows"][0]["fid"] += 1.0
    assert ttq_table_rows(moved) != ttq_table_rows(src)
    lines = markdown_lines(QUALITY_TABLE_NB)
    assert len(missing_ttq_rows(lines, moved)) == 1  # a re-measured FID the notebook's table does not show
    assert missing_ttq_rows([], src) == ttq_table_rows(src)  # a table that disappeared


def _ablation() -> dict:
    return json.loads((ROOT / "images" / "ttq" / "colour64_ablation.json").read_text())["contenders"]


def _pair(c: dict, key: str, digits: int) -> tuple:
    return tuple(f"{c['seeds'][s][key]:.{digits}f}" for s in ("0", "1"))


ABLATION_CLAIMS = {  # (notebook, pattern, the contenders whose two seeds' FID and recall it states: new, old)
    "13's summary of the winner": ("nbs/13_comparison.ipynb",
        r"FID (?P<f0>\d+\.\d+) and (?P<f1>\d+\.\d+) against (?P<g0>\d+\.\d+) and (?P<g1>\d+\.\d+), recall (?P<r0>\d+\.\d+) and (?P<r1>\d+\.\d+) "
        r"against (?P<q0>\d+\.\d+) and (?P<q1>\d+\.\d+)", "fast-condpresize__augment-colorptranslation_r1-0.1"),
    "03b's reason to leave cutout out": ("nbs/03b_augment.ipynb",
        r"\(FID (?P<f0>\d+\.\d+) and (?P<f1>\d+\.\d+) against (?P<g0>\d+\.\d+) and (?P<g1>\d+\.\d+); recall (?P<r0>\d+\.\d+) and (?P<r1>\d+\.\d+) "
        r"against (?P<q0>\d+\.\d+) and (?P<q1>\d+\.\d+)\)", "fast-cond__augment-colorptranslation"),
}


def ablation_contradictions(texts: dict, contenders: dict) -> list:
    "Every number of the colour ablation stated in prose that its JSON contradicts, and every table row missing from 13."
    found = []
    for name, (place, pattern, new) in ABLATION_CLAIMS.items():
        m = re.search(pattern, texts.get(place, ""))
        if not m: found.append(f"{place}: {name}: stated nowhere"); continue
        want = dict(zip(("f0", "f1"), _pair(contenders[new], "fid", 1))) | dict(zip(("g0", "g1"), _pair(contenders["fast-cond"], "fid", 1)))
        want |= dict(zip(("r0", "r1"), _pair(contenders[new], "recall", 2))) | dict(zip(("q0", "q1"), _pair(contenders["fast-cond"], "recall", 2)))
        found += [f"{place}: {name}: states {k} {v}, the JSON says {want[k]}" for k, v in m.groupdict().items() if v != want[k]]
    import sys
    sys.path.insert(0, str(ROOT / "scripts"))
    from colour_ablation import table
    rows = [r for r in table({"contenders": contenders})[2:]]
    found += [f"nbs/13_comparison.ipynb: ablation row missing: {r}" for r in rows if " ".join(r.split()) not in texts["nbs/13_comparison.ipynb"]]
    return found


def test_colour_ablation_numbers_are_its_json():
    assert ablation_contradictions(texts(), _ablation()) == []


def test_colour_ablation_checks_can_fail():
    moved = json.loads(json.dumps(_ablation()))
    moved["fast-cond"]["seeds"]["0"]["fid"] += 1.0  # the old default re-measured: every statement of it is stale
    found = ablation_contradictions(texts(), moved)
    assert any("states g0" in p for p in found) and any("row missing" in p for p in found), found


def rows_missing(text: str, rows: list) -> list:
    "The rows of a table a script writes (its `table` of its JSON) that the notebook's text does not show."
    return [r for r in rows if " ".join(r.split()) not in text]


def script_table(script: str, *args) -> list:
    import sys
    sys.path.insert(0, str(ROOT / "scripts"))
    return __import__(script).table(*args)


def collapse_rows_missing(text: str, result: dict) -> list:
    "The rows of 06_dcgan's collapse table (scripts/dcgan_collapse.py's `table` of its JSON) that the notebook does not show."
    return rows_missing(text, script_table("dcgan_collapse", result))


def ema_rows_missing(text: str, result: dict) -> list:
    "The rows of 06_dcgan's averaging table (scripts/dcgan_ema.py's `table` of its JSON) that the notebook does not show."
    return rows_missing(text, script_table("dcgan_ema", result["runs"], [0, 1]))


def test_dcgan_collapse_table_is_its_json():
    result = json.loads((ROOT / "images" / "dcgan" / "collapse.json").read_text())
    assert collapse_rows_missing(texts()["nbs/06_dcgan.ipynb"], result) == []


def test_dcgan_ema_table_is_its_json():
    result = json.loads((ROOT / "images" / "dcgan" / "ema.json").read_text())
    assert ema_rows_missing(texts()["nbs/06_dcgan.ipynb"], result) == []
    result["runs"]["s1"]["ema_generator"]["recall"] += 0.05  # a re-measured run: its row in 06 is stale
    assert len(ema_rows_missing(texts()["nbs/06_dcgan.ipynb"], result)) == 1


def test_dcgan_collapse_check_can_fail():
    result = json.loads((ROOT / "images" / "dcgan" / "collapse.json").read_text())
    result["runs"]["s1_inference"]["fid"] += 5.0  # a re-measured run: its row in 06 is stale
    assert len(collapse_rows_missing(texts()["nbs/06_dcgan.ipynb"], result)) == 1
