"""Text that agrees with its own output (issue 28, item 5): a number the notebooks' prose states about their stored run
(an FID, a time, a loss, a budget, the machine) must be what that notebook's stored outputs print, rounded as the text
rounds it; where the prose quotes a card, a JSON file or README, it must be what they say. The outputs are never re-run
here: they are the record of the real run, and the text must follow them.

And no sentence ends in ':' right before a `#| hide` cell: hidden on the website, it would point at nothing."""
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_claims import ROOT, WEIGHTS, texts  # noqa: E402  README's and the notebooks' markdown, whitespace-normalised


def outputs(nb: Path) -> str:
    "What a notebook's code cells printed in its stored run (stream text and text/plain), whitespace-normalised."
    found = []
    for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream": found.append("".join(out["text"]))
            elif "text/plain" in out.get("data", {}): found.append("".join(out["data"]["text/plain"]))
    return " ".join(" ".join(found).split())


def all_outputs() -> dict:
    return {nb.stem: outputs(nb) for nb in sorted((ROOT / "nbs").glob("*.ipynb"))}


# --- reading values out of the outputs -------------------------------------------------------------------------------

def num(pattern: str, text: str, group: int = 1) -> float:
    "The number that `pattern`'s group matches in `text` (thousands commas dropped); a clear failure if it is not there."
    m = re.search(pattern, text)
    assert m, f"the stored outputs no longer print {pattern!r}"
    return float(m.group(group).replace(",", ""))


def machine(pattern: str, text: str) -> dict:
    "The CPU and its core count from `aa_gan.core.machine()`'s words, printed where `pattern` (ending before them) matches."
    m = re.search(pattern + r"(Intel\(R\) Xeon\(R\) Processor|AMD EPYC), (\d+) cores", text)
    assert m, f"the stored outputs no longer print a machine after {pattern!r}"
    return {"cpu": {"AMD EPYC": "AMD EPYC"}.get(m.group(1), "Intel Xeon"), "cores": m.group(2)}


def budget(text: str) -> dict:
    "The first `Budget(...)` a notebook printed."
    m = re.search(r"Budget\(epochs=(\d+), steps_per_epoch=(\d+|None), batch_size=(\d+)\)", text)
    assert m, "the stored outputs print no Budget"
    return {"epochs": int(m.group(1)), "steps": m.group(2), "batch": int(m.group(3))}


def card(name: str) -> dict:
    return json.loads((WEIGHTS / f"{name}.json").read_text())


def _finetune(o: str) -> dict:
    "11_finetune's three starts: FID, precision and recall of each, as printed."
    rows = re.findall(r"(cold|pretrained|pretrained, 1 frozen) +FID +([\d.]+) +KID +[-\d.]+ +precision ([\d.]+) +recall ([\d.]+)", o)
    assert len(rows) == 3, rows
    return {name: {"fid": float(f), "precision": float(p), "recall": float(r)} for name, f, p, r in rows}


def _finetune_headline(o: str) -> dict:
    r = _finetune(o)
    pre, cold = r["pretrained"]["fid"], r["cold"]["fid"]
    return {"pretrained": pre, "cold": cold, "lower": 100 * (1 - pre / cold), "ratio": num(r"FID pretrained / cold: ([\d.]+)", o)}


def _finetune_recall(o: str) -> dict:
    r = _finetune(o)
    return {"r_cold": r["cold"]["recall"], "r_pre": r["pretrained"]["recall"], "r_frozen": r["pretrained, 1 frozen"]["recall"]}


def _finetune_frozen(o: str) -> dict:
    r = _finetune(o)
    frozen = r["pretrained, 1 frozen"]
    return {"frozen": frozen["fid"] if frozen["fid"] > r["cold"]["fid"] else f"{frozen['fid']}, not behind the cold start",
            "p_frozen": frozen["precision"], "p_cold": r["cold"]["precision"], "p_pre": r["pretrained"]["precision"]}


def _mnist_losses(o: str) -> dict:
    "05_mnist's epoch-mean losses: their range from the third epoch on, and the last epoch's."
    d, g = zip(*[(float(a), float(b)) for a, b in re.findall(r"d_loss: ([\d.]+) - g_loss: ([\d.]+)", o)])
    return {"d_lo": min(d[2:]), "d_hi": max(d[2:]), "g_lo": min(g[2:]), "g_hi": max(g[2:]), "d_last": d[-1], "g_last": g[-1]}


