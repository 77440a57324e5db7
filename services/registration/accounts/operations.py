"""What is done to organiser accounts, as plain functions that flush and never commit:
invitations to events, event teams, activation and administrators, password changes and
resets, personal API tokens. Each change is written to the audit log with who made it.

Links (invitations, resets) are single use; their tokens are derived as
shared.domain.accounts describes, never stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session, selectinload

from services.registration.accounts.auth import (
    create_organiser,
    end_sessions,
    end_tokens,
    find_organiser,
    hash_password,
    issue_token,
    verify_password,
)
from services.registration.accounts.two_factor import verify_second_factor
from services.registration.audit import record
from shared.access import runs_event
from shared.database import utcnow
from shared.domain import staff_feeds
from shared.domain.accounts import (
    INVITATION_PURPOSE,
    INVITATION_VALIDITY,
    RESET_PURPOSE,
    RESET_VALIDITY,
    link_digest,
)
from shared.domain.registrations import normalise_email
from shared.domain.staff_feeds import planning_feed_token
from shared.errors import (
    Forbidden,
    InvalidRequest,
    LastOrganiser,
    LinkExpired,
    LinkUnknown,
    LinkUsed,
    NotFound,
)
from shared.links import planning_feed
from shared.models import (
    ApiToken,
    EmailKind,
    Event,
    Organiser,
    OrganiserInvitation,
    PasswordReset,
    event_organisers,
    invitation_events,
)
from shared.outbox import queue_email
from shared.paging import Keyset, Page, page_of
from shared.tokens import digest, new_token

ACCOUNTS_BY_ADDRESS = Keyset((Organiser.email, Organiser.id))

# --- Invitations and teams -------------------------------------------------------------------

NO_LONGER_BACKED = _l(
    "Cette invitation n'est plus valable : la personne qui l'a envoyée n'organise plus ces "
    "événements. Demandez-en une nouvelle."
)


@dataclass(frozen=True)
class Invited:
    """What inviting an address did: an invitation sent, or an existing account's events added."""

    invitation: OrganiserInvitation | None = None
    account: Organiser | None = None


def invite(
    session: Session, inviter: Organiser, email: str, events: Iterable[Event], language: str
) -> Invited:
    """Invite a person to organise ``events`` (each run by the inviter): an address without an
    account is sent a link to open one; one with an account is given the events at once."""
    events = list(dict.fromkeys(events))
    if not events:
        raise InvalidRequest(errors={"events": [_l("Choisissez au moins un événement.")]})
    for event in events:
        if not runs_event(session, inviter, event):
            raise Forbidden()
    address = normalise_email(email)
    account = find_organiser(session, address)
    if account is not None:
        for event in events:
            if event not in account.events:
                account.events.append(event)
                record(session, inviter, "team.added", event=event, account=account)
        return Invited(account=account)
    nonce = new_token()
    now = utcnow()
    invitation = OrganiserInvitation(
        email=address,
        language=language,
        nonce=nonce,
        token_digest=link_digest(INVITATION_PURPOSE, nonce),
        invited_by=inviter,
        created_at=now,
        expires_at=now + INVITATION_VALIDITY,
        events=events,
    )
    session.add(invitation)
    session.flush()
    # The outbox row names the invitation only; the worker derives the link from its nonce.
    queue_email(
        session,
        EmailKind.ORGANISER_INVITATION,
        event=events[0],
        payload={"invitation_id": invitation.id},
    )
    for event in events:
        record(session, inviter, "invitation.sent", event=event, email=address, id=invitation.id)
    return Invited(invitation=invitation)


def visible_invitations(session: Session, viewer: Organiser) -> list[OrganiserInvitation]:
    """The pending invitations the viewer may see and withdraw: every one for an admin, else
    those they sent or that name one of their events."""
    return list(session.scalars(_visible_to(viewer)))


