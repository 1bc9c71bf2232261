import gzip
import hashlib
import re
import socket

import numpy as np
import pytest
import tensorflow as tf

from aa_gan import data
from aa_gan.data import DatasetUnavailableError, load_dataset, read_idx, restore_upstream_gzip


def test_fashion_mnist_offline_full_train_split(tmp_path, monkeypatch, capsys):
    "The acceptance check: 469 batches (60,000 images) of 28x28x1 float32 in [0, 1], prepared from Debian's files with no network."
    src = data.DEBIAN_FASHION_MNIST_DIR
    if not all((src / name).exists() for name in data.FASHION_MNIST_SHA256):
        pytest.fail(f"Debian's Fashion-MNIST files are not in {src}: `apt-get install dataset-fashion-mnist`", pytrace=False)
    monkeypatch.delenv("AA_GAN_FASHION_MNIST_DIR", raising=False)
    monkeypatch.setattr(data, "_can_reach", lambda *a, **k: False)
    def no_network(*args, **kwargs): raise OSError(f"test: no network, yet a connection was attempted: {args!r:.200}")
    for owner, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"), (socket, "create_connection"),
                        (socket, "getaddrinfo")):
        monkeypatch.setattr(owner, name, no_network)
    ds = load_dataset("fashion_mnist", shuffle=False, data_dir=str(tmp_path / "tfds"))  # a fresh folder: nothing prepared
    said = capsys.readouterr().out
    assert f"fashion_mnist [train] from tensorflow-datasets, prepared offline from {src}" in said, said
    assert "60,000 images" in said
    n, lo, hi = 0, 1.0, 0.0
    for i, batch in enumerate(ds):
        assert batch.dtype == tf.float32 and batch.shape[1:] == (28, 28, 1)
        assert batch.shape[0] == (128 if i < 468 else 96)
        n += int(batch.shape[0]); lo = min(lo, float(tf.reduce_min(batch))); hi = max(hi, float(tf.reduce_max(batch)))
    assert i + 1 == 469 and n == 60_000
    assert lo == 0.0 and hi == 1.0
    assert list((tmp_path / "tfds").glob("fashion_mnist/*/dataset_info.json"))  # it was prepared there, in the fresh folder


def test_says_which_source_it_used(capsys):
    load_dataset("fashion_mnist", split="test", max_images=10)
    assert "fashion_mnist [test] from tensorflow-datasets" in capsys.readouterr().out


def test_scale_minus_one_to_one_and_labels():
    x, y = next(iter(load_dataset("fashion_mnist", split="test", scale="-1,1", with_labels=True, shuffle=False, batch_size=500)))
    assert float(tf.reduce_min(x)) == -1.0 and float(tf.reduce_max(x)) == 1.0
    assert y.dtype == tf.int64 and set(np.unique(y.numpy())) <= set(range(10))


def test_debian_files_restore_to_upstream_bytes():
    src = data.DEBIAN_FASHION_MNIST_DIR
    if not src.exists(): pytest.skip("dataset-fashion-mnist is not installed")
    for name, (size, sha) in data.FASHION_MNIST_SHA256.items():
        raw = (src / name).read_bytes()
        fixed = restore_upstream_gzip(raw, name, data._FASHION_MNIST_MTIME[name.split("-")[0]])
        assert (len(fixed), hashlib.sha256(fixed).hexdigest()) == (size, sha)
        if name.startswith("t10k-labels"): assert gzip.decompress(fixed) == gzip.decompress(raw)


def test_damaged_debian_file_is_reported(tmp_path, monkeypatch):
    src = data.DEBIAN_FASHION_MNIST_DIR
    if not src.exists(): pytest.skip("dataset-fashion-mnist is not installed")
    for name in data.FASHION_MNIST_SHA256: (tmp_path / name).write_bytes((src / name).read_bytes())
    damaged = bytearray((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()); damaged[-20] ^= 0xFF
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(damaged))
    with pytest.raises(DatasetUnavailableError, match="does not match the upstream Fashion-MNIST file"):
        data._write_verified_fashion_mnist(tmp_path, tmp_path / "out")


def readme_md5s(folder) -> dict:
    "{file name: md5 of its decompressed bytes}, from the table in the folder's README.md (the source of truth)."
    rows = re.findall(r"^\|\s*(\S+\.gz)\s*\|[^|]*\|\s*([0-9a-f]{32})\s*\|", (folder / "README.md").read_text(), re.M)
    return dict(rows)


def test_mnist_from_idx_folder(mnist_dir):
    md5s = readme_md5s(mnist_dir)
    assert set(md5s) == {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}, md5s
    raw = {name: gzip.decompress((mnist_dir / name).read_bytes()) for name in md5s}
    for name, expected in md5s.items():
        assert hashlib.md5(raw[name]).hexdigest() == expected, f"{name} is not the file the README describes"
    x, y = next(iter(load_dataset("mnist", split="test", idx_dir=mnist_dir, shuffle=False, with_labels=True, batch_size=10_000)))
    assert x.shape == (10_000, 28, 28, 1) and y.numpy()[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]
    # what load_dataset yields is the verified bytes (after the 16- and 8-byte IDX headers), scaled to [0, 1]
    pixels = np.frombuffer(raw["t10k-images-idx3-ubyte.gz"], np.uint8, offset=16).reshape(10_000, 28, 28, 1)
    labels = np.frombuffer(raw["t10k-labels-idx1-ubyte.gz"], np.uint8, offset=8)
    np.testing.assert_array_equal(read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[..., None], pixels)
    np.testing.assert_array_equal(np.round(x.numpy() * 255).astype(np.uint8), pixels)
    np.testing.assert_allclose(x.numpy(), pixels / 255.0, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), labels)


def test_missing_dataset_names_the_ways_to_provide_it(tmp_path, monkeypatch):
    # No IDX files in the folder: one error listing the remedies
    with pytest.raises(DatasetUnavailableError) as e:
        load_dataset("mnist", idx_dir=tmp_path)
    msg = str(e.value)
    assert "Dataset 'mnist' (split 'train') is not available" in msg
    assert "connect to the internet" in msg and "idx_dir" in msg and "train-images-idx3-ubyte.gz" in msg
    # No tfds copy, no Debian copy, no network: the same kind of error, at once
    monkeypatch.setattr(data, "_can_reach", lambda *a, **k: False)
    monkeypatch.setenv("AA_GAN_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailableError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion_mnist", data_dir=str(tmp_path / "tfds"))


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown dataset 'svhn'"): load_dataset("svhn")
    with pytest.raises(ValueError, match="Unknown split 'validation'"): load_dataset("mnist", split="validation")
    with pytest.raises(ValueError, match="Unknown scale"): load_dataset(scale="0,255")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"): load_dataset(batch_size=-1)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "x.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatasetUnavailableError, match="Cannot read IDX file"): read_idx(tmp_path / "x.gz")
    (tmp_path / "y").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(DatasetUnavailableError, match="truncated"): read_idx(tmp_path / "y")
