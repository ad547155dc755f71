"""The production settings plus two bench-only routes (``bench.urls``): nothing else differs."""

from orgstructure.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
