"""Draw Debian's Noto Color Emoji into a folder of small colour PNGs, one sub-folder per group.

    python scripts/emoji_set.py OUT_DIR [--size 64]

A command-line wrapper of `aa_gan.folders.make_emoji_folder` (see the 01a_folders notebook), which
says what it needs and does: the Debian packages `fonts-noto-color-emoji` and `unicode-data`;
fully-qualified emoji only, each cropped to its ink, centred on white and resized to SIZE x SIZE,
exact duplicates dropped; `OUT_DIR/<group>/<nnnn>_<codepoints>.png` and `OUT_DIR/emoji.csv`.
OUT_DIR must not exist yet (or be empty); it appears whole or not at all.
"""
import argparse, sys, time

from aa_gan.folders import make_emoji_folder

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out_dir')
    p.add_argument('--size', type=int, default=64)
    a = p.parse_args()
    t0 = time.time()
    try: out = make_emoji_folder(a.out_dir, a.size)
    except (OSError, ValueError) as e: sys.exit(f'emoji_set.py: {e}')
    n = sum(1 for _ in out.rglob('*.png'))
    print(f'{n} emoji images of {a.size}x{a.size} in {out} ({time.time() - t0:.1f} s)')
