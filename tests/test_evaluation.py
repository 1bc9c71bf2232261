"Tests of aa_gan.evaluation: the metrics, the shipped Fashion-MNIST evaluator, the ordering of real vs noise, bad input."
import numpy as np
import pytest
import scipy.linalg

from aa_gan import evaluation as ev
from aa_gan.data import _can_reach


# ---------------------------------------------------------------- Fréchet distance
def test_frechet_closed_form_diagonal():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.0])
    sd1, sd2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 0.5])
    # diagonal covariances commute: FID = |mu1-mu2|^2 + sum (sd1 - sd2)^2 = 5 + 2
    exact = ((mu1 - mu2) ** 2).sum() + ((sd1 - sd2) ** 2).sum()
    assert exact == pytest.approx(7.0)
    got = ev.frechet_distance_from_stats(mu1, np.diag(sd1**2), mu2, np.diag(sd2**2))
    assert got == pytest.approx(exact, abs=1e-9)


def test_frechet_closed_form_general_covariances():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    S1, S2 = A @ A.T, B @ B.T
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    textbook = ((mu1 - mu2) ** 2).sum() + np.trace(S1 + S2 - 2 * scipy.linalg.sqrtm(S1 @ S2).real)
    assert ev.frechet_distance_from_stats(mu1, S1, mu2, S2) == pytest.approx(textbook, rel=1e-8)
    # and the sample estimate of two Gaussians approaches it
    xa = rng.multivariate_normal(mu1, S1, size=100_000)
    xb = rng.multivariate_normal(mu2, S2, size=100_000)
    assert ev.frechet_distance(xa, xb) == pytest.approx(textbook, rel=0.02)


def test_frechet_symmetric_and_zero():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3000, 10)), rng.normal(0.3, 1.5, size=(3000, 10))
    assert ev.frechet_distance(a, b) == pytest.approx(ev.frechet_distance(b, a), rel=1e-10)
    assert ev.frechet_distance(a, b) > 1.0
    assert ev.frechet_distance(a, a) == 0.0
    assert ev.frechet_distance(a, a[::-1]) == pytest.approx(0.0, abs=1e-9)
    # a constant feature (singular covariance) does not break it
    s = np.c_[a, np.zeros(len(a))]
    assert ev.frechet_distance(s, s[::-1]) == pytest.approx(0.0, abs=1e-8)


# ---------------------------------------------------------------- other metrics
def test_kid_is_unbiased_and_detects_a_shift():
    rng = np.random.default_rng(3)
    same, same_sd = ev.kernel_inception_distance(rng.normal(size=(1500, 16)), rng.normal(size=(1500, 16)), n_subsets=10)
    shift, _ = ev.kernel_inception_distance(rng.normal(size=(1500, 16)), rng.normal(0.5, 1, size=(1500, 16)), n_subsets=10)
    assert abs(same) < 3 * same_sd + 1e-3
    assert shift > 0.5


def test_inception_score_bounds():
    assert ev.inception_score(np.eye(10)[np.arange(1000) % 10])[0] == pytest.approx(10.0)
    assert ev.inception_score(np.eye(10)[np.zeros(1000, int)])[0] == pytest.approx(1.0)


def test_precision_recall_mode_collapse():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(1500, 8))
    p, r = ev.precision_recall(real, rng.normal(0.3, 0.2, size=(1500, 8)))
    assert p > 0.9 and r < 0.2
    p, r = ev.precision_recall(real, rng.normal(size=(1500, 8)))
    assert p > 0.6 and r > 0.6


# ---------------------------------------------------------------- the shipped evaluator and the ordering
@pytest.fixture(scope="module")
def fashion_test():
    return ev.load_split("fashion_mnist", "test", with_labels=True)


def test_shipped_evaluator_accuracy(fashion_test):
    x, y = fashion_test
    assert len(x) == 10_000
    assert (ev.WEIGHTS_DIR / "fashion_mnist_classifier.keras").exists()
    model = ev.load_evaluator("fashion_mnist")  # the shipped weights, not a retrained model
    acc = (model.predict(x, batch_size=1000, verbose=0).argmax(1) == y).mean()
    assert acc >= 0.90, acc


