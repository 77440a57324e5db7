"""Certificates of attendance: issued to a participant who completed the training (present on
every held date expected of them), checked by anyone holding the verification code printed on
them, revoked by an organiser. A revoked certificate is no longer valid, nor one whose holder
no longer earns it: cancelled by an organiser, a presence mark corrected, the data
anonymised."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.database import add_once, utcnow
from shared.domain.attendance import completed, expected_dates, presence_marks, present_dates
from shared.domain.capacity import holds_place
from shared.errors import Gone, NotCompleted, NotFound
from shared.i18n import format_day
from shared.models import Certificate, Organiser, Registration, SessionDate

# 192 random bits, URL-safe: printed on the certificate, typed or scanned to check it.
CODE_BYTES = 24

WITHDRAWN = _l("Cette attestation n'est plus valable.")


@dataclass(frozen=True)
class AttendedDate:
    """A date the holder attended and the hours it lasted."""

    starts_at: datetime
    ends_at: datetime

    @property
    def hours(self) -> float:
        """The session's length in hours."""
        return (self.ends_at - self.starts_at).total_seconds() / 3600


def attended_dates(registration: Registration) -> list[AttendedDate]:
    """The held dates expected of the registration at which it was marked present, in order."""
    present = present_dates(registration, presence_marks(registration))
    return [AttendedDate(d.starts_at, d.ends_at) for d in present]


def total_hours(dates: list[AttendedDate]) -> float:
    """The hours of all ``dates`` together."""
    return sum(d.hours for d in dates)


def missing_dates(registration: Registration) -> list[SessionDate]:
    """The held dates expected of the registration without a recorded presence."""
    marks = presence_marks(registration)
    return [d for d in expected_dates(registration) if marks.get(d.id) is not True]


def is_earned(registration: Registration) -> bool:
    """Whether the registration completed its training and so earns a certificate."""
    return (
        holds_place(registration)
        and registration.anonymised_at is None
        and completed(registration, presence_marks(registration))
    )


def check_completed(registration: Registration) -> None:
    """Refuse (409) unless the registration completed its training, naming the dates without
    a recorded presence."""
    if is_earned(registration):
        return
    missing = [format_day(d.starts_at) for d in missing_dates(registration)]
    if not holds_place(registration) or not missing:
        raise NotCompleted()
    raise NotCompleted(
        _l("Aucune présence n'est notée pour : %(dates)s.", dates=", ".join(missing)),
        errors={"dates": missing},
    )


def is_valid(certificate: Certificate) -> bool:
    """Whether a certificate still attests: not revoked, and what it attests still holds (a
    confirmed place, presence on every date, the holder's data not anonymised)."""
    return certificate.revoked_at is None and is_earned(certificate.registration)


def issue(session: Session, registration: Registration) -> Certificate:
    """The registration's certificate, issued on first request once the training is completed
    (409 otherwise); one issued and no longer valid (revoked, or no longer earned) is 410."""
    if registration.anonymised_at is not None:
        raise Gone(WITHDRAWN)
    issued = certificate_of(session, registration)
    # One already issued and no longer valid is withdrawn, as its check page says.
    if issued is not None and not is_valid(issued):
        raise Gone(WITHDRAWN)
    check_completed(registration)
    return issued or _new_certificate(session, registration)


def certifiable(session: Session, registrations: list[Registration]) -> list[Registration]:
    """Those among ``registrations`` whose certificate can be had: earned (see
    :func:`is_earned`), and not revoked. What a participant downloads, what an organiser's
    ZIP holds and whether it is offered."""
    earned = [r for r in registrations if is_earned(r)]
    revoked = set(
        session.scalars(
            select(Certificate.registration_id).where(
                Certificate.registration_id.in_([r.id for r in earned]),
                Certificate.revoked_at.is_not(None),
            )
        )
    )
    return [r for r in earned if r.id not in revoked]


def issue_to_all(session: Session, registrations: list[Registration]) -> list[Certificate]:
    """The certificates of those among ``registrations`` who are :func:`certifiable`,
    issued where none was yet; a revoked certificate is left out, not issued again."""
    return [
        certificate_of(session, registration) or _new_certificate(session, registration)
        for registration in certifiable(session, registrations)
    ]


def offers_certificate(session: Session, registration: Registration) -> bool:
    """Whether the participant can download a certificate: earned, and not revoked."""
    return bool(certifiable(session, [registration]))


def _new_certificate(session: Session, registration: Registration) -> Certificate:
    certificate = Certificate(
        registration=registration, code=secrets.token_urlsafe(CODE_BYTES), issued_at=utcnow()
    )
    # Two requests may issue at once (a download while the group is closed): the unique
    # registration decides, and the one that lost reads the winner's certificate.
    return add_once(session, certificate, lambda: certificate_of(session, registration))


def certificate_of(session: Session, registration: Registration) -> Certificate | None:
    """The certificate issued to the registration, if one was."""
    return session.scalar(select(Certificate).where(Certificate.registration_id == registration.id))


def valid_certificates(session: Session, registration_ids: list[int]) -> dict[int, Certificate]:
    """The certificates still valid of these registrations, by registration id."""
    found = session.scalars(
        select(Certificate).where(Certificate.registration_id.in_(registration_ids))
    )
    return {c.registration_id: c for c in found if is_valid(c)}


def verify(session: Session, code: str) -> Certificate:
    """The valid certificate this code names: 404 for an unknown code, 410 for one revoked or
    whose holder's data was anonymised."""
    certificate = session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise NotFound()
    if not is_valid(certificate):
        raise Gone(WITHDRAWN)
    return certificate


def revoke(session: Session, certificate: Certificate, organiser: Organiser) -> None:
    """Withdraw a certificate; revoking it again changes nothing."""
    if certificate.revoked_at is None:
        certificate.revoked_at = utcnow()
        certificate.revoked_by_id = organiser.id
        session.flush()
