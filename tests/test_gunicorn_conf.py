"""The production gunicorn settings (gunicorn.conf.py): gunicorn runs the production configuration unless told
otherwise, and a worker freezes what start-up made, so full garbage collections do not walk it on every pass (the
officer queue's p99 in BENCHMARKS.md)."""

from __future__ import annotations

import gc
import os
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


def test_gunicorn_without_tt_config_runs_the_production_configuration(monkeypatch):
    """Not the development one, whose sign-in would let anyone in as an officer on a forgotten setting."""
    monkeypatch.setenv("TT_CONFIG", "set, so that monkeypatch puts back what was there")
    monkeypatch.delenv("TT_CONFIG")
    runpy.run_path(str(CONF))
    assert os.environ["TT_CONFIG"] == "production"


def test_an_explicit_tt_config_still_wins_under_gunicorn(monkeypatch):
    monkeypatch.setenv("TT_CONFIG", "development")
    runpy.run_path(str(CONF))
    assert os.environ["TT_CONFIG"] == "development"
