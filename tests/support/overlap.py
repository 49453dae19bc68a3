"""Two runs of a job at once, as two workers or two hosts' cron run it: each in its own thread with its own session,
started together, each step named in `slowed` taking 0.3 s longer so that the runs overlap where they would race."""

from __future__ import annotations

import threading
import time


def slowed(step):
    def slow(*args, **kwargs):
        time.sleep(0.3)  # the other run reaches the same rows meanwhile
        return step(*args, **kwargs)

    return slow


def two_runs_at_once(app, job, monkeypatch, *steps: tuple[object, str]) -> tuple[list, list]:
    """Run `job()` twice at once, committing after each, with each (module or class, name) in `steps` slowed.
    Returns what the runs returned and the exceptions they raised."""
    for module, name in steps:
        monkeypatch.setattr(module, name, slowed(getattr(module, name)))
    both_started = threading.Barrier(2, timeout=10)
    done, errors = [], []

    def run():
        with app.app_context():
            from trusted_traveler.extensions import db

            both_started.wait()
            try:
                done.append(job())
                db.session.commit()
            except Exception as exc:
                errors.append(exc)
            db.session.remove()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=30)
    return done, errors
