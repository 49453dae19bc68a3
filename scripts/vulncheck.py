#!/usr/bin/env python3
"""Known-vulnerability check of the lock file from PyPI's per-project JSON, for machines where pip-audit has no
service (PyPI's per-release JSON API answers 404 and OSV does not resolve); scripts/audit.sh runs it then.

What the data can and cannot prove. `https://pypi.org/pypi/NAME/json` carries a `vulnerabilities` array, but only
for the project's latest release (`info.version`): jinja2's lists none although its older releases have advisories,
and no file entry under `releases` carries any. So:
  - a pin equal to the latest release is checked: each advisory listed (and not withdrawn) is a finding;
  - an older (or newer, or unlisted) pin is "not checked": nothing reachable says which advisories apply to it. It is
    never called clean. Advisories listed for the latest release are shown beside it as a hint (they may or may not
    reach back to the pin), and a pin whose release files are all yanked on PyPI is pointed out.

Exit status: 0 when no finding applies (whatever could not be checked, which the summary counts), 1 when one does,
3 when PyPI's project JSON did not answer for any pin (nothing was checked; audit.sh says so and does not fail).
Standard library only, plus `packaging` from the lock (already installed with pip-audit).
"""

from __future__ import annotations

import argparse
import functools
import json
import queue
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

PROJECT_URL = "https://pypi.org/pypi/{name}/json"
EXIT_FINDINGS = 1
EXIT_UNREACHABLE = 3

# name[extras]==version ; markers   (the hashes and comments are removed before this is applied)
_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?P<op>===|==)\s*(?P<version>[^\s;]+)\s*(?:;\s*(?P<marker>.+))?$"
)


@dataclass(frozen=True)
class Pin:
    name: str  # normalised (PEP 503)
    version: str
    line: int
    extras: tuple[str, ...] = ()
    marker: str | None = None


@dataclass
class Result:
    pin: Pin
    status: str  # "checked" (listed advisories apply), "not_checked", or "error" (no answer from PyPI)
    latest: str | None = None
    findings: list[dict] = field(default_factory=list)  # advisories that apply to the pinned version
    reason: str = ""
    latest_advisories: list[str] = field(default_factory=list)  # ids listed for the latest release (a hint only)
    yanked: str | None = None  # the yank reason ("" when none was given), None when not yanked


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> tuple[list[Pin], list[str]]:
    """The pins of a pip-compile lock (or any requirements file): (pins, lines that are not an exact pin)."""
    pins: list[Pin] = []
    unpinned: list[str] = []
    logical, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not logical:
            start = number
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        entry, logical = logical.strip(), ""
        if not entry:
            continue
        # drop per-requirement options (--hash=..., --hash ...); skip file-level options (-r, --index-url, -e ...)
        entry = re.sub(r"\s--hash(?:=|\s+)\S+", "", " " + entry).strip()
        if entry.startswith("-"):
            continue
        match = _PIN.match(entry)
        if not match:
            unpinned.append(f"line {start}: {entry}")
            continue
        extras = tuple(e.strip() for e in (match["extras"] or "").split(",") if e.strip())
        marker = match["marker"].strip() if match["marker"] else None
        pins.append(Pin(normalise(match["name"]), match["version"], start, extras, marker))
    return pins, unpinned


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _release_yanked(project: dict, version: str) -> str | None:
    for listed, files in (project.get("releases") or {}).items():
        if _same_version(listed, version):
            if files and all(f.get("yanked") for f in files):
                return files[0].get("yanked_reason") or ""
            return None
    return None


def _listed_version(project: dict, version: str) -> bool:
    return any(_same_version(listed, version) for listed in (project.get("releases") or {}))


def distinct(advisories: list[dict]) -> list[dict]:
    """One entry for each vulnerability: PyPI lists the same one under each database's id (PYSEC-..., GHSA-...),
    each naming the others in `aliases`."""
    seen: set[str] = set()
    kept = []
    for advisory in advisories:
        names = {advisory.get("id", "")} | set(advisory.get("aliases") or [])
        names.discard("")
        if names & seen:
            seen |= names
            continue
        seen |= names
        kept.append(advisory)
    return kept


def assess(pin: Pin, project: dict) -> Result:
    """Decide, from one project's JSON, what can be said about one pin."""
    latest = (project.get("info") or {}).get("version")
    listed = distinct([v for v in project.get("vulnerabilities") or [] if not v.get("withdrawn")])
    yanked = _release_yanked(project, pin.version)
    if not latest:
        return Result(pin, "not_checked", reason="PyPI's answer has no latest version", yanked=yanked)
    if _same_version(pin.version, latest):
        # PyPI lists an advisory under the project because its latest release is affected, so it applies as it is;
        # `fixed_in` is not second-guessed (a fix on an older branch, 2.2.3 beside 3.0.1, is below 3.0.0 and yet
        # 3.0.0 is affected).
        return Result(pin, "checked", latest=latest, findings=listed, yanked=yanked)
    if not _listed_version(project, pin.version):
        reason = f"pinned {pin.version} is not a release on PyPI (latest {latest})"
    else:
        reason = f"pinned {pin.version}, latest {latest}"
    return Result(
        pin,
        "not_checked",
        latest=latest,
        reason=reason,
        latest_advisories=[v.get("id", "?") for v in listed],
        yanked=yanked,
    )


