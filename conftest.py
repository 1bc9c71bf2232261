"""The test suite (tests/ and every notebook under nbval) asks for the small training budget explicitly: a few steps per
training cell, not the minutes-long showcase runs that a learner's own CPU re-run gets (see `notebook_budget` in 00_core)."""
import os

os.environ.setdefault("AA_GAN_BUDGET", "small")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