def _fast_losses(o: str) -> dict:
    "08_training's fast run: the epoch-mean losses of epochs 1, 4 and 8, and its minutes."
    d, g = zip(*[(float(a), float(b)) for a, b in re.findall(r"d_loss: ([\d.]+) - g_loss: ([\d.]+)", o)])
    return {"d1": d[0], "d4": d[3], "g1": g[0], "g4": g[3], "d8": d[7], "g8": g[7]}


def _fast_range(o: str) -> dict:
    "09_results' fast run (its epoch lines come after the original recipe's): the range of each loss."
    d, g = zip(*[(float(a), float(b)) for a, b in re.findall(r"d_loss: ([\d.]+) - g_loss: ([\d.]+)", o)])
    n = int(num(r"fast: (\d+) epochs of", o))
    return {"d_lo": min(d[-n:]), "d_hi": max(d[-n:]), "g_lo": min(g[-n:]), "g_hi": max(g[-n:])}


def _own_images(o: str) -> dict:
    "12_own_images' two runs: their minutes and the discriminator's losses by epoch, as the training cell prints them."
    runs = {name: (float(m), [float(v) for v in losses.split()]) for name, m, losses in re.findall(
        r"(augmented|plain) \(augment=[^)]*\): [\d,]+ steps in ([\d.]+) min on .*?discriminator's loss by epoch: ([\d. ]+?)(?= \S*[a-z]|$)", o)}
    (a_min, a), (p_min, p) = runs["augmented"], runs["plain"]
    return {"a_min": a_min, "p_min": p_min, "p3": p[2], "p8": p[-1], "a1": a[0], "a8": a[-1]}


def _mnist_run(o: str) -> dict:
    steps, b = num(r"([\d,]+) steps in [\d.]+ min", o), budget(o)
    n = num(r"mnist \[test\] from IDX files in \S+ \(([\d,]+) images\)", o)
    return {"steps": steps, "batch": b["batch"], "n": n, "passes": steps * b["batch"] / n,
            "minutes": num(r"steps in ([\d.]+) min on ", o), **machine(r"steps in [\d.]+ min on ", o)}


def reference_floor() -> float:
    "The FID of `scripts/reference_scores.py`'s floor row, from the table that shows it (README or a notebook), all alike."
    found = {float(f) for text in texts().values() for f in re.findall(r"\| real training images \(the floor\) \| ([\d.]+) \|", text)}
    assert len(found) == 1, f"the reference floor row is in no table, or its tables disagree: {found}"
    return found.pop()


def _bench(kind: str, precision: str) -> float:
    rows = json.loads((ROOT / "images" / "bench.json").read_text())["rows"]
    return next(r["images_per_s"] for r in rows if r["recipe"] == "fashiongan" and r["kind"] == kind and r["precision"] == precision
                and r.get("data") == "synthetic")


MACHINE = r"(?P<cores>\d)-core (?P<cpu>Intel Xeon|AMD EPYC)"

