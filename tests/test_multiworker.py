"""Multi-worker training for real: two worker processes on this machine's loopback, as a user tries a cluster before
renting one. Every process is started with a hard time limit and killed whatever happens."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

from aa_gan.config import local_cluster  # each worker's TF_CONFIG, on free ports of 127.0.0.1

# One worker: train (or resume) through the library, then print a fingerprint of its networks and its losses
WORKER = """
import hashlib, json, sys
import numpy as np
from aa_gan.runs import train, resume_training
out, resume = sys.argv[1], sys.argv[2] == "resume"
if resume: gan, logs = resume_training(out, epochs=3, verbose=0)
else: gan, logs = train(model="bce", strategy="multiworker", epochs=2, steps_per_epoch=3, batch_size=16, max_images=96, seed=0,
                        out_dir=out, verbose=0)
weights = np.concatenate([np.ravel(w) for w in gan.generator.get_weights() + gan.discriminator.get_weights()])
print(json.dumps({"fingerprint": hashlib.sha256(weights.tobytes()).hexdigest(), "d_loss": logs["d_loss"], "g_loss": logs["g_loss"]}))
"""


@contextlib.contextmanager
def workers(argv_for, configs, timeout_env="60"):
    "Start one process per TF_CONFIG of `configs` (worker i gets argv_for(i)); kill every one of them on the way out."
    procs = []
    try:
        for i, config in enumerate(configs):
            env = {**os.environ, "TF_CONFIG": config, "AA_GAN_COLLECTIVE_TIMEOUT": timeout_env}
            procs.append(subprocess.Popen(argv_for(i), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        yield procs
    finally:
        for p in procs:
            if p.poll() is None: p.kill()
            p.communicate()


def finish(procs, timeout=300) -> list:
    results = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        results.append((p.returncode, out, err))
    return results


def test_two_workers_train_in_step_and_the_chief_writes_the_run(tmp_path):
    run = tmp_path / "run"
    for phase in ("train", "resume"):
        with workers(lambda i: [sys.executable, "-c", WORKER, str(run), phase], local_cluster(2)) as procs:
            results = finish(procs)
        for code, out, err in results: assert code == 0, err[-3000:]
        chief, other = (json.loads(out.strip().splitlines()[-1]) for _, out, _ in results)
        assert chief["fingerprint"] == other["fingerprint"]  # the same networks on both workers
        # the chief reports the whole run (from history.csv), another worker the epochs it trained this time
        assert chief["d_loss"][-1] == other["d_loss"][-1] and chief["g_loss"][-1] == other["g_loss"][-1]
        assert all(v == v and abs(v) < 1e3 for v in chief["d_loss"] + chief["g_loss"])  # finite
        epochs = 2 if phase == "train" else 3
        assert len((run / "history.csv").read_text().splitlines()) == epochs + 1
        assert {"run.json", "generator.keras", "discriminator.keras", "losses.png", f"epoch_{epochs:03d}.png"} <= {p.name for p in run.iterdir()}
        assert (run / "checkpoints" / f"epoch_{epochs:04d}").is_dir() and not (run / ".lock").exists()
    assert json.loads((run / "run.json").read_text())["strategy"] == "multiworker"


def test_a_killed_worker_stops_the_other_with_a_clear_message(tmp_path):
    run = tmp_path / "run"
    cli = [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())", "train", "--model", "bce",
           "--strategy", "multiworker", "--epochs", "200", "--steps-per-epoch", "3", "--batch-size", "16", "--max-images", "96",
           "--seed", "0", "--quiet", "--out", str(run)]
    with workers(lambda i: cli, local_cluster(2), timeout_env="20") as (chief, other):
        t0 = time.time()
        while not (run / "checkpoints" / "epoch_0001").exists():
            assert chief.poll() is None and other.poll() is None, "a worker ended before the first checkpoint"
            assert time.time() - t0 < 240, "no checkpoint within 240 s"
            time.sleep(0.2)
        other.send_signal(signal.SIGKILL)
        t1 = time.time()
        out, err = chief.communicate(timeout=180)
        waited = time.time() - t1
    assert chief.returncode == 1, (chief.returncode, err[-3000:])
    assert "stopped answering" in err and "--resume" in err and "Traceback" not in err, err[-3000:]
    assert waited < 150, waited
    # ...and the whole cluster resumes from the chief's newest checkpoint, as the message says
    last = max(int(p.name.split("_")[1]) for p in (run / "checkpoints").glob("epoch_*"))
    resume = [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())", "train", "--resume", str(run),
              "--epochs", str(last + 1), "--quiet"]
    with workers(lambda i: resume, local_cluster(2)) as procs:
        results = finish(procs)
    for code, out, err in results: assert code == 0 and "Resuming" in out, err[-3000:]
    assert len((run / "history.csv").read_text().splitlines()) == last + 2


CLI = [sys.executable, "-c", "import sys; from aa_gan.cli import main; sys.exit(main())"]


def lone_worker(run, timeout_env: str):
    "Worker 0 of a two-worker cluster whose worker 1 never starts (issue 21: it used to wait silently for ever)."
    env = {**os.environ, "TF_CONFIG": local_cluster(2)[0], "AA_GAN_COLLECTIVE_TIMEOUT": timeout_env}
    return subprocess.Popen(CLI + ["train", "--model", "bce", "--strategy", "multiworker", "--epochs", "1", "--steps-per-epoch", "1",
                                   "--batch-size", "4", "--max-images", "16", "--seed", "0", "--quiet", "--out", str(run)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_that_never_arrives_ends_the_wait_with_one_line(tmp_path):
    "AA_GAN_COLLECTIVE_TIMEOUT=10 bounds the wait (met before TensorFlow loads): a clean non-zero exit with one line, in about 10 s."
    t0 = time.time()
    proc = lone_worker(tmp_path / "run", "10")
    try: out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None: proc.kill(); proc.communicate()
    assert proc.returncode == 1, (proc.returncode, err[-3000:])
    assert 10 <= time.time() - t0 < 40, time.time() - t0  # the bound, plus Python's start-up and a margin
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    assert "worker 1" in lines[0] and "TF_CONFIG" in lines[0] and "AA_GAN_COLLECTIVE_TIMEOUT" in lines[0], lines[0]
    assert not (tmp_path / "run").exists()  # nothing made before the cluster met


def test_sigterm_while_waiting_for_the_cluster_exits_143(tmp_path):
    proc = lone_worker(tmp_path / "run", "300")
    try:
        time.sleep(6)  # the wait starts before TensorFlow loads: by now the worker waits for worker 1
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None: proc.kill(); proc.communicate()
    assert proc.returncode == 143 and time.time() - t0 < 10, (proc.returncode, err[-3000:])
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err[-3000:]
