"The folder cache (issue 20, item 3): a folder is decoded once, kept on disk, reused while unchanged, decoded again when it changes."
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from test_folders import make_folder  # noqa: E402  the same mixed folder: six images, a corrupt PNG, a text file

import aa_gan.folders as folders  # noqa: E402
from aa_gan.folders import cached_scan, decode_folder, folder_cache_dir, load_image_folder, read_image, scan_folder  # noqa: E402


@pytest.fixture
def cache(tmp_path, monkeypatch):
    "A cache folder of the test's own, named the way a user names one: never the real ~/.cache."
    path = tmp_path / "cache"
    monkeypatch.setenv("AA_GAN_CACHE_DIR", str(path))
    return path


@pytest.fixture
def folder(tmp_path):
    return make_folder(tmp_path / "pets")


@pytest.fixture
def no_decoding(monkeypatch):
    "Opening an image with Pillow fails the test: what a reuse must not do."
    def refuse(*args, **kwargs): raise AssertionError("an image was opened")
    def apply(): monkeypatch.setattr(folders.Image, "open", refuse)
    return apply


def batches(ds, epochs=1):
    return [[np.asarray(t) for t in (b if isinstance(b, tuple) else (b,))] for _ in range(epochs) for b in ds]


def entries(cache, kind="images"):
    return sorted(p.stem for p in cache.glob(f"{kind}-*.json"))


def test_the_cache_folder_comes_from_the_argument_the_environment_or_home(tmp_path, monkeypatch):
    monkeypatch.setenv("AA_GAN_CACHE_DIR", str(tmp_path / "env"))
    assert folder_cache_dir() == tmp_path / "env" and folder_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert folder_cache_dir(False) is None
    monkeypatch.setenv("AA_GAN_CACHE_DIR", "off")
    assert folder_cache_dir() is None
    monkeypatch.delenv("AA_GAN_CACHE_DIR"); monkeypatch.setenv("HOME", str(tmp_path / "home")); monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert folder_cache_dir() == tmp_path / "home" / ".cache" / "aa_gan" / "folders"
    with pytest.raises(ValueError, match="cache_dir must be a folder, None .* or False"): folder_cache_dir(True)


def test_second_load_reuses_the_array_and_opens_no_image(folder, cache, capsys, no_decoding):
    kwargs = dict(image_size=(16, 24), channels=3, scale="-1,1", batch_size=4, with_labels=True, seed=1)
    first_scan = scan_folder(folder)
    first = load_image_folder(folder, **kwargs)
    said_first = capsys.readouterr()
    assert first.from_cache is False and first.cache_entry.parent == cache
    assert "decoded in" in said_first.out and f"cached in {cache}" in said_first.out
    assert entries(cache) == [first.cache_entry.name] and entries(cache, "scan")
    assert not list(cache.glob(".tmp_*"))  # written whole: no temporary file left
    no_decoding()
    second = load_image_folder(folder, **kwargs)
    said_second = capsys.readouterr()
    assert second.from_cache is True and "reused from the cache, no image opened" in said_second.out
    assert said_second.err == said_first.err and "Skipped 1 of 8 files" in said_second.err  # the bad file is remembered (the note beside it is not warned about)
    assert len(said_second.err.strip().splitlines()) == 1
    for a, b in zip(batches(first, 2), batches(second, 2), strict=True):  # the same batches, epoch after epoch
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert second.class_names == ["cats", "dogs"] and second.n_images == 6 and len(second.skipped) == 2
    assert cached_scan(folder) == first_scan


def test_the_cached_pixels_are_read_images(folder, cache):
    "Checking and decoding in one opening gives exactly `read_image`'s pixels, for every mode and fit."
    for size, channels, fit in (((16, 24), 3, "crop"), (9, 1, "pad"), ((7, 5), 3, "stretch")):
        d = decode_folder(folder, size, channels, fit, verbose=False)
        assert d.images.dtype == np.uint8 and d.images.shape[0] == 6
        assert np.array_equal(d.images, np.stack([read_image(p, d.images.shape[1:3], channels, fit) for p, _, _ in d.good]))
        assert [(p, m, s) for p, m, s in d.good] == scan_folder(folder)[0]


@pytest.mark.parametrize("change", ["rewrite", "touch", "add", "remove", "rename", "size", "channels", "fit", "nothing", "read only"])
def test_a_change_gives_a_new_entry_and_nothing_else_does(folder, cache, change):
    first = decode_folder(folder, 16, verbose=False)
    image = folder / "cats" / "a.png"
    args = dict(image_size=16, channels=3, fit="crop")
    if change == "rewrite": Image.new("RGB", (80, 60), (1, 2, 3)).save(image)
    if change == "touch": os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 1))
    if change == "add": Image.new("RGB", (5, 5)).save(folder / "dogs" / "new.png")
    if change == "remove": image.unlink()
    if change == "rename": image.rename(image.with_name("z.png"))
    if change == "size": args["image_size"] = 17
    if change == "channels": args["channels"] = 1
    if change == "fit": args["fit"] = "pad"
    if change == "read only": _ = [p.read_bytes() for p in folder.rglob("*") if p.is_file()]  # reading changes nothing
    again = decode_folder(folder, **args, verbose=False)
    unchanged = change in ("nothing", "read only")
    assert again.reused is unchanged  # the negative controls: no change, no new entry
    if change in ("rewrite", "touch", "add", "remove", "rename"):  # the folder changed: the old entry is gone
        assert entries(cache) == [again.entry.name] != [first.entry.name]
        n = {"add": 7, "remove": 5}.get(change, 6)
        assert len(again.good) == n and again.images.shape[0] == n
    if change == "rewrite": assert not np.array_equal(again.images, first.images)
    if change in ("size", "channels", "fit"): assert sorted(entries(cache)) == sorted([first.entry.name, again.entry.name])


