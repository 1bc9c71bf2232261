"""Draw Debian's Noto Color Emoji into a folder of small colour PNGs, one sub-folder per group.

    python scripts/emoji_set.py OUT_DIR [--size 64]

Needs the Debian packages `fonts-noto-color-emoji` (the font) and `unicode-data`
(`/usr/share/unicode/emoji/emoji-test.txt`), and Pillow with raqm layout (so ZWJ and
skin-tone sequences come out as one glyph).  Fully-qualified emoji only; each drawing is
cropped to its ink, padded to a square, put on white and resized to SIZE x SIZE; exact
duplicates (after resizing) are dropped.  File names are deterministic:
`OUT_DIR/<group>/<nnnn>_<codepoints>.png`, numbered in emoji-test.txt order, and
`OUT_DIR/emoji.csv` lists path, group, subgroup, codepoints and name of every image kept.
"""
import argparse, csv, hashlib, re, time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

EMOJI_TEST = '/usr/share/unicode/emoji/emoji-test.txt'
EMOJI_FONT = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'


def _slug(s):
    return re.sub(r'[^a-z0-9]+', '_', s.lower()).strip('_')


def _read_emoji_test(path=EMOJI_TEST):
    "Yield (group, subgroup, codepoints, name) for each fully-qualified emoji, in file order."
    group = subgroup = None
    for line in Path(path).read_text(encoding='utf-8').splitlines():
        if line.startswith('# group:'): group = line.split(':', 1)[1].strip()
        elif line.startswith('# subgroup:'): subgroup = line.split(':', 1)[1].strip()
        elif line and not line.startswith('#'):
            cps, rest = line.split(';', 1)
            status, comment = rest.split('#', 1)
            if status.strip() != 'fully-qualified' or group == 'Component': continue
            name = comment.strip().split(' ', 2)[-1]   # "😀 E1.0 grinning face" -> "grinning face"
            yield group, subgroup, cps.split(), name


def draw_emoji(out_dir, size=64, font_path=EMOJI_FONT, emoji_test=EMOJI_TEST):
    "Draw every fully-qualified emoji as a SIZE x SIZE RGB PNG on white under OUT_DIR/<group>/; return the number written."
    out_dir = Path(out_dir)
    font = ImageFont.truetype(str(font_path), 109)    # the only bitmap size of Noto Color Emoji
    seen, rows = set(), []
    for i, (group, subgroup, cps, name) in enumerate(_read_emoji_test(emoji_test)):
        text = ''.join(chr(int(c, 16)) for c in cps)
        canvas = Image.new('RGBA', (160 * len(cps), 160), (0, 0, 0, 0))
        ImageDraw.Draw(canvas).text((10, 10), text, font=font, embedded_color=True)
        box = canvas.getchannel('A').getbbox()
        if box is None: continue                       # nothing drawn
        ink = canvas.crop(box)
        side = max(ink.size)
        square = Image.new('RGBA', (side, side), (255, 255, 255, 255))
        square.alpha_composite(ink, ((side - ink.width) // 2, (side - ink.height) // 2))
        img = square.convert('RGB').resize((size, size), Image.LANCZOS)
        digest = hashlib.sha1(img.tobytes()).digest()
        if digest in seen: continue                    # exact duplicate after resizing
        seen.add(digest)
        rel = Path(_slug(group)) / f"{i:04d}_{'-'.join(c.lower() for c in cps)}.png"
        (out_dir / rel.parent).mkdir(parents=True, exist_ok=True)
        img.save(out_dir / rel, optimize=False)
        rows.append((rel.as_posix(), _slug(group), _slug(subgroup), ' '.join(cps), name))
    with open(out_dir / 'emoji.csv', 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['path', 'group', 'subgroup', 'codepoints', 'name'])
        w.writerows(rows)
    return len(rows)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out_dir')
    p.add_argument('--size', type=int, default=64)
    a = p.parse_args()
    t0 = time.time()
    n = draw_emoji(a.out_dir, a.size)
    print(f'{n} emoji images of {a.size}x{a.size} in {a.out_dir} ({time.time() - t0:.1f} s)')
