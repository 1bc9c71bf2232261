"""The score every folder gets with no network (issue 30): the sliced Wasserstein distance of progressive GAN on
Laplacian-pyramid patches, and the calibration rows `evaluate_generator` prints next to it, on a folder that is not emoji."""
import numpy as np
import pytest
from PIL import Image

from aa_gan import evaluation as ev


def shapes(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    "n colour pictures of a disc or a square, of random size, place and colour, on white: (n, size, size, 3) in [0, 1]."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.ones((n, size, size, 3), np.float32)
    for i in range(n):
        cy, cx = rng.integers(size // 4, 3 * size // 4, 2); r = rng.integers(size // 8, size // 4)
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) if i % 2 else ((abs(yy - cy) <= r) & (abs(xx - cx) <= r))
        out[i][mask] = rng.uniform(0, 1, 3)
    return out


@pytest.fixture(scope="module")
def icons():
    return shapes(600)


def test_pyramid_levels_and_bands():
    assert ev.swd_resolutions(64) == [64, 32, 16] and ev.swd_resolutions(32) == [32, 16] and ev.swd_resolutions(28) == [28]
    x = shapes(3, 32)
    pyramid = ev.laplacian_pyramid(x, 3)
    assert [p.shape[1] for p in pyramid] == [32, 16, 8]
    assert np.abs(ev.laplacian_pyramid(np.full((2, 32, 32, 3), 0.3), 3)[0]).max() < 1e-6  # a flat image has no detail
    assert np.abs(pyramid[0]).max() > 0.1  # edges do


def test_swd_orders_real_halves_below_degraded_sets(icons):
    "Two real halves are far closer than any damaged copy; each kind of damage costs at its own scale."
    a, b = icons[:300], icons[300:]
    swd = ev.SlicedWasserstein(a)
    rows = {name: swd(x)["swd"] for name, x in {"half": b, **ev.degraded_sets(b)}.items()}
    floor = rows.pop("half")
    assert all(v > 3 * floor for v in rows.values()), (floor, rows)
    noise = [rows[f"real + gaussian noise sd {sd}"] for sd in (0.05, 0.1, 0.2)]
    assert noise == sorted(noise), noise
    assert rows["real at 16x16 and back"] < rows["real at 8x8 and back"] < rows["uniform noise"], rows
    levels = swd(ev.degraded_sets(b)["real at 16x16 and back"])["swd_levels"]
    assert levels[32] > 3 * levels[16], levels  # a blur removes the finest band; the coarse one is nearly intact


def test_swd_is_symmetric_enough_and_takes_other_counts(icons):
    swd = ev.SlicedWasserstein(icons[:300])
    assert abs(swd(icons[300:])["swd"] - swd(icons[300:450])["swd"]) < 0.5 * swd(icons[300:])["swd"] + 5  # fewer images: same scale
    with pytest.raises(ValueError, match="resize them to the same size"):
        swd(icons[:10, :16, :16])


def test_folder_calibration_rows(icons):
    generated = np.clip(icons[::-1] + np.random.default_rng(1).normal(0, 0.05, icons.shape), 0, 1)
    rows = ev.folder_calibration(icons, generated)
    assert list(rows) == ["real half vs other half", *ev.FOLDER_ROWS, "the generator (300 images)"]
    floor = rows["real half vs other half"]["swd"]
    assert floor < rows["the generator (300 images)"]["swd"] < rows["real at 8x8 and back"]["swd"] < rows["mean image (N copies)"]["swd"]
    table = ev.format_calibration(rows)
    assert "SWD" in table and "FID" not in table and len(table.splitlines()) == len(rows) + 1


def test_a_flat_folder_gets_swd_and_its_rows(tmp_path, capsys):
    "A folder with no classifier (a few hundred loose icons) is scored by SWD, with the rows that say what it means."
    from aa_gan.small import fast_generator
    for i, im in enumerate(shapes(200)): Image.fromarray((im * 255).astype(np.uint8)).save(tmp_path / f"{i:03d}.png")
    m = ev.evaluate_generator(fast_generator(image_shape=(32, 32, 3)), dataset=tmp_path, n=200)
    assert m["extractor"] == ev.SWD_NAME and "fid" not in m and m["n_real"] == m["n_fake"] == 200
    rows = m["calibration"]
    assert rows["real half vs other half"]["swd"] * 3 < m["swd"], m  # an untrained generator is far from real icons
    text = ev.format_metrics(m)
    assert "SWD x1e3" in text and "no network" in text and "What the numbers mean here" in text