# Each claim: (notebook, name, a pattern over its whitespace-normalised markdown, what its stored outputs say). Every named
# group the outputs give must agree with them after rounding as the text rounds; a claim stated nowhere fails too.
CLAIMS = [
    ("11_finetune", "the pretraining run",
     r"(?P<steps>[\d,]+) pretraining steps on digits \((?P<minutes>[\d.]+) minutes on a " + MACHINE,
     lambda o: {"steps": num(r"pretrained (\d+) steps on MNIST digits", o),
                "minutes": num(r"pretrained \d+ steps on MNIST digits in ([\d.]+) min", o),
                **machine(r"pretrained \d+ steps on MNIST digits in [\d.]+ min on ", o)}),
    ("11_finetune", "the fine-tuning steps", r"then (?P<steps>[\d,]+) steps on Fashion-MNIST for each",
     lambda o: {"steps": num(r"now (\d+) steps on Fashion-MNIST for each start", o)}),
    ("11_finetune", "pretrained against cold",
     r"FID (?P<pretrained>[\d.]+) against (?P<cold>[\d.]+) for the cold start, (?P<lower>\d+)% lower "
     r"\(the ratio printed below is (?P<ratio>[\d.]+)\)", _finetune_headline),
    ("11_finetune", "the three recalls",
     r"recall is low for all three \((?P<r_cold>[\d.]+) cold, (?P<r_pre>[\d.]+) pretrained, (?P<r_frozen>[\d.]+) frozen\)", _finetune_recall),
    ("11_finetune", "the frozen start",
     r"\(FID (?P<frozen>[\d.]+), behind even the cold start, and precision (?P<p_frozen>[\d.]+) against the others' "
     r"(?P<p_cold>[\d.]+) and (?P<p_pre>[\d.]+)\)", _finetune_frozen),
    ("05_mnist", "the showcase budget and its time",
     r"(?P<epochs>\d+) epochs of (?P<steps>\d+) steps, (?P<minutes>[\d.]+) minutes on a " + MACHINE,
     lambda o: {"epochs": budget(o)["epochs"], "steps": budget(o)["steps"], **{k: v for k, v in _mnist_run(o).items()
                                                                               if k in ("minutes", "cpu", "cores")}}),
    ("05_mnist", "the stored run",
     r"(?P<steps>[\d,]+) steps of (?P<batch>\d+) digits \((?P<passes>[\d.]+) passes over the (?P<n>[\d,]+) MNIST test digits"
     r"[^)]*\) in (?P<minutes>[\d.]+) minutes on a " + MACHINE, _mnist_run),
    ("05_mnist", "the losses",
     r"discriminator's loss stays between (?P<d_lo>[\d.]+) and (?P<d_hi>[\d.]+) and the generator's between (?P<g_lo>[\d.]+) "
     r"and (?P<g_hi>[\d.]+); in the last epoch they are (?P<d_last>[\d.]+) and (?P<g_last>[\d.]+)", _mnist_losses),
    ("08_training", "the fast recipe's losses",
     r"its loss falls from (?P<d1>[\d.]+) to (?P<d4>[\d.]+) while the generator's rises from (?P<g1>[\d.]+) to (?P<g4>[\d.]+)\); "
     r"then the generator catches up, and by epoch 8 both \((?P<d8>[\d.]+) and (?P<g8>[\d.]+)\)", _fast_losses),
    ("08_training", "the fast recipe's minutes", r"After 4,000 steps of 32 images \((?P<minutes>[\d.]+) minutes in the stored run\)",
     lambda o: {"minutes": num(r"8 epochs in ([\d.]+) min on", o)}),
    ("08_training", "the fast recipe's showcase run",
     r"on a CPU the showcase budget, (?P<epochs>\d+) epochs of (?P<steps>\d+) steps of (?P<batch>\d+) images", budget),
    ("12_own_images", "the two runs' minutes",
     r"\((?P<a_min>[\d.]+) minutes for the augmented run, \d+ seconds of it a speed trial, and (?P<p_min>[\d.]+) for the plain one",
     _own_images),
    ("12_own_images", "the discriminator's losses",
     r"from (?P<p3>[\d.]+) at epoch 3 to (?P<p8>[\d.]+) at epoch 8.{0,200}?With augmentation it falls more slowly, from "
     r"(?P<a1>[\d.]+) to (?P<a8>[\d.]+)", _own_images),
    ("09_results", "the fast run's losses",
     r"the discriminator's stays at (?P<d_lo>[\d.]+) to (?P<d_hi>[\d.]+), just under .{0,80}and the generator's at "
     r"(?P<g_lo>[\d.]+) to (?P<g_hi>[\d.]+), near ln 2", _fast_range),
    ("09_results", "the original recipe's budget",
     r"the original recipe (?P<epochs>\d+) epochs of (?P<steps>\d+) steps of (?P<batch>\d+) images \(about \w+ minutes on two",
     budget),
    ("09_results", "the original recipe's steps, as the fast section recalls them",
     r"trained (?P<steps>\d+) steps of (?P<batch>\d+) images in its stored run",
     lambda o: {"steps": budget(o)["epochs"] * int(budget(o)["steps"]), "batch": budget(o)["batch"]}),
    ("09_results", "the fast recipe's showcase run",
     r"\(four passes over the 60,000 images, (?P<minutes>[\d.]+) minutes in the stored run on a " + MACHINE,
     lambda o: {"minutes": num(r"fast: 4 epochs of 1,875 steps of 32 images in ([\d.]+) min", o),
                **machine(r"fast: 4 epochs of 1,875 steps of 32 images in [\d.]+ min on ", o)}),
    ("09_results", "the fast recipe's speed", r"The fast recipe\*\* trained (?P<ips>\d+) images/s",
     lambda o: {"ips": num(r"fast +(\d+) images/s", o)}),
    ("09_results", "the shipped generators' machine", r"trained on a " + MACHINE + r" \(the machine their cards name\)",
     lambda o: machine(r"fashion_mnist_generator\.keras: fast, \d+ epochs \([^)]*\) in \d+ min on ", o)
     if machine(r"fashion_mnist_generator\.keras: fast, \d+ epochs \([^)]*\) in \d+ min on ", o)
     == machine(r"fashion_mnist_conditional_generator\.keras: fast-cond, \d+ epochs \([^)]*\) in \d+ min on ", o)
     else {"cpu": "two different machines"}),
    ("09_results", "the benchmark's speeds of the original recipe",
     r"measures (?P<float32>\d+) images/s in float32 on the Intel Xeon .{0,60}and (?P<auto>\d+) images/s in the bfloat16",
     lambda o: {"float32": _bench("reference", "float32"), "auto": _bench("package", "auto")}),
    ("06_dcgan", "the stored run",
     r"(?P<steps>[\d,]+) steps of 32 images took (?P<minutes>[\d.]+) minutes on a " + MACHINE,
     lambda o: {"steps": num(r"([\d,]+) steps of 32 images in [\d.]+ min", o),
                "minutes": num(r"[\d,]+ steps of 32 images in ([\d.]+) min", o),
                **machine(r"[\d,]+ steps of 32 images in [\d.]+ min \(\w+\) on ", o)}),
    ("06_dcgan", "the two generators' scores",
     r"its average scores FID (?P<fid>\d+\.\d+), precision (?P<precision>\d\.\d+) and recall (?P<recall>\d\.\d+); the "
     r"generator itself FID (?P<fid_raw>\d+\.\d+), precision (?P<precision_raw>\d\.\d+) and recall (?P<recall_raw>\d\.\d+)",
     lambda o: {"fid": num(r"its average +FID +([\d.]+)", o), "precision": num(r"its average +FID +[\d.]+ +precision ([\d.]+)", o),
                "recall": num(r"its average +FID +[\d.]+ +precision [\d.]+ +recall ([\d.]+)", o),
                "fid_raw": num(r"the generator +FID +([\d.]+)", o),
                "precision_raw": num(r"the generator +FID +[\d.]+ +precision ([\d.]+)", o),
                "recall_raw": num(r"the generator +FID +[\d.]+ +precision [\d.]+ +recall ([\d.]+)", o)}),
    ("10_evaluation", "the FID floor at this notebook's size",
     r"the floor shrinks as N grows: (?P<fid>[\d.]+) with (?P<n>\d+) images a side",
     lambda o: {"fid": num(r"train subset \(floor\) +([\d.]+)", o), "n": num(r"([\d,]+) real test images vs", o)}),
    ("10_evaluation", "the reference script's floor, which draws other training images",
     r"`scripts/reference_scores\.py`, .{0,200}and gets (?P<fid>[\d.]+) against the same 10,000 test images",
     lambda o: {"fid": reference_floor()}),
    ("10_evaluation", "the shipped conditional generator, scored as the command line would",
     r"`fast-cond` trained for (?P<epochs>\d+) epochs \((?P<minutes>\d+) minutes, by its card\)\. .{0,80}on (?P<n>\d+) "
     r"images a side on a CPU, it scores FID (?P<fid>[\d.]+) against its card's (?P<card_fid>[\d.]+)",
     lambda o: {"epochs": card("fashion_mnist_conditional_generator")["epochs"],
                "minutes": card("fashion_mnist_conditional_generator")["train_seconds"] / 60,
                "card_fid": card("fashion_mnist_conditional_generator")["metrics"]["fid"],
                "n": num(r"(\d+) real; \1 fake", o), "fid": num(r"FID ([\d.]+) lower is better", o)}),
    ("10_evaluation", "the Fashion-MNIST classifier",
     r"reached \*\*(?P<acc>[\d.]+)%\*\* test accuracy .{0,120}The file is (?P<mb>[\d.]+) MB",
     lambda o: {"acc": num(r"test accuracy of the shipped evaluator: ([\d.]+)%", o), "mb": num(r"weights file: ([\d.]+) MB", o)}),
    ("10_evaluation", "the emoji classifier",
     r"reached \*\*(?P<acc>[\d.]+)%\*\* accuracy on the (?P<n>\d+) held-out images .{0,80}right \*\*group\*\* for "
     r"\*\*(?P<group>[\d.]+)%\*\*",
     lambda o: {"acc": num(r"held-out accuracy: ([\d.]+)%", o), "n": num(r"held-out accuracy: [\d.]+% on (\d+) images", o),
                "group": num(r"lies in the right group for ([\d.]+)%", o)}),
]


