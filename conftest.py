"""The test suite (tests/ and every notebook under nbval) asks for the small training budget explicitly: a few steps per
training cell, not the minutes-long showcase runs that a learner's own CPU re-run gets (see `notebook_budget` in 00_core).
Decoded folders are cached in a temporary folder of this test session, never in the user's ~/.cache (see 01a_folders)."""
import os
import tempfile

os.environ.setdefault("AA_GAN_BUDGET", "small")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("AA_GAN_CACHE_DIR", tempfile.mkdtemp(prefix="aa_gan_cache_"))
