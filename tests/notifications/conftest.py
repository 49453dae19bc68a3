"""A real SMTP server on loopback (aiosmtpd) that records what it accepts, and helpers to run `flask worker` as a
separate process against the test database."""

from __future__ import annotations

import inspect
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler. `before_accept(mailbox, envelope)` may return an SMTP reply to refuse the message (it
    runs before the message counts as accepted); a coroutine function may `await asyncio.sleep()` to make the server
    slow without holding up its other sessions. `refuse_sender` and `refuse_recipient`, when set, are the server's
    reply to MAIL FROM and to RCPT TO (a refusal: "550 5.1.1 No such user")."""

    def __init__(self, port: int):
        self.port = port
        self.accepted: list[EmailMessage] = []
        self.before_accept: Callable | None = None
        self.refuse_sender: str | None = None
        self.refuse_recipient: str | None = None
        self.sending = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipient:
            return self.refuse_recipient
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.sending += 1
            self.most_at_once = max(self.most_at_once, self.sending)
        try:
            if self.before_accept is not None:
                reply = self.before_accept(self, envelope)
                if inspect.isawaitable(reply):
                    reply = await reply
                if reply:
                    return reply
            with self._lock:
                self.accepted.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 2.0.0 Message accepted for delivery"
        finally:
            with self._lock:
                self.sending -= 1

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.accepted)


@pytest.fixture
def mailbox(app, monkeypatch):
    """An SMTP server on a free loopback port, not yet started; the app is configured to send to it."""
    box = Mailbox(free_port())
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", box.port)
    yield box
    box.stop()


@pytest.fixture
def smtp(mailbox):
    """The SMTP server, running."""
    mailbox.start()
    return mailbox


class WorkerProcess:
    """`flask worker` in its own process, on the test database, sending to the test SMTP server."""

    def __init__(self, database_url: str, mail_port: int):
        env = {
            **os.environ,
            "TT_CONFIG": "test",
            "TEST_DATABASE_URL": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "PYTHONUNBUFFERED": "1",
            "LOG_JSON": "0",
        }
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.1", "--slot-weeks", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for_line(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"worker exited ({self.proc.returncode}) without {text!r}: {self.lines}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker never said {text!r}: {self.lines}")
            time.sleep(0.05)

    def terminate(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)


@pytest.fixture
def start_worker(database_url):
    started: list[WorkerProcess] = []

    def start(mail_port: int) -> WorkerProcess:
        worker = WorkerProcess(database_url, mail_port)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def wait_until(condition: Callable[[], bool], timeout: float = 30, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(step)
