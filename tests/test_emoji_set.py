"The emoji colour set (`make_emoji_folder`): the same files as scripts/emoji_set.py always wrote, whole or not at all, clear errors."
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aa_gan.folders import EMOJI_FONT, EMOJI_TEST, make_emoji_folder

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "runs" / "colour" / "emoji64"  # drawn by the script before the function moved into the package
installed = pytest.mark.skipif(not (Path(EMOJI_FONT).is_file() and Path(EMOJI_TEST).is_file()),
                               reason="Debian's fonts-noto-color-emoji and unicode-data are not installed")


@installed
def test_the_first_emoji_are_drawn_as_before(tmp_path):
    out = make_emoji_folder(tmp_path / "emoji", size=64, limit=120)
    pngs = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert out == tmp_path / "emoji" and len(pngs) > 100 and pngs[0].startswith("smileys_emotion/0000_1f600")
    rows = (out / "emoji.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "path,group,subgroup,codepoints,name" and len(rows) == len(pngs) + 1
    assert all(Image.open(out / p).size == (64, 64) and Image.open(out / p).mode == "RGB" for p in pngs)
    assert [p.name for p in tmp_path.iterdir()] == ["emoji"]  # drawn beside, renamed at the end: nothing else left
    if not REFERENCE.is_dir(): pytest.skip(f"no reference set at {REFERENCE} to compare pixels with")
    for p in pngs:  # the same names, and the same pixels, as the set the experiments used
        assert np.array_equal(np.asarray(Image.open(out / p)), np.asarray(Image.open(REFERENCE / p))), p
    assert rows == (REFERENCE / "emoji.csv").read_text(encoding="utf-8").splitlines()[:len(rows)]


@installed
def test_a_failure_leaves_no_folder(tmp_path):
    broken = tmp_path / "emoji-test.txt"
    broken.write_text("# group: Smileys & Emotion\n# subgroup: face-smiling\n1F600 ; fully-qualified # 😀 E1.0 grinning face\n"
                      "this line has no semicolon\n", encoding="utf-8")
    with pytest.raises(ValueError): make_emoji_folder(tmp_path / "emoji", emoji_test=broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emoji-test.txt"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(font="/nowhere/NotoColorEmoji.ttf"), "No emoji font at /nowhere/NotoColorEmoji.ttf: on Debian, apt-get install "
                                               "fonts-noto-color-emoji unicode-data; elsewhere download "
                                               "https://github.com/googlefonts/noto-emoji/raw/main/fonts/NotoColorEmoji.ttf "
                                               "and pass font= its path."),
    (dict(emoji_test="/nowhere/emoji-test.txt"), "elsewhere download https://unicode.org/Public/emoji/latest/emoji-test.txt "
                                                 "and pass emoji_test= its path."),
    (dict(size=0), "size must be a positive number of pixels"),
])
def test_what_is_missing_is_said_in_one_line(tmp_path, kwargs, message):
    with pytest.raises((FileNotFoundError, ValueError)) as e: make_emoji_folder(tmp_path / "emoji", **kwargs)
    assert message in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "emoji").exists()


@installed
def test_an_existing_folder_is_never_written_into(tmp_path):
    (tmp_path / "emoji").mkdir(); (tmp_path / "emoji" / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="already exists and is not empty"): make_emoji_folder(tmp_path / "emoji", limit=2)
    assert [p.name for p in (tmp_path / "emoji").iterdir()] == ["mine.txt"]
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "emoji_set.py"), str(tmp_path / "emoji")], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [f"emoji_set.py: {tmp_path / 'emoji'} already exists and is not empty: "
                                                                     "delete it, or choose another folder."]
