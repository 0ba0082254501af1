"""The production settings, with a URLconf that adds the bare view (the benchmark's ceiling)."""

from cantine.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
