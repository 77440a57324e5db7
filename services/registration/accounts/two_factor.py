"""Two-factor sign-in with TOTP (RFC 6238, through pyotp): enrolment with a QR code (segno)
and a confirmation code, ten single-use recovery codes kept as keyed digests, and the check
of the second step at login. Functions flush and never commit; each change is audited."""

from __future__ import annotations

import hmac
import secrets

import pyotp
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.registration.accounts.auth import end_sessions, end_tokens, verify_password
from services.registration.audit import record
from shared.access import second_factor_required
from shared.database import utcnow
from shared.errors import InvalidRequest
from shared.models import Organiser, RecoveryCode
from shared.tokens import keyed_digest

ISSUER = "Atelier"
RECOVERY_CODES = 10
# One time step before or after the server's clock is accepted: a phone's clock drifts.
CLOCK_DRIFT_STEPS = 1
WRONG_CODE = _l("Ce code n'est pas valide. Vérifiez l'heure de votre téléphone et réessayez.")


def enrolment_secret(session: Session, organiser: Organiser) -> str:
    """The secret to enrol: the one already offered if the enrolment was not confirmed yet
    (so that a reloaded page shows the QR code already scanned), else a new one."""
    if organiser.has_two_factor:
        raise InvalidRequest(_l("La validation en deux étapes est déjà activée."))
    if not organiser.totp_secret:
        organiser.totp_secret = pyotp.random_base32()
        session.flush()
    return organiser.totp_secret


def provisioning_uri(organiser: Organiser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=organiser.email, issuer_name=ISSUER)


def qr_code(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data URI, for an <img> the page's policy allows."""
    import segno  # with the first enrolment: most processes never draw a QR code

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def confirm_enrolment(session: Session, organiser: Organiser, code: str) -> list[str]:
    """Turn two-factor sign-in on once the app's first code is right; the recovery codes,
    shown this once."""
    secret = enrolment_secret(session, organiser)
    if not _accept_totp(session, organiser, secret, code):
        raise InvalidRequest(errors={"code": [WRONG_CODE]})
    organiser.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(session, organiser)
    record(session, organiser, "two_factor.enabled", account=organiser)
    return codes


def disable(session: Session, organiser: Organiser, password: str) -> Organiser:
    """Turn two-factor sign-in off after checking the password; refused for an administrator
    while the second factor is required of them."""
    if not verify_password(organiser, password):
        raise InvalidRequest(errors={"password": [_l("Mot de passe incorrect.")]})
    if second_factor_required(organiser):
        raise InvalidRequest(_l("Les administrateurs doivent garder la validation en deux étapes."))
    _clear(session, organiser)
    record(session, organiser, "two_factor.disabled", account=organiser)
    return organiser


def reset_for(session: Session, admin: Organiser, organiser: Organiser) -> Organiser:
    """An administrator turns off the second factor of an account that lost its phone and
    its recovery codes; its sessions and personal API tokens end, and it enrols again at its
    next login if it must."""
    _clear(session, organiser)
    end_sessions(session, organiser)
    end_tokens(session, organiser)
    record(session, admin, "two_factor.reset", account=organiser)
    return organiser


def regenerate_recovery_codes(session: Session, organiser: Organiser) -> list[str]:
    """Ten new recovery codes; the earlier ones stop working."""
    if not organiser.has_two_factor:
        raise InvalidRequest(_l("La validation en deux étapes n'est pas activée."))
    codes = _new_recovery_codes(session, organiser)
    record(session, organiser, "two_factor.recovery_codes_renewed", account=organiser)
    return codes


def remaining_recovery_codes(session: Session, organiser: Organiser) -> int:
    """How many recovery codes the organiser has not used."""
    unused = select(func.count(RecoveryCode.id)).where(
        RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None)
    )
    return session.scalar(unused) or 0


def verify_second_factor(session: Session, organiser: Organiser, code: str) -> bool:
    """Whether ``code`` is the organiser's current TOTP code (not used before) or one of their
    unused recovery codes, which is then spent. Each is accepted once, even by two requests
    at the same moment: the row is marked by a conditional update, which only one of them
    can make."""
    code = "".join(code.split())
    if not organiser.has_two_factor or not organiser.totp_secret or not code:
        return False
    if code.isdigit():
        return _accept_totp(session, organiser, organiser.totp_secret, code)
    wanted = _recovery_digest(organiser, code)
    for candidate in session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None)
        )
    ):
        if hmac.compare_digest(candidate.code_digest, wanted):
            spent = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == candidate.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if spent.rowcount != 1:
                return False  # another request spent it first
            session.refresh(candidate)
            record(session, organiser, "two_factor.recovery_code_used", account=organiser)
            return True
    return False


def _accept_totp(session: Session, organiser: Organiser, secret: str, code: str) -> bool:
    # A code is accepted once: its time step must come after the last one accepted, so a code
    # seen over someone's shoulder cannot be replayed within its minute.
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
        if organiser.totp_last_step is not None and step <= organiser.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return _spend_step(session, organiser, step)
    return False


def _spend_step(session: Session, organiser: Organiser, step: int) -> bool:
    # Marked only if no request marked this step (or a later one) meanwhile: on PostgreSQL a
    # second update waits for the first to commit, then finds its condition false.
    spent = session.execute(
        update(Organiser)
        .where(
            Organiser.id == organiser.id,
            or_(Organiser.totp_last_step.is_(None), Organiser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.refresh(organiser, ["totp_last_step"])
    return spent.rowcount == 1


def _new_recovery_codes(session: Session, organiser: Organiser) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    # Ten characters of 31 that cannot be mistaken for one another (49 bits), in two halves
    # a person can copy: "k7m2q-x9d4w".
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.add_all(
        RecoveryCode(organiser_id=organiser.id, code_digest=_recovery_digest(organiser, code))
        for code in codes
    )
    session.flush()
    return codes


def _recovery_digest(organiser: Organiser, code: str) -> str:
    # Keyed and bound to the account: a copy of the table alone reveals no code.
    normalised = code.strip().lower().replace("-", "")
    return keyed_digest("recovery-code", f"{organiser.id}:{normalised}")


def _clear(session: Session, organiser: Organiser) -> None:
    organiser.totp_secret = None
    organiser.totp_confirmed_at = None
    organiser.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.organiser_id == organiser.id))
    session.flush()


def secret_for_display(secret: str) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
