"""The test suite (tests/ and every notebook under nbval) asks for the small training budget explicitly: a few steps per
training cell, not the minutes-long showcase runs that a learner's own CPU re-run gets (see `notebook_budget` in 00_core).
Decoded folders are cached in a temporary folder of this test session, never in the user's ~/.cache (see 01a_folders).
`--precision auto` means float32 here, without a timed trial (see 04b_speed): results do not depend on the CPU the suite
runs on, and no test pays for a trial; the tests of the choice itself fake the CPU's flags."""
import os
import tempfile

os.environ.setdefault("AA_GAN_BUDGET", "small")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("AA_GAN_AUTO_PRECISION", "float32")
os.environ.setdefault("AA_GAN_CACHE_DIR", tempfile.mkdtemp(prefix="aa_gan_cache_"))