def agrees(stated: str, value) -> bool:
    "Whether the text's `stated` figure is `value` rounded as the text rounds it (as many decimals as it shows)."
    if isinstance(value, str): return stated == value
    decimals = len(stated.split(".")[1]) if "." in stated else 0
    return abs(float(stated.replace(",", "")) - round(float(value), decimals)) < 0.5 * 10 ** -(decimals + 2)


def contradictions(texts: dict, outs: dict, claims=CLAIMS) -> list:
    "Every stated number its notebook's stored outputs contradict, and every claim stated nowhere, as readable lines."
    found = []
    for nb, name, pattern, expected in claims:
        place = f"nbs/{nb}.ipynb"
        matches = list(re.finditer(pattern, texts.get(place, "")))
        if not matches:
            found.append(f"{place}: {name}: stated nowhere (pattern {pattern!r})")
            continue
        want = expected(outs[nb])
        for m in matches:
            found += [f"{place}: {name}: states {k} {v}, its stored outputs say {want[k]}"
                      for k, v in m.groupdict().items() if k in want and not agrees(v, want[k])]
    return found


def test_stated_numbers_match_the_stored_outputs():
    assert contradictions(texts(), all_outputs()) == []


def test_every_claim_names_only_what_its_outputs_give():
    "A named group that the outputs do not give would never be checked: every group of every claim is compared."
    outs = all_outputs()
    for nb, name, pattern, expected in CLAIMS:
        assert set(re.compile(pattern).groupindex) <= set(expected(outs[nb])), name