def _visible_to(viewer: Organiser) -> Select[tuple[OrganiserInvitation]]:
    query = (
        select(OrganiserInvitation)
        .where(OrganiserInvitation.pending(utcnow()))
        .options(selectinload(OrganiserInvitation.events))
        .order_by(OrganiserInvitation.created_at.desc(), OrganiserInvitation.id.desc())
    )
    if not viewer.is_admin:
        theirs = select(invitation_events.c.invitation_id).where(
            invitation_events.c.event_id.in_(
                select(event_organisers.c.event_id).where(
                    event_organisers.c.organiser_id == viewer.id
                )
            )
        )
        query = query.where(
            or_(
                OrganiserInvitation.invited_by_id == viewer.id,
                OrganiserInvitation.id.in_(theirs),
            )
        )
    return query


def event_invitations(session: Session, event: Event) -> list[OrganiserInvitation]:
    """The pending invitations naming this event."""
    return list(
        session.scalars(
            select(OrganiserInvitation)
            .join(invitation_events)
            .where(invitation_events.c.event_id == event.id, OrganiserInvitation.pending(utcnow()))
            .order_by(OrganiserInvitation.created_at)
        )
    )


def withdraw_invitation(
    session: Session, actor: Organiser, invitation_id: int
) -> OrganiserInvitation:
    """Withdraw a pending invitation: its link stops working. 404 unless the actor sees it."""
    invitation = session.scalar(_visible_to(actor).where(OrganiserInvitation.id == invitation_id))
    if invitation is None:
        raise NotFound()
    invitation.withdrawn_at = utcnow()
    record(session, actor, "invitation.withdrawn", email=invitation.email, id=invitation.id)
    return invitation


def invitation_by_token(
    session: Session, token: str, *, now: datetime | None = None
) -> OrganiserInvitation:
    """The pending invitation whose link carries this token; 404 for an unknown link, 410
    for one used, withdrawn or expired."""
    invitation = session.scalar(
        select(OrganiserInvitation).where(OrganiserInvitation.token_digest == digest(token))
    )
    if invitation is None:
        raise LinkUnknown()
    if invitation.accepted_at is not None or invitation.withdrawn_at is not None:
        raise LinkUsed()
    if (now or utcnow()) >= invitation.expires_at:
        raise LinkExpired()
    if not is_backed(session, invitation):
        raise LinkExpired(NO_LONGER_BACKED)
    return invitation


def is_backed(session: Session, invitation: OrganiserInvitation) -> bool:
    """Whether the invitation's sender may still invite to it: active, and organising each of
    its events. An invitation stands only while its sender's rights do."""
    inviter = invitation.invited_by
    return (
        inviter is not None
        and inviter.is_active
        and all(runs_event(session, inviter, event) for event in invitation.events)
    )


def withdraw_unbacked_invitations(session: Session, actor: Organiser, inviter: Organiser) -> None:
    """Withdraw the pending invitations ``inviter`` sent that their rights no longer back
    (deactivated, or off one of the events' teams)."""
    session.flush()
    sent = select(OrganiserInvitation).where(
        OrganiserInvitation.invited_by_id == inviter.id,
        OrganiserInvitation.pending(utcnow()),
    )
    for invitation in session.scalars(sent):
        if not is_backed(session, invitation):
            invitation.withdrawn_at = utcnow()
            record(session, actor, "invitation.withdrawn", email=invitation.email, id=invitation.id)


@dataclass(frozen=True)
class Accepted:
    """The account an invitation's link opened, or gave its events to (``created`` false):
    only a new account is signed in by the link, an existing one signs in as always."""

    account: Organiser
    created: bool


