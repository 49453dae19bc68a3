"""Imports every model module so the shared metadata is complete (for Alembic and the app)."""

from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account, RoleGrant
from trusted_traveler.casework.models import (
    Application,
    CaseDocument,
    DecisionLetter,
    InfoRequest,
    StatusEvent,
    VettingResult,
)
from trusted_traveler.feedback.models import FeedbackResponse
from trusted_traveler.memberships.models import Membership
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.payments.models import Payment
from trusted_traveler.profiles.models import (
    AddressPeriod,
    ApplicantProfile,
    Citizenship,
    CountryVisited,
    EmploymentPeriod,
    IdentityDocument,
    OffenseDisclosure,
    OtherName,
)
from trusted_traveler.programs.models import Program
from trusted_traveler.rules.models import Parameter, Rule, RuleSet, RuleSetVersion
from trusted_traveler.scheduling.models import (
    Appointment,
    CapacityTemplate,
    Closure,
    EnrollmentCenter,
    SchedulerService,
    Slot,
    WaitlistEntry,
)

__all__ = [
    "Account",
    "AddressPeriod",
    "ApplicantProfile",
    "Application",
    "Appointment",
    "AuditEvent",
    "CapacityTemplate",
    "CaseDocument",
    "Citizenship",
    "Closure",
    "CountryVisited",
    "DecisionLetter",
    "EmploymentPeriod",
    "EnrollmentCenter",
    "FeedbackResponse",
    "IdentityDocument",
    "InfoRequest",
    "Membership",
    "Notification",
    "OffenseDisclosure",
    "OtherName",
    "OutboxMessage",
    "Parameter",
    "Payment",
    "Program",
    "RoleGrant",
    "Rule",
    "RuleSet",
    "RuleSetVersion",
    "SchedulerService",
    "Slot",
    "StatusEvent",
    "VettingResult",
    "WaitlistEntry",
]