def test_a_damaged_entry_is_decoded_again(folder, cache):
    first = decode_folder(folder, 8, verbose=False)
    npy = first.entry.with_suffix(".npy")
    npy.write_bytes(npy.read_bytes()[:100])  # cut short (not by us: our writes are whole)
    again = decode_folder(folder, 8, verbose=False)
    assert again.reused is False and np.array_equal(again.images, first.images)
    assert decode_folder(folder, 8, verbose=False).reused is True


def test_no_cache_writes_nothing(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("AA_GAN_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    ds = load_image_folder(folder, image_size=8, batch_size=16, verbose=False)
    assert ds.cache_entry is None and ds.from_cache is False and batches(ds)[0][0].shape == (6, 8, 8, 3)
    d = decode_folder(folder, 8, cache_dir=False, verbose=False)
    assert d.entry is None and not (tmp_path / "home").exists()


def test_an_unwritable_cache_warns_once_and_the_data_still_loads(folder, tmp_path, capsys):
    blocked = tmp_path / "a_file"; blocked.write_text("not a folder")
    ds = load_image_folder(folder, image_size=8, batch_size=16, verbose=False, cache_dir=blocked / "cache")
    assert batches(ds)[0][0].shape == (6, 8, 8, 3) and ds.cache_entry is None
    said = [line for line in capsys.readouterr().err.splitlines() if "Could not keep" in line]
    assert len(said) == 1 and "AA_GAN_CACHE_DIR" in said[0]


def test_cached_and_streamed_pipelines_give_the_same_batches(folder, cache):
    "cache=False (decoded in the pipeline every epoch, as before) and the cached array: same shuffles, labels, max_images, remainder."
    for kwargs in (dict(with_labels=True, seed=3, batch_size=4), dict(seed=5, max_images=4, batch_size=3, scale="-1,1"),
                   dict(shuffle=False, drop_remainder=True, batch_size=4, channels=1, fit="pad")):
        kwargs = dict(image_size=(12, 10), verbose=False) | kwargs
        cached, streamed = load_image_folder(folder, **kwargs), load_image_folder(folder, cache=False, **kwargs)
        assert cached.element_spec == streamed.element_spec and cached.n_images == streamed.n_images
        a, b = batches(cached, 2), batches(streamed, 2)
        assert len(a) == len(b) and all(np.array_equal(x, y) for p, q in zip(a, b) for x, y in zip(p, q))
    assert [len(b[0]) for b in batches(load_image_folder(folder, image_size=8, batch_size=4, drop_remainder=True, verbose=False))] == [4]


def test_a_run_checks_each_file_once_then_never(folder, cache, monkeypatch, capsys):
    "`train` asks `_chosen` what suits the folder, then loads it: one scan between them; the next run opens no image."
    from aa_gan.config import TrainConfig
    from aa_gan.folders import load_training_data
    from aa_gan.folders import ImageFolder, open_folder
    from aa_gan.runs import _chosen
    opened = []
    real_open = folders.Image.open
    monkeypatch.setattr(folders.Image, "open", lambda p, *a, **k: opened.append(Path(p).name) or real_open(p, *a, **k))
    config = _chosen(TrainConfig(dataset=str(folder)).checked(), open_folder(str(folder)))
    assert (config.model, config.image_size, config.channels, config.r1) == ("fast-cond+resize", 32, 3, 0.1)
    assert "--image-size 32 (most images are smaller than 64 pixels)" in capsys.readouterr().out
    data, steps = load_training_data(str(folder), (config.image_size, config.image_size, config.channels), "-1,1", 4,
                                     class_names=["cats", "dogs"])
    assert len(opened) == 8 + 6 and set(opened) == {p.name for p in folder.rglob("*") if p.is_file()}  # each file checked once, each image decoded once
    opened.clear()
    folders._SCANS.clear()  # a new process: only the disk remembers
    assert _chosen(TrainConfig(dataset=str(folder)).checked(), open_folder(str(folder))) == config
    load_training_data(str(folder), (config.image_size, config.image_size, config.channels), "-1,1", 4, class_names=["cats", "dogs"])
    assert opened == []
    fresh = ImageFolder(folder, *scan_folder(folder))  # a scan of its own, no cache: the same decisions
    assert _chosen(TrainConfig(dataset=str(folder)).checked(), fresh) == config


def test_train_resolves_its_folder_once(folder, cache, tmp_path, monkeypatch):
    """`train` on a folder with classes: one scan, made into one `ImageFolder` that every step is handed (the recipe's choice,
    the class names, the data). The folder is walked twice: that scan, and the decoder's listing that keys its cache entry;
    before, the scan walked it twice and the class names a fourth time."""
    from aa_gan.runs import train
    walks, real_find = [], folders.find_files
    monkeypatch.setattr(folders, "find_files", lambda f: walks.append(Path(f).name) or real_find(f))
    resolved, real_open = [], folders.open_folder
    import aa_gan.runs
    monkeypatch.setattr(aa_gan.runs, "open_folder", lambda d, **k: resolved.append(d) or real_open(d, **k))
    gan, _ = train(dataset=str(folder), out_dir=str(tmp_path / "run"), image_size=32, epochs=1, steps_per_epoch=1,
                   batch_size=2, precision="float32", jit_compile=False, verbose=0)
    assert gan.num_classes == 2 and len(resolved) == 1, resolved  # fast-cond+resize: the two class sub-folders
    assert walks == ["pets", "pets"], walks