def accept_invitation(
    session: Session, invitation: OrganiserInvitation, data: dict[str, Any]
) -> Accepted:
    """Open the invited account with the chosen password (and name), on the events of the
    invitation ``invitation_by_token`` found; an account opened meanwhile for the address
    receives the events instead."""
    account = find_organiser(session, invitation.email)
    created = account is None
    if account is None:
        account = create_organiser(
            session, invitation.email, data["password"], name=data.get("name", "")
        )
    for event in invitation.events:
        if event not in account.events:
            account.events.append(event)
    invitation.accepted_at = utcnow()
    record(session, account, "invitation.accepted", account=account, id=invitation.id)
    return Accepted(account, created)


def team_of(event: Event) -> list[Organiser]:
    """The event's organisers, by address."""
    return sorted(event.organisers, key=lambda organiser: organiser.email)


def remove_from_team(session: Session, actor: Organiser, event: Event, organiser_id: int) -> Event:
    """Take an organiser off the event's team; refused for its last active organiser."""
    # Two removals at once must not both see the other organiser still there: the event's
    # row is locked first (SQLite's transactions are serialised already).
    session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
    session.refresh(event, ["organisers"])
    member = next((o for o in event.organisers if o.id == organiser_id), None)
    if member is None:
        raise NotFound()
    others = [o for o in event.organisers if o.id != organiser_id and o.is_active]
    if member.is_active and not others:
        raise LastOrganiser()
    event.organisers.remove(member)
    record(session, actor, "team.removed", event=event, account=member)
    withdraw_unbacked_invitations(session, actor, member)
    return event


# --- Accounts, for administrators --------------------------------------------------------------


def accounts_page(session: Session, *, limit: int, cursor: tuple | None) -> Page[Organiser]:
    """A page of the organiser accounts with their events, by address."""
    query = select(Organiser).options(selectinload(Organiser.events))
    return page_of(session, query, ACCOUNTS_BY_ADDRESS, limit=limit, cursor=cursor)


def account_of(session: Session, organiser_id: int) -> Organiser:
    """An account by id, or 404."""
    account = session.get(Organiser, organiser_id)
    if account is None:
        raise NotFound()
    return account


def change_account(
    session: Session, admin: Organiser, organiser_id: int, changes: dict[str, Any]
) -> Organiser:
    """Deactivate or reactivate an account, make it administrator or not. Deactivating ends
    its sessions and stops its tokens at once. Nobody changes their own account this way."""
    account = account_of(session, organiser_id)
    if account.id == admin.id:
        raise InvalidRequest(_l("Vous ne pouvez pas modifier ainsi votre propre compte."))
    active = changes.get("active")
    if active is False and account.is_active:
        account.deactivated_at = utcnow()
        end_sessions(session, account)
        record(session, admin, "account.deactivated", account=account)
    elif active is True and not account.is_active:
        account.deactivated_at = None
        record(session, admin, "account.reactivated", account=account)
    is_admin = changes.get("is_admin")
    if is_admin is not None and is_admin != account.is_admin:
        account.is_admin = is_admin
        action = "account.made_admin" if is_admin else "account.admin_removed"
        record(session, admin, action, account=account)
    withdraw_unbacked_invitations(session, admin, account)
    return account


# --- Passwords -----------------------------------------------------------------------------


def change_password(
    session: Session, organiser: Organiser, current: str, new: str, *, keep: str | None
) -> Organiser:
    """Replace the password after checking the current one; every other session (all but
    the one whose id has the digest ``keep``) ends, and every reset link sent before."""
    if not verify_password(organiser, current):
        raise InvalidRequest(errors={"current_password": [_l("Mot de passe incorrect.")]})
    set_password(session, organiser, new, keep=keep)
    record(session, organiser, "password.changed", account=organiser)
    return organiser


