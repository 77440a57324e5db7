"""The registration service's commands: ``flask --app services.registration load-demo``,
``create-organiser``, ``revoke-token`` and ``list-organisers``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from services.registration import demo
from services.registration.accounts import auth
from services.registration.accounts.schemas import NewPasswordSchema
from shared.database import db, utcnow
from shared.errors import DomainError
from shared.models import Event, Organiser


@click.command("load-demo")
@with_appcontext
@click.option("--original-dates", is_flag=True, help="Keep the seed's 2023 dates.")
@click.option("--if-empty", is_flag=True, help="Do nothing when events already exist.")
def load_demo(original_dates: bool, if_empty: bool) -> None:
    """Load the seed's workshop, office hours and information session; with today's dates,
    also a previous edition of the workshop, already held."""
    if if_empty and not demo.database_is_empty(db.session):
        click.echo("Events already exist; demo data not loaded.")
        return
    today = None if original_dates else utcnow().date()
    events = demo.load_events(db.session, today=today)
    if today is not None:
        events.append(demo.add_held_edition(db.session, events[0], today))
    demo.add_places(db.session)
    db.session.commit()
    for event in events:
        click.echo(f"{event.slug}: {len(event.groups)} group(s)")


def read_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-organiser")
@with_appcontext
@click.argument("email")
@click.option("--name", default="", help="The organiser's name, as shown on attendance sheets.")
@click.option("--admin", is_flag=True, help="May see and change every event.")
@click.option("--event", "event_slugs", multiple=True, help="Slug of an event they run.")
def create_organiser(email: str, name: str, admin: bool, event_slugs: tuple[str, ...]) -> None:
    """Create an organiser account; the last line printed is their personal API token, valid
    for the default number of days. The password follows the pages' rules."""
    events = [db.session.scalar(select(Event).where(Event.slug == slug)) for slug in event_slugs]
    unknown = [slug for slug, event in zip(event_slugs, events, strict=True) if event is None]
    if unknown:
        raise click.UsageError(f"unknown event: {', '.join(unknown)}")
    try:
        password = NewPasswordSchema().load({"password": read_password()})["password"]
    except ValidationError as refusal:
        messages = [str(m) for field in refusal.messages.values() for m in field]
        raise click.UsageError("; ".join(messages)) from refusal
    try:
        organiser = auth.create_organiser(db.session, email, password, name=name, is_admin=admin)
    except DomainError as refusal:
        messages = [str(m) for field in refusal.errors.values() for m in field]
        raise click.UsageError("; ".join(messages) or str(refusal.message)) from refusal
    organiser.events.extend(e for e in events if e is not None)
    _api_token, token = auth.issue_token(db.session, organiser)
    db.session.commit()
    click.echo(f"Organiser {organiser.email} created{' (admin)' if admin else ''}.")
    click.echo(token)


@click.command("revoke-token")
@with_appcontext
@click.argument("token")
def revoke_token(token: str) -> None:
    """Revoke a personal API token; it stops working at once."""
    try:
        api_token = auth.revoke_token(db.session, token.strip())
    except DomainError as refusal:
        raise click.UsageError("unknown token") from refusal
    db.session.commit()
    click.echo(f"Token of {api_token.organiser.email} revoked.")


@click.command("list-organisers")
@with_appcontext
def list_organisers() -> None:
    """Every organiser: address, admin or not, active tokens, events run; deactivated
    accounts are marked so."""
    organisers = db.session.scalars(select(Organiser).order_by(Organiser.email))
    for organiser in organisers:
        active = sum(1 for t in organiser.tokens if t.revoked_at is None)
        role = "admin" if organiser.is_admin else "organiser"
        events = ", ".join(e.slug for e in organiser.events) or "-"
        state = "" if organiser.is_active else "\tdeactivated"
        click.echo(f"{organiser.email}\t{role}\t{active} token(s)\t{events}{state}")


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""
    for command in (load_demo, create_organiser, revoke_token, list_organisers):
        app.cli.add_command(command)