def test_the_checks_can_fail():
    "A doctored FID, a stale time, a claim that disappeared and a changed output are each reported."
    good, outs = texts(), all_outputs()
    ft = "nbs/11_finetune.ipynb"
    pre, cold = re.search(r"FID ([\d.]+) against ([\d.]+) for the cold start", good[ft]).groups()  # as the text states them now
    stale = {**good, ft: good[ft].replace(f"FID {pre} against {cold}", "FID 427.0 against 545.0")}
    found = contradictions(stale, outs)
    assert any("states pretrained 427.0" in f for f in found) and any("states cold 545.0" in f for f in found), found
    minutes = re.search(r"\(([\d.]+) minutes on a 2-core", good[ft]).group(1)
    slower = {**good, ft: good[ft].replace(f"({minutes} minutes on a 2-core", "(9.9 minutes on a 2-core")}
    assert any(f"states minutes 9.9, its stored outputs say {minutes}" in f for f in contradictions(slower, outs))
    gone = {**good, ft: re.sub(r"\d+% lower", "a lot lower", good[ft])}
    assert any("pretrained against cold: stated nowhere" in f for f in contradictions(gone, outs))
    rerun = {**outs, "11_finetune": outs["11_finetune"].replace(f"FID {pre}", "FID 450.0")}
    assert any(f"states pretrained {pre}, its stored outputs say 450.0" in f for f in contradictions(good, rerun))
    assert agrees("27", 27.21) and agrees("0.73", 0.7279) and agrees("4,000", 4000) and not agrees("22", 27.21)


# --- a sentence that announces a hidden cell -------------------------------------------------------------------------

GAN_TRACK = ("01_data", "02_generator", "03_discriminator", "04_game", "05_mnist", "06_dcgan", "07_recipes", "08_training",
             "09_results", "10_evaluation", "11_finetune", "12_own_images", "13_comparison", "14_speed")


def announces_hidden(cells: list) -> list:
    "Markdown cells that end in ':' right before a `#| hide` code cell (the website shows nothing after the colon)."
    return [i for i, (a, b) in enumerate(zip(cells, cells[1:]))
            if a["cell_type"] == "markdown" and "".join(a["source"]).rstrip().endswith(":")
            and b["cell_type"] == "code" and re.match(r"\s*#\s*\|\s*hide\b", "".join(b["source"]))]


def test_no_sentence_points_at_a_hidden_cell():
    found = {nb: announces_hidden(json.loads((ROOT / "nbs" / f"{nb}.ipynb").read_text(encoding="utf-8"))["cells"])
             for nb in GAN_TRACK}
    assert not any(found.values()), f"markdown cells ending in ':' before a hidden cell: {found}"


def test_the_hidden_cell_check_can_fail():
    md = lambda s: {"cell_type": "markdown", "source": [s]}
    code = lambda s: {"cell_type": "code", "source": [s]}
    assert announces_hidden([md("The error names the choices:"), code("#| hide\ntest_fail(...)")]) == [0]
    assert announces_hidden([md("The error names the choices:"), code("build('x')")]) == []
    assert announces_hidden([md("The tests check it."), code("#| hide\ntest_fail(...)")]) == []
