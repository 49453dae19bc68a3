"""The production gunicorn settings (gunicorn.conf.py): a worker freezes what start-up made, so full garbage
collections do not walk it on every pass (the officer queue's p99 in BENCHMARKS.md)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_worker_freezes_the_objects_made_at_start_up():
    hooks = runpy.run_path(str(CONF))
    try:
        hooks["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
