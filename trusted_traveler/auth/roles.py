"""Leaf module: roles, permissions and which role grants what. Imports only the standard library."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    TRAVELER = "traveler"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    PROGRAM_LEAD = "program_lead"
    ADMIN = "admin"


STAFF_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.PROGRAM_LEAD, Role.ADMIN)

ROLE_LABELS = {
    Role.TRAVELER: "Traveler",
    Role.OFFICER: "Enrollment officer",
    Role.SUPERVISOR: "Supervisor",
    Role.PROGRAM_LEAD: "Program lead",
    Role.ADMIN: "Administrator",
}


class Permission(StrEnum):
    APPLY = "apply"  # a traveler's own profile, applications and memberships
    WORK_CASES = "work_cases"  # officer queues and case pages
    DECIDE_CASES = "decide_cases"
    SUPERVISE = "supervise"  # workload, reassignment, audit search
    MANAGE_RULES = "manage_rules"
    MANAGE_CENTERS = "manage_centers"
    MANAGE_ROLES = "manage_roles"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TRAVELER: frozenset({Permission.APPLY}),
    Role.OFFICER: frozenset({Permission.WORK_CASES, Permission.DECIDE_CASES}),
    Role.SUPERVISOR: frozenset({Permission.WORK_CASES, Permission.DECIDE_CASES, Permission.SUPERVISE}),
    Role.PROGRAM_LEAD: frozenset({Permission.MANAGE_RULES, Permission.MANAGE_CENTERS}),
    Role.ADMIN: frozenset({Permission.MANAGE_ROLES, Permission.MANAGE_CENTERS, Permission.SUPERVISE}),
}
