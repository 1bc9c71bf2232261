"""Reference rows for README's table of shipped generators: what real images score on the same features.

    python scripts/reference_scores.py     (about 2 minutes on two CPU cores)

10,000 training images, and the same images with Gaussian pixel noise (sigma 0.1, clipped to [0, 1]), each against the
10,000 test images with the domain classifier's features (`aa_gan.evaluation`, as `aa-gan evaluate` scores a generator);
and the class agreement of real test images (how often the domain classifier names their true class).
"""
import numpy as np

from aa_gan.evaluation import domain_extractor, evaluate, load_split

test, labels = load_split("fashion_mnist", "test", with_labels=True)
train = load_split("fashion_mnist", "train", n=10_000, seed=0)
noisy = np.clip(train + np.random.default_rng(0).normal(0, 0.1, train.shape).astype("float32"), 0, 1)
for name, x in (("real training images", train), ("real training images + Gaussian pixel noise, sigma 0.1", noisy)):
    m = evaluate(test, x, dataset="fashion_mnist", scale="0,1")
    print(f"{name}: FID {m['fid']:.2f}, precision {m['precision']:.3f}, recall {m['recall']:.3f}")
_, probs = domain_extractor("fashion_mnist")(test, scale="0,1")
print(f"class agreement of real test images: {np.mean(probs.argmax(1) == np.asarray(labels)):.3f}")
