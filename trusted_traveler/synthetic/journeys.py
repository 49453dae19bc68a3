"""The journeys synthetic applications take: paths through each program's status machine, with the share of
applications that end on each. Every path starts at draft and follows the program's TRANSITIONS (checked at import),
and together they end on every status of both machines.

The shares are plausible, not measured: most applications end approved, a tail waits on a step (booked visits,
vetting, officer review, the traveler's answer), a few are denied, revoked, withdrawn or being reconsidered.
"""

from __future__ import annotations

from trusted_traveler.casework.states import TRANSITIONS, Status

S = Status

# Aliases keep the paths readable.
D, SUB, VET = S.DRAFT, S.SUBMITTED, S.IN_VETTING
OR, IR, RR = S.OFFICER_REVIEW, S.INFO_REQUESTED, S.RECONSIDERATION_REQUESTED
CA, IS, IC = S.CONDITIONALLY_APPROVED, S.INTERVIEW_SCHEDULED, S.INTERVIEW_COMPLETED
ES, BC, PI = S.ENROLLMENT_SCHEDULED, S.BIOMETRICS_CAPTURED, S.PRELIMINARY_INELIGIBLE
A, DEN, REV, W = S.APPROVED, S.DENIED, S.REVOKED, S.WITHDRAWN

# (weight per 10,000 applications, path)
JOURNEYS: dict[str, tuple[tuple[int, tuple[Status, ...]], ...]] = {
    "global_entry": (
        (5900, (D, SUB, VET, CA, IS, IC, A)),
        (900, (D, SUB, VET, CA, IC, A)),  # Enrollment on Arrival: interviewed at the airport without a booking
        (450, (D, SUB, VET, OR, CA, IS, IC, A)),  # a vetting hit the officer cleared
        (120, (D, SUB, VET, OR, IR, OR, CA, IS, IC, A)),
        (40, (D, SUB, VET, OR, DEN, RR, OR, CA, IS, IC, A)),  # approved on reconsideration
        (300, (D,)),
        (250, (D, W)),  # a draft that expired
        (20, (D, SUB)),
        (60, (D, SUB, VET)),
        (220, (D, SUB, VET, OR)),
        (80, (D, SUB, VET, OR, IR)),
        (750, (D, SUB, VET, CA)),
        (280, (D, SUB, VET, CA, IS)),
        (30, (D, SUB, VET, CA, IS, CA)),  # cancelled the interview, not rebooked yet
        (90, (D, SUB, VET, CA, IS, IC)),
        (200, (D, SUB, VET, OR, DEN)),
        (50, (D, SUB, VET, OR, IR, DEN)),
        (60, (D, SUB, VET, CA, IS, IC, DEN)),
        (40, (D, SUB, VET, OR, DEN, RR)),
        (30, (D, SUB, VET, CA, IS, IC, A, REV)),
        (10, (D, SUB, VET, CA, IS, IC, A, REV, RR)),
    ),
    "precheck": (
        (6300, (D, SUB, ES, BC, VET, A)),
        (900, (D, SUB, BC, VET, A)),  # a walk-in enrollment visit
        (200, (D, SUB, OR, SUB, ES, BC, VET, A)),  # a hit on submission, cleared to enroll
        (150, (D, SUB, ES, BC, VET, OR, A)),
        (50, (D, SUB, ES, BC, VET, OR, IR, OR, A)),
        (300, (D,)),
        (250, (D, W)),
        (500, (D, SUB)),  # paid, has not booked a visit yet
        (30, (D, SUB, ES, SUB)),  # cancelled the visit
        (280, (D, SUB, ES)),
        (20, (D, SUB, ES, BC)),
        (200, (D, SUB, ES, BC, VET)),
        (80, (D, SUB, OR)),
        (60, (D, SUB, ES, BC, VET, OR)),
        (50, (D, SUB, ES, BC, VET, OR, IR)),
        (40, (D, SUB, ES, BC, VET, OR, PI)),
        (20, (D, SUB, ES, BC, VET, OR, PI, OR)),  # answered the determination
        (80, (D, SUB, ES, BC, VET, OR, PI, DEN)),  # no answer within 60 days
        (20, (D, SUB, ES, BC, VET, OR, PI, DEN, RR)),
        (15, (D, SUB, ES, BC, VET, A, REV)),
        (5, (D, SUB, ES, BC, VET, A, REV, RR)),
    ),
}

# The statuses in which the application holds a booked appointment, and the one it falls back to when no seat
# is left at any center (the traveler has not booked yet).
SCHEDULED = {S.INTERVIEW_SCHEDULED: S.CONDITIONALLY_APPROVED, S.ENROLLMENT_SCHEDULED: S.SUBMITTED}


def is_valid_path(program_code: str, path: tuple[Status, ...] | list[str]) -> bool:
    """Whether `path` starts at draft and each step is a move in the program's table."""
    table = TRANSITIONS[program_code]
    steps = [Status(s) for s in path]
    return bool(steps) and steps[0] is S.DRAFT and all(b in table[a] for a, b in zip(steps, steps[1:], strict=False))


def _check() -> None:
    for code, journeys in JOURNEYS.items():
        for _weight, path in journeys:
            if not is_valid_path(code, path):
                raise AssertionError(f"synthetic journey {path} is not a path through the {code} table")
        ends = {path[-1] for _weight, path in journeys}
        if ends != set(TRANSITIONS[code]):
            raise AssertionError(f"synthetic {code} journeys miss statuses {set(TRANSITIONS[code]) - ends}")


_check()