def test_real_vs_real_beats_real_vs_noise(fashion_test):
    x = fashion_test[0][:1000]
    train = ev.load_split("fashion_mnist", "train", n=1000, seed=1)
    noise = np.random.default_rng(0).uniform(size=x.shape).astype("float32")
    kw = dict(kid_subsets=10)
    real = ev.evaluate(x, train, **kw)
    bad = ev.evaluate(x, noise, **kw)
    assert {"fid", "kid", "inception_score", "precision", "recall"} <= set(real)
    assert real["fid"] * 10 < bad["fid"]
    assert real["kid"] < bad["kid"]
    assert real["precision"] > bad["precision"] + 0.5 and real["recall"] > bad["recall"] + 0.5
    assert real["inception_score"] > bad["inception_score"]
    # blurred images sit in between on FID
    blurred = (train + np.roll(train, 1, 1) + np.roll(train, -1, 1) + np.roll(train, 1, 2) + np.roll(train, -1, 2)) / 5
    mid = ev.evaluate(x, blurred, **kw)
    assert real["fid"] < mid["fid"] < bad["fid"]


# ---------------------------------------------------------------- bad input
def test_bad_features():
    with pytest.raises(ValueError, match=r"must be a 2-D array of shape \(N samples, D features\)"):
        ev.frechet_distance(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="Too few samples for the feature dimension: 50 samples of 64 features"):
        ev.frechet_distance(np.ones((50, 64)), np.ones((500, 64)))
    with pytest.raises(ValueError, match=r"different feature dimensions \(3 and 4\)"):
        ev.frechet_distance(np.ones((50, 3)), np.ones((50, 4)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        ev.frechet_distance(np.full((50, 3), np.nan), np.ones((50, 3)))


def test_bad_images(fashion_test):
    x = fashion_test[0][:300]
    with pytest.raises(ValueError, match=r"must be a batch of images shaped \(N, height, width, channels\)"):
        ev.evaluate(x[0, :, :, 0], x)
    with pytest.raises(ValueError, match="are 14x14 but this feature extractor takes 28x28"):
        ev.evaluate(x, x[:, :14, :14])
    with pytest.raises(ValueError, match=r"fake_images must have pixel values in \[0, 1\].*divide by 255"):
        ev.evaluate(x, x * 255)
    with pytest.raises(ValueError, match=r"scale='-1,1'"):
        ev.evaluate(x, x * 2 - 1)
    with pytest.raises(ValueError, match="Too few samples for the feature dimension: fake_images has 100 images"):
        ev.evaluate(x, x[:100])
    with pytest.raises(ValueError, match="Unknown extractor 'vgg'"):
        ev.evaluate(x, x, extractor="vgg")


def test_inception_path_and_offline_error():
    if not _can_reach(*ev.INCEPTION_WEIGHTS_URL_HOST, timeout=3):
        with pytest.raises(ev.EvaluatorUnavailableError, match="cannot be reached"):
            ev.inception_extractor("imagenet")
    with pytest.raises(FileNotFoundError, match="No InceptionV3 weights file"):
        ev.inception_extractor("no/such/weights.h5")
    inc = ev.inception_extractor(weights=None)
    f, p = inc(np.random.default_rng(0).uniform(size=(2, 28, 28, 1)), batch_size=2)
    assert f.shape == (2, 2048) and p.shape == (2, 1000)


def test_evaluate_generator_errors_and_table():
    with pytest.raises(FileNotFoundError, match="No generator at"):
        ev.evaluate_generator("no/such/G.keras")
    with pytest.raises(ValueError, match="must be a keras.Model or the path"):
        ev.evaluate_generator(42)
    table = ev.format_metrics({"fid": 1.5, "kid": 0.002, "kid_std": 0.001, "precision": 0.7, "recall": 0.6})
    assert "FID" in table and "1.500" in table and "0.002" in table and "recall" in table
