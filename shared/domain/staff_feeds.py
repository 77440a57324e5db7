"""The private feeds of the people who run the sessions: a trainer's dates and an organiser's
planning, each opened by a capability token.

A token is derived, like a registration's calendar token (shared.tokens), from the trainer's
or organiser's id, a version and the secret key: no table holds it. Raising the version
replaces it; the old one then answers 410, and anything else 404.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from shared.errors import Gone, NotFound
from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES
from shared.models import EmailKind, Organiser, Trainer
from shared.outbox import queue_email
from shared.tokens import (
    registration_id_of,
    registration_token,
    require_current,
    secret_key,
)

TRAINER_FEED = "trainer-feed"
PLANNING_FEED = "planning-feed"

Holder = TypeVar("Holder", Trainer, Organiser)


def trainer_feed_token(trainer: Trainer) -> str:
    """The token of the trainer's feed link, derived under the secret key."""
    return registration_token(secret_key(), TRAINER_FEED, trainer.id, trainer.feed_token_version)


def planning_feed_token(organiser: Organiser) -> str:
    """The token of the organiser's planning feed link, derived under the secret key."""
    version = organiser.feed_token_version
    return registration_token(secret_key(), PLANNING_FEED, organiser.id, version)


def trainer_by_token(session: Session, token: str) -> Trainer:
    """The trainer a feed token opens; 410 for a replaced token, else 404."""
    return _holder(session, Trainer, TRAINER_FEED, token)


def organiser_by_token(session: Session, token: str) -> Organiser:
    """The organiser a planning feed token opens; 410 for a replaced token or a deactivated
    account, else 404."""
    organiser = _holder(session, Organiser, PLANNING_FEED, token)
    if not organiser.is_active:
        raise Gone()
    return organiser


def _holder(session: Session, model: type[Holder], kind: str, token: str) -> Holder:
    holder_id = registration_id_of(token)
    holder = session.get(model, holder_id) if holder_id is not None else None
    if holder is None:
        raise NotFound()
    require_current(token, kind, holder.id, holder.feed_token_version)
    return holder


def send_trainer_feed(session: Session, trainer: Trainer, *, renew: bool) -> None:
    """Email the trainer their feed link once the transaction commits; with ``renew``, a new
    link, the old one answering 410 from now."""
    if renew:
        trainer.feed_token_version += 1
        session.flush()
    # The email names the trainer only: its link is derived again when it is written.
    queue_email(session, EmailKind.TRAINER_FEED, payload={"trainer_id": trainer.id})


def renew_planning_feed(session: Session, organiser: Organiser) -> None:
    """Replace the organiser's planning feed link; the old one answers 410 from now."""
    organiser.feed_token_version += 1
    session.flush()


def trainer_language(trainer: Trainer) -> str:
    """The language a trainer is written to: the first they speak among the site's, else
    French."""
    return next((code for code in trainer.languages or [] if code in LANGUAGES), DEFAULT_LANGUAGE)