def set_password(
    session: Session, organiser: Organiser, password: str, *, keep: str | None = None
) -> None:
    """Give the account a new password; every session opened before ends (but ``keep``'s),
    and no reset link sent before works any more."""
    organiser.password_hash = hash_password(password)
    end_sessions(session, organiser, keep=keep)
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.organiser_id == organiser.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def request_reset(session: Session, email: str, language: str) -> PasswordReset | None:
    """Email a reset link to the active account of this address, if there is one; the caller
    answers the same either way."""
    account = find_organiser(session, email)
    if account is None or not account.is_active:
        return None
    nonce = new_token()
    now = utcnow()
    reset = PasswordReset(
        organiser=account,
        language=language,
        nonce=nonce,
        token_digest=link_digest(RESET_PURPOSE, nonce),
        created_at=now,
        expires_at=now + RESET_VALIDITY,
    )
    session.add(reset)
    session.flush()
    queue_email(session, EmailKind.PASSWORD_RESET, payload={"reset_id": reset.id})
    record(session, None, "password.reset_requested", account=account, id=reset.id)
    return reset


def reset_by_token(session: Session, token: str, *, now: datetime | None = None) -> PasswordReset:
    """The unused reset whose link carries this token; 404 for an unknown link, 410 for one
    used or expired (or of a deactivated account)."""
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_digest == digest(token)))
    if reset is None:
        raise LinkUnknown()
    if reset.used_at is not None:
        raise LinkUsed()
    if not reset.is_pending(now or utcnow()):
        raise LinkExpired()
    return reset


def complete_reset(session: Session, reset: PasswordReset, password: str) -> Organiser:
    """Set the new password through the reset ``reset_by_token`` found; the link and any
    other of the account's stop working, every session of the account ends, and so do its
    personal API tokens (whoever reset the password may not be the one who made them)."""
    account = reset.organiser
    set_password(session, account, password)
    end_tokens(session, account)
    reset.used_at = utcnow()
    record(session, account, "password.reset", account=account, id=reset.id)
    return account


# --- Personal API tokens ------------------------------------------------------------------------


def events_named(session: Session, slugs: list[str]) -> list[Event]:
    """The events of these slugs; 422 when one names no event."""
    events = list(session.scalars(select(Event).where(Event.slug.in_(slugs))))
    if len(events) != len(set(slugs)):
        raise InvalidRequest(errors={"events": [_l("Un des événements choisis n'existe pas.")]})
    return events


def tokens_of(session: Session, organiser: Organiser) -> list[ApiToken]:
    """The organiser's tokens still in force, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.organiser_id == organiser.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > utcnow(),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(
    session: Session, organiser: Organiser, data: dict[str, Any]
) -> tuple[ApiToken, str]:
    """A new named token for the organiser, valid the days chosen, and its value, shown this
    once; only after their password, and their second factor's code when they have one."""
    if not verify_password(organiser, data["password"]):
        raise InvalidRequest(errors={"password": [_l("Mot de passe incorrect.")]})
    if organiser.has_two_factor and not verify_second_factor(
        session, organiser, data.get("code") or ""
    ):
        raise InvalidRequest(errors={"code": [_l("Ce code n'est pas valide.")]})
    name, days = data["name"], data["days"]
    api_token, value = issue_token(session, organiser, name=name, days=days)
    record(
        session,
        organiser,
        "token.created",
        account=organiser,
        token_id=api_token.id,
        name=name,
        days=days,
    )
    return api_token, value


def revoke_own_token(session: Session, organiser: Organiser, token_id: int) -> ApiToken:
    """Revoke one of the organiser's tokens; another's, or an unknown one, is not found."""
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.organiser_id != organiser.id:
        raise NotFound()
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        record(session, organiser, "token.revoked", account=organiser, token_id=token_id)
    return api_token


# --- The planning feed ------------------------------------------------------------------------


def planning_feed_link(organiser: Organiser, language: str) -> str:
    """The address of the organiser's planning feed, in ``language``."""
    return planning_feed(planning_feed_token(organiser), language)


def renew_planning_feed(session: Session, organiser: Organiser) -> None:
    """Give the organiser a new planning feed link; the old one answers 410 from now."""
    staff_feeds.renew_planning_feed(session, organiser)
    record(session, organiser, "planning_feed.renewed", account=organiser)
