"Speed by default (04b_speed): `--precision auto` and `--xla` auto resolved per machine, said in one line, kept in run.json."
import json
import sys
from pathlib import Path

import pytest

TINY = ["--model", "bce", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "8", "--max-images", "32", "--seed", "0", "--quiet"]


sys.path.insert(0, str(Path(__file__).parent))
from test_reliability import aa_gan  # noqa: E402  the command-line helper of issue 21


@pytest.fixture
def auto_env(tmp_path):
    "The environment of a user's shell: no AA_GAN_AUTO_PRECISION (the suite's pin), and a cache of this test's own."
    return {"AA_GAN_AUTO_PRECISION": "", "AA_GAN_CACHE_DIR": str(tmp_path / "cache")}  # empty: unset


def test_a_short_run_follows_the_rule_and_run_json_holds_it(tmp_path, auto_env):
    from aa_gan.speed import hardware, speed_rule
    r = aa_gan("train", *TINY, "--out", tmp_path / "run", env=auto_env)
    assert r.returncode == 0, r.stderr[-2000:]
    saved = json.loads((tmp_path / "run" / "run.json").read_text())
    expected = speed_rule(hardware(), recipe_xla=True)  # bfloat16 where the CPU has the instructions, else float32 + XLA
    assert (saved["precision"], saved["jit_compile"]) == expected
    assert saved["speed"]["how"] == "rule" and saved["speed"]["precision"] == expected[0]
    line = next(l for l in r.stdout.splitlines() if l.startswith("Speed:"))
    assert expected[0] in line and "would not repay a timed trial" in line


def test_given_flags_win_and_a_resumed_run_keeps_its_choice(tmp_path, auto_env):
    run = tmp_path / "run"
    r = aa_gan("train", *TINY, "--precision", "float32", "--no-xla", "--out", run, env=auto_env)
    assert r.returncode == 0, r.stderr[-2000:]
    saved = json.loads((run / "run.json").read_text())
    assert (saved["precision"], saved["jit_compile"], saved["speed"]["how"]) == ("float32", False, "given")
    assert "Speed: float32, as asked." in r.stdout
    r = aa_gan("train", "--resume", run, "--epochs", 2, "--quiet", env=auto_env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Speed: float32, as chosen when the run started." in r.stdout
    assert json.loads((run / "run.json").read_text())["speed"] == saved["speed"]


def test_a_trial_times_every_candidate_once_then_is_remembered(tmp_path, monkeypatch):
    "make_gan(trial=True), as a long run calls it: the candidates this CPU offers are timed, the fastest built, the choice reused."
    monkeypatch.delenv("AA_GAN_AUTO_PRECISION", raising=False)
    monkeypatch.setenv("AA_GAN_CACHE_DIR", str(tmp_path))
    from aa_gan.recipes import make_gan
    from aa_gan.speed import hardware, speed_candidates, speed_label
    gan = make_gan("bce", seed=0, trial=True)
    offered = {speed_label(p, x) for p, x in speed_candidates(hardware())}
    assert gan.speed["how"] == "trial" and set(gan.speed["images_per_s"]) == offered
    best = max(gan.speed["images_per_s"], key=gan.speed["images_per_s"].get)
    assert speed_label(gan.speed["precision"], gan.speed["xla"]) == best
    assert gan.generator.layers[1].compute_dtype == gan.speed["precision"] and bool(gan.jit_compile) == gan.speed["xla"]
    again = make_gan("bce", seed=0, trial=True)
    assert again.speed["how"] == "cached" and again.speed["precision"] == gan.speed["precision"]
    assert json.loads((tmp_path / "speed.json").read_text())["choices"]  # remembered on disk
