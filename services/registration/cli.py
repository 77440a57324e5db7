"""The registration service's commands: ``flask --app services.registration load-demo``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from services.registration import demo
from shared.database import db, utcnow


@click.command("load-demo")
@with_appcontext
@click.option("--original-dates", is_flag=True, help="Keep the seed's 2023 dates.")
@click.option("--if-empty", is_flag=True, help="Do nothing when events already exist.")
def load_demo(original_dates: bool, if_empty: bool) -> None:
    """Load the seed's workshop, office hours and information session."""
    if if_empty and not demo.database_is_empty(db.session):
        click.echo("Events already exist; demo data not loaded.")
        return
    today = None if original_dates else utcnow().date()
    events = demo.load_events(db.session, today=today)
    db.session.commit()
    for event in events:
        click.echo(f"{event.slug}: {len(event.groups)} group(s)")


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""
    app.cli.add_command(load_demo)
