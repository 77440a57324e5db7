"""Every table of the database. Each names its owning service: the only one that writes it."""

from shared.models.accounts import (
    OrganiserInvitation,
    PasswordReset,
    RecoveryCode,
    invitation_events,
)
from shared.models.evaluations import (
    EvaluationAnswer,
    EvaluationInvitation,
    EvaluationQuestion,
    QuestionKind,
)
from shared.models.events import AttendanceRule, Event, EventKind, Group, SessionDate
from shared.models.messaging import DeliveryStatus, EmailKind, EmailMessage, OutboxMessage
from shared.models.organiser_messages import (
    MessageRecipient,
    MessageState,
    OrganiserMessage,
    SendMode,
)
from shared.models.organisers import (
    ApiToken,
    AuditEntry,
    Organiser,
    OrganiserSession,
    event_organisers,
)
from shared.models.registration_questions import (
    AnswerKind,
    RegistrationAnswer,
    RegistrationQuestion,
)
from shared.models.registrations import (
    Attendance,
    Certificate,
    Registration,
    RegistrationStatus,
    RevokedToken,
    Role,
)
from shared.models.venues import Room, Trainer, TrainerUnavailability, Venue, group_trainers

__all__ = [
    "AnswerKind",
    "ApiToken",
    "Attendance",
    "AttendanceRule",
    "AuditEntry",
    "Certificate",
    "DeliveryStatus",
    "EmailKind",
    "EmailMessage",
    "EvaluationAnswer",
    "EvaluationInvitation",
    "EvaluationQuestion",
    "Event",
    "EventKind",
    "Group",
    "MessageRecipient",
    "MessageState",
    "Organiser",
    "OrganiserInvitation",
    "OrganiserMessage",
    "OrganiserSession",
    "OutboxMessage",
    "PasswordReset",
    "QuestionKind",
    "RecoveryCode",
    "Registration",
    "RegistrationAnswer",
    "RegistrationQuestion",
    "RegistrationStatus",
    "RevokedToken",
    "Role",
    "Room",
    "SendMode",
    "SessionDate",
    "Trainer",
    "TrainerUnavailability",
    "Venue",
    "event_organisers",
    "group_trainers",
    "invitation_events",
]
