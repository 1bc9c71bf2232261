"Kill a command-line run, resume it, and compare with a run that was never interrupted."
import re
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

RUN = ["--epochs", "4", "--steps-per-epoch", "2", "--batch-size", "8", "--max-images", "64", "--seed", "7", "--quiet"]


def aa_gan_cmd():
    exe = shutil.which("aa-gan")
    return [exe] if exe else [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"]


def start(*args):
    return subprocess.Popen(aa_gan_cmd() + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path, proc, timeout=300):
    t0 = time.time()
    while not path.exists():
        if proc.poll() is not None: pytest.fail(f"the run ended before {path} appeared: {proc.stderr.read()[-2000:]}")
        if time.time() - t0 > timeout: proc.kill(); pytest.fail(f"{path} did not appear in {timeout} s")
        time.sleep(0.05)


def weights(path):
    return [np.asarray(w) for w in keras.saving.load_model(path).weights]


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = start("train", *RUN, "--out", killed)
    wait_for(killed / "checkpoints" / "epoch_0001", proc)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert not (killed / "generator.keras").exists()  # it really died before the end

    r = subprocess.run(aa_gan_cmd() + ["train", "--resume", str(killed)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Resuming" in r.stdout
    r = subprocess.run(aa_gan_cmd() + ["train", *RUN, "--out", str(whole)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]

    epochs = [line.split(",")[0] for line in (killed / "history.csv").read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2", "3"]  # each epoch exactly once
    np.testing.assert_allclose(np.loadtxt(killed / "history.csv", delimiter=",", skiprows=1, usecols=(1, 2)),
                               np.loadtxt(whole / "history.csv", delimiter=",", skiprows=1, usecols=(1, 2)), rtol=1e-5)
    for a, b in zip(weights(killed / "generator.keras"), weights(whole / "generator.keras")):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert sorted(p.name for p in (killed / "checkpoints").iterdir()) == ["epoch_0002", "epoch_0003", "epoch_0004"]


# Long enough that Ctrl-C, sent once the first checkpoint exists, always arrives while it trains (it stops at epoch 2 or so):
# 29 more epochs take 30 s or more here, the signal is handled within a step
LONG_RUN = ["--epochs", "30", "--steps-per-epoch", "2", "--batch-size", "8", "--max-images", "64", "--seed", "7", "--quiet"]


def test_ctrl_c_stops_cleanly_after_saving(tmp_path):
    run = tmp_path / "run"
    proc = start("train", *LONG_RUN, "--out", run)
    wait_for(run / "checkpoints" / "epoch_0001", proc)
    proc.send_signal(signal.SIGINT)
    try: out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill(); proc.communicate()
        pytest.fail("the run neither stopped on Ctrl-C nor finished within 300 s")
    assert proc.returncode == 130, f"exit code {proc.returncode}, not 130 (interrupted): {out[-1000:]} {err[-2000:]}"
    said = re.search(r"Interrupted(?: \(Ctrl-C\))? during epoch (\d+)\. The networks are saved in (.+); continue with "
                     r"`aa-gan train --resume", out)
    assert said, out[-2000:]
    epoch = int(said.group(1))
    assert 2 <= epoch < 30 and said.group(2) == str(run)
    assert err.strip().splitlines()[-1] == "aa-gan: interrupted"
    assert (run / "generator.keras").exists() and (run / "discriminator.keras").exists()
    # the epoch cut short is not checkpointed: the newest checkpoint is the one before it
    assert sorted(p.name for p in (run / "checkpoints").iterdir())[-1] == f"epoch_{epoch - 1:04d}"


def test_resume_of_a_folder_without_a_run(tmp_path):
    r = subprocess.run(aa_gan_cmd() + ["train", "--resume", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == f"aa-gan: error: {tmp_path} has no run.json: it is not a training run's folder."


def test_truncated_and_fake_keras_files_give_clear_errors(tmp_path):
    from aa_gan.gan import load_model
    from aa_gan.generator import build_generator
    good = tmp_path / "g.keras"; build_generator("fashiongan", latent_dim=8).save(good)
    (tmp_path / "cut.keras").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "text.keras").write_text("this is not a model")
    for name in ("cut.keras", "text.keras"):
        with pytest.raises(ValueError, match="is not a Keras model file .* may be truncated"):
            load_model(tmp_path / name)