def fetch_project(name: str, timeout: float) -> dict:
    url = PROJECT_URL.format(name=name)  # always https://pypi.org: the name is a normalised lock-file name
    headers = {"Accept": "application/json", "User-Agent": "tt-vulncheck"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    last: Exception | None = None
    for attempt in range(2):  # one retry for a transient failure; a 404 is final
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404 or attempt:
                raise
            last = error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            last = error
        time.sleep(0.5)
    assert last is not None
    raise last


def fetch_all(
    names: Iterable[str], fetch: Callable[[str], dict], workers: int = 16, deadline: float = 40.0
) -> dict[str, dict | Exception]:
    """Each project's JSON (or the exception its fetch raised), from `workers` threads. Whatever has not answered
    `deadline` seconds after the start counts as a TimeoutError; the threads are daemons, so a request still hanging
    then does not hold up the exit."""
    pending: queue.SimpleQueue[str] = queue.SimpleQueue()
    names = list(dict.fromkeys(names))
    for name in names:
        pending.put(name)
    answers: dict[str, dict | Exception] = {}
    lock = threading.Lock()

    def work() -> None:
        while True:
            try:
                name = pending.get_nowait()
            except queue.Empty:
                return
            try:
                answer: dict | Exception = fetch(name)
            except Exception as error:  # reported for the pin, never a crash of the whole check
                answer = error
            with lock:
                answers[name] = answer

    threads = [threading.Thread(target=work, daemon=True) for _ in range(max(1, min(workers, len(names))))]
    end = time.monotonic() + deadline
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    with lock:
        done = dict(answers)
    for name in names:
        done.setdefault(name, TimeoutError(f"no answer within {deadline:.0f} s"))
    return done


def check(pins: Iterable[Pin], answers: dict[str, dict | Exception]) -> list[Result]:
    """Assess every pin from its project's answer."""
    results = []
    for pin in pins:
        answer = answers.get(pin.name, LookupError("not fetched"))
        if isinstance(answer, Exception):
            results.append(Result(pin, "error", reason=_describe(answer)))
        else:
            results.append(assess(pin, answer))
    return results


def _describe(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"PyPI answered HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        return f"PyPI not reached: {error.reason}"
    return f"{type(error).__name__}: {error}"


def report(
    results: list[Result], unpinned: list[str], lock: str, out: Callable[[str], None], seconds: float | None = None
) -> int:
    checked = [r for r in results if r.status == "checked"]
    not_checked = [r for r in results if r.status == "not_checked"]
    errors = [r for r in results if r.status == "error"]
    findings = [(r, v) for r in checked for v in r.findings]

    if results and len(errors) == len(results):
        out(f"!! PyPI's project JSON did not answer for any of the {len(results)} pins in {lock}")
        out(f"!! (e.g. {errors[0].pin.name}: {errors[0].reason}): NOTHING was checked for known vulnerabilities.")
        return EXIT_UNREACHABLE

    for r, v in findings:
        aliases = ", ".join(v.get("aliases") or [])
        fixed = ", ".join(v.get("fixed_in") or []) or "no fixed release"
        text = (v.get("summary") or v.get("details") or "").strip().splitlines()
        out(f"VULNERABLE {r.pin.name}=={r.pin.version}: {v.get('id', '?')}" + (f" ({aliases})" if aliases else ""))
        out(f"    fixed in: {fixed}; {v.get('link') or ''}")
        if text:
            out(f"    {text[0][:200]}")
    for r in results:
        if r.yanked is not None:
            why = f": {r.yanked}" if r.yanked else ""
            out(f"note: {r.pin.name}=={r.pin.version} is yanked on PyPI{why}")

    if errors:
        out(f"!! {len(errors)} of {len(results)} pins got no answer from PyPI: they were NOT checked (listed below)")
    if not_checked or errors:
        out(f"not checked ({len(not_checked) + len(errors)}): PyPI lists advisories for a latest release only")
        for r in sorted(not_checked + errors, key=lambda r: r.pin.name):
            hint = ""
            if r.latest_advisories:
                hint = f"; the latest release has {len(r.latest_advisories)}: {', '.join(r.latest_advisories)}"
            out(f"  {r.pin.name}: {r.reason}{hint}")
    for entry in unpinned:
        out(f"not an exact pin, not checked: {entry}")

    skipped = len(not_checked) + len(errors) + len(unpinned)
    out(
        f"vulncheck: {len(checked)} pins checked against PyPI advisories (pinned at the latest release), "
        f"{skipped} not checkable ({len(not_checked)} older than or not the latest release, "
        f"{len(errors)} no answer from PyPI, {len(unpinned)} not exact pins), "
        f"{len(findings)} known vulnerabilities in the checked pins"
        + (f" ({seconds:.1f} s)" if seconds is not None else "")
    )
    return EXIT_FINDINGS if findings else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--requirement", default="requirements-dev.lock", help="lock file (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for each request (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=16, help="requests in parallel (default: %(default)s)")
    parser.add_argument(
        "--deadline", type=float, default=40.0, help="seconds for the whole check; later answers count as none"
    )
    args = parser.parse_args(argv)

    with open(args.requirement, encoding="utf-8") as lock:
        pins, unpinned = parse_lock(lock.read())
    started = time.monotonic()
    fetch = functools.partial(fetch_project, timeout=args.timeout)
    answers = fetch_all((p.name for p in pins), fetch, workers=args.workers, deadline=args.deadline)
    results = check(pins, answers)
    seconds = time.monotonic() - started
    return report(results, unpinned, args.requirement, lambda line: print(line, flush=True), seconds)  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())
