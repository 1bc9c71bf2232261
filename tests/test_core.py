"""The one-GAN-core layout: imports flow one way, every architecture is known without import-order tricks, each job
(training step, drawing images, loading a network, choosing class labels) is done in one place, and the places that
use them agree."""
import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aa_gan"


def package_imports() -> dict:
    "module -> the aa_gan modules it imports anywhere in its file (top level or inside functions)."
    graph = {}
    for path in PACKAGE.glob("*.py"):
        if path.name.startswith("_"): continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1: base = node.module or ""
                elif (node.module or "").startswith("aa_gan"): base = node.module[len("aa_gan."):] if node.module != "aa_gan" else ""
                else: continue
                found |= {base} if base else {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("aa_gan.")}
        graph[path.stem] = {m.split(".")[0] for m in found if (PACKAGE / f"{m.split('.')[0]}.py").exists()} - {path.stem}
    return graph


def find_cycle(graph: dict):
    "The first import cycle in `graph` (module -> modules it imports) as a list of modules, or None."
    state = {}
    def visit(m, trail):
        if state.get(m) == "done": return None
        if state.get(m) == "open": return trail + [m]
        state[m] = "open"
        for n in sorted(graph[m]):
            if (cycle := visit(n, trail + [m])): return cycle
        state[m] = "done"
    return next((c for m in sorted(graph) if (c := visit(m, []))), None)


def test_no_import_cycle():
    graph = package_imports()
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))
    assert graph["core"] == set()  # the floor: imports no other module of the package


def test_a_cycle_would_be_found():
    "The check above can fail: a function-level import that closes a loop (core -> training -> core) is found."
    graph = package_imports()
    graph["core"] = graph["core"] | {"training"}
    assert find_cycle(graph)[-1] in find_cycle(graph)[:-1]


def test_every_architecture_in_a_fresh_process():
    code = "import aa_gan.generator as g; print(g.build_generator('small').count_params(), sorted(g.GENERATORS))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "960257 ['dcgan', 'fashiongan', 'fast', 'mnist', 'small']", r.stdout


def definitions(name: str) -> list:
    "Where functions or methods called `name` are defined in the package."
    return [f"{p.stem}.{n.name}" for p in PACKAGE.glob("*.py") if not p.name.startswith("_")
            for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.FunctionDef) and n.name == name]


def calls(attr: str) -> list:
    "Modules that call something ending in `.attr` or named `attr`."
    out = []
    for p in PACKAGE.glob("*.py"):
        if p.name.startswith("_"): continue
        for n in ast.walk(ast.parse(p.read_text())):
            if isinstance(n, ast.Call):
                f = n.func
                if (isinstance(f, ast.Attribute) and f.attr == attr) or (isinstance(f, ast.Name) and f.id == attr):
                    out.append(p.stem)
    return out


def test_one_of_each():
    assert definitions("train_step") == ["gan.train_step"]  # every recipe trains through one step
    keras_loads = [p.stem for p in PACKAGE.glob("*.py") for line in p.read_text().splitlines()
                   if "keras.saving.load_model(" in line or "keras.models.load_model(" in line]
    assert keras_loads == ["gan"]  # every .keras file is read by gan.load_model, which checks what it is
    assert {"evaluation", "gan", "cli"} <= set(calls("load_model"))  # gan: load_pretrained (fine-tuning)
    assert definitions("default_labels") == ["data.default_labels"]
    # latent vectors are drawn in one place (gan); the only other normal draw is SWD's random projection directions
    normal_draws = [(p.stem, line.strip()) for p in PACKAGE.glob("*.py") if p.stem not in ("gan", "_modidx")
                    for line in p.read_text().splitlines() if "standard_normal" in line]
    assert all(stem == "evaluation" and "directions" in line for stem, line in normal_draws), normal_draws


def test_wrong_kind_of_file_is_one_clear_error(tmp_path, capsys):
    from aa_gan.cli import main
    from aa_gan.discriminator import build_discriminator
    build_discriminator("fashiongan").save(tmp_path / "discriminator.keras")
    code = main(["generate", "--generator", str(tmp_path / "discriminator.keras"), "--out", str(tmp_path / "g.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].endswith("is a discriminator (images to a real/fake score), not a generator: pass the run's generator.keras.")
    assert not (tmp_path / "g.png").exists()


def test_fid_callback_on_a_conditional_run(tmp_path):
    "FIDCallback draws from a conditional generator with every class in turn (it used to fail: two named inputs)."
    from aa_gan.evaluation import FIDCallback, load_split
    from aa_gan.runs import train
    fid = FIDCallback(load_split("fashion_mnist", "test", n=200, seed=0), verbose=False)
    _, logs = train(model="cgan", epochs=1, steps_per_epoch=1, batch_size=8, max_images=32, seed=0, out_dir=str(tmp_path / "c"),
                    verbose=0, callbacks=[fid])
    assert np.isfinite(logs["fid"]).all() and logs["fid"][0] > 0


def test_default_labels_cycle_through_every_class():
    from aa_gan.data import CLASS_NAMES, default_labels
    from aa_gan.small import small_generator
    g = small_generator(num_classes=10, class_names=CLASS_NAMES["fashion_mnist"])
    labels = default_labels(g, 30)
    assert labels.reshape(3, 10).tolist() == [list(range(10))] * 3  # a grid of 10 columns: every class once per row
    assert default_labels(g, 4, label="Sneaker").tolist() == [7] * 4
    assert default_labels(small_generator(), 4) is None
    with pytest.raises(ValueError, match="not conditional"): default_labels(small_generator(), 4, label="Bag")
