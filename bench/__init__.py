"""Benchmarks (see bench/README.md). They run anxin locally with throwaway databases and a recording transport, so
they run in demo mode: production mode refuses to start without a webhook signing secret (docs/configuration.md)."""

import os

os.environ.setdefault("ANXIN_MODE", "demo")
