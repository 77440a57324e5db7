"""Evaluations of a training, anonymous by design.

Each event has a questionnaire (a default set until its organisers change it, frozen once
the first invitations go out). Closing a group invites everyone present at least once; the
invitation's link carries a token that no table holds: it is derived from a random nonce and
the secret key, and the nonce is forgotten once the invitation was sent. Answers are stored
under a keyed digest of that token, so only the link's holder finds theirs again; answering
writes nothing else, so nothing in the database ties an answer to a person (see
docs/evaluations.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.database import add_once, utcnow
from shared.errors import EvaluationClosed, NotFound, QuestionnaireFrozen
from shared.i18n import LANGUAGES, format_day
from shared.models import (
    EmailKind,
    EvaluationAnswer,
    EvaluationInvitation,
    EvaluationQuestion,
    Event,
    Group,
    QuestionKind,
    Registration,
)
from shared.outbox import queue_email
from shared.tokens import digest, keyed_digest, new_token

# Answers are received for this long after the group is closed.
OPEN_DAYS = 30
# A figure drawn from fewer answers than this could point at who gave them: it is hidden.
MIN_ANSWERS_SHOWN = 3
RATING_SCALE = range(1, 6)
TEXT_MAX_LENGTH = 2000

DEFAULT_QUESTIONS = (
    (QuestionKind.RATING, _l("Dans l'ensemble, êtes-vous satisfait·e de cette formation ?")),
    (QuestionKind.RATING, _l("Ce que vous avez appris vous sera-t-il utile dans votre travail ?")),
    (QuestionKind.RATING, _l("Le rythme de la formation vous a-t-il convenu ?")),
    (QuestionKind.YES_NO, _l("Recommanderiez-vous cette formation à d'autres personnes ?")),
    (QuestionKind.TEXT, _l("Qu'est-ce qui vous a été le plus utile ?")),
    (QuestionKind.TEXT, _l("Que faudrait-il améliorer ?")),
)


def default_questions() -> list[EvaluationQuestion]:
    """The questionnaire of an event whose organisers did not write their own, worded in
    every language; new objects, in no session."""
    questions = []
    for position, (kind, text) in enumerate(DEFAULT_QUESTIONS):
        wording = {}
        for language in LANGUAGES:
            with force_locale(language):
                wording[language] = str(text)
        questions.append(EvaluationQuestion(position=position, kind=kind, wording=wording))
    return questions


def questionnaire(event: Event) -> list[EvaluationQuestion]:
    """The event's questions in order: its own, else the default set."""
    return list(event.questions) or default_questions()


def is_frozen(event: Event) -> bool:
    """Whether invitations went out (a group was closed): the questions no longer change."""
    return any(group.closed_at is not None for group in event.groups)


def replace_questions(
    session: Session, event: Event, questions: list[dict[str, Any]]
) -> list[EvaluationQuestion]:
    """Give the event these questions (each a ``kind`` and a ``wording`` per language), in
    this order; refused once invitations went out."""
    if is_frozen(event):
        raise QuestionnaireFrozen()
    event.questions = [
        EvaluationQuestion(position=position, kind=q["kind"], wording=q["wording"])
        for position, q in enumerate(questions)
    ]
    session.flush()
    return event.questions


def invite(session: Session, registrations: list[Registration]) -> list[Registration]:
    """Send an invitation to evaluate to each of ``registrations`` not invited yet; return
    those invited now. The event's questionnaire is settled with the first invitation."""
    if not registrations:
        return []
    event = registrations[0].event
    if not event.questions:
        event.questions = default_questions()
    ids = [r.id for r in registrations]
    already = set(
        session.scalars(
            select(EvaluationInvitation.registration_id).where(
                EvaluationInvitation.registration_id.in_(ids)
            )
        )
    )
    invited = []
    for registration in registrations:
        if registration.id in already or not _add_invitation(session, registration):
            continue
        queue_email(session, EmailKind.EVALUATION, registration=registration)
        invited.append(registration)
    session.flush()
    return invited


def _add_invitation(session: Session, registration: Registration) -> bool:
    nonce = new_token()
    invitation = EvaluationInvitation(
        registration=registration, nonce=nonce, token_digest=digest(_derive("link", nonce))
    )
    try:
        # Presence marked twice at once after the closing may invite twice: one wins.
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        return False
    return True


def invitation_of(session: Session, registration: Registration) -> EvaluationInvitation | None:
    """The registration's invitation to evaluate, if one was sent."""
    return session.scalar(
        select(EvaluationInvitation).where(EvaluationInvitation.registration_id == registration.id)
    )


def evaluation_link_token(invitation: EvaluationInvitation) -> str:
    """The token of the invitation's personal link (256 bits, URL-safe), until it is sent."""
    assert invitation.nonce is not None, "the invitation was sent: its link is forgotten"
    return _derive("link", invitation.nonce)


def forget_link(session: Session, registration_id: int) -> None:
    """Forget the nonce of the registration's invitation once it was sent: from then on only
    the participant holds the link, and neither the database nor the secret key leads from
    the person to their answer."""
    session.execute(
        update(EvaluationInvitation)
        .where(EvaluationInvitation.registration_id == registration_id)
        .values(nonce=None)
        .execution_options(synchronize_session=False)
    )


def answer_key(token: str) -> str:
    """The key under which the answer given through this token is stored."""
    return _derive("answer", token)


def _derive(purpose: str, value: str) -> str:
    return keyed_digest(f"evaluation-{purpose}", value)


def invitation_by_token(session: Session, token: str) -> EvaluationInvitation:
    """The invitation whose link carries this token; 404 for an unknown one."""
    invitation = session.scalar(
        select(EvaluationInvitation).where(EvaluationInvitation.token_digest == digest(token))
    )
    if invitation is None:
        raise NotFound()
    return invitation


def closes_at(group: Group) -> datetime | None:
    """When the group's evaluation stops receiving answers; None while it is not closed."""
    return group.closed_at + timedelta(days=OPEN_DAYS) if group.closed_at else None


def is_open(group: Group, now: datetime) -> bool:
    """Whether the group's evaluation still receives answers."""
    end = closes_at(group)
    return end is None or now < end


def check_open(invitation: EvaluationInvitation, now: datetime) -> None:
    """Refuse (410) once the evaluation of the invitation's group is closed."""
    group = invitation.registration.group
    if not is_open(group, now):
        end = closes_at(group)
        assert end is not None  # a closed evaluation belongs to a closed group
        raise EvaluationClosed(
            _l("Cette évaluation est close depuis le %(day)s.", day=format_day(end))
        )


def answer_of(session: Session, token: str) -> EvaluationAnswer | None:
    """The answer given through this token, if any."""
    return session.scalar(select(EvaluationAnswer).where(EvaluationAnswer.key == answer_key(token)))


def save_answers(
    session: Session,
    invitation: EvaluationInvitation,
    token: str,
    answers: dict[str, Any],
    *,
    now: datetime | None = None,
) -> EvaluationAnswer:
    """Store the answers given through ``token``, the link of ``invitation`` (by question
    id), replacing earlier ones; refused once the evaluation is closed."""
    check_open(invitation, now or utcnow())
    answer = answer_of(session, token)
    if answer is None:
        new = EvaluationAnswer(
            group_id=invitation.registration.group_id, key=answer_key(token), answers=answers
        )
        # The same link sent twice at once: the key is unique, the later one updates.
        answer = add_once(session, new, lambda: answer_of(session, token))
    answer.answers = answers
    session.flush()
    return answer
