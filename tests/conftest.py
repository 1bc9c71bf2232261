import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("AA_GAN_MNIST_DIR", ROOT.parent / "shared" / "data" / "mnist"))
MNIST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(scope="session")
def mnist_dir():
    "The folder with the real MNIST test set's IDX files; a test that needs them fails, saying where they go, when they are absent."
    missing = [name for name in MNIST_FILES if not (MNIST_DIR / name).is_file()]
    if missing:
        pytest.fail(f"The real MNIST test set is missing: no {', '.join(missing)} in {MNIST_DIR}. Copy the IDX files "
                    f"(see {MNIST_DIR / 'README.md'} for their md5 sums) there, or point AA_GAN_MNIST_DIR at a folder "
                    "that holds them.", pytrace=False)
    return MNIST_DIR


@pytest.fixture(scope="session")
def emoji_set(tmp_path_factory):
    """The emoji colour set at 64x64 (3,641 pictures in 9 group folders): runs/colour/emoji64 where it is drawn, else drawn
    now by `make_emoji_folder` (about 10 s); skipped, naming the Debian packages, where the font is not installed."""
    from aa_gan.evaluation import is_emoji_folder
    from aa_gan.folders import EMOJI_FONT, EMOJI_TEST, make_emoji_folder
    here = Path(os.environ.get("AA_GAN_EMOJI_DIR", ROOT / "runs" / "colour" / "emoji64"))
    if is_emoji_folder(here): return here
    if not (Path(EMOJI_FONT).is_file() and Path(EMOJI_TEST).is_file()):
        pytest.skip("the emoji set needs Debian's fonts-noto-color-emoji and unicode-data (scripts/test.sh installs them)")
    return make_emoji_folder(tmp_path_factory.mktemp("emoji") / "emoji64")
