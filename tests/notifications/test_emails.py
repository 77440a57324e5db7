"""What each kind of email says, to whom, in which language (rendered in-process)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from services.notifications import emails, operations
from shared import qr
from shared.database import utcnow
from shared.domain.certificates import certificate_of, revoke
from shared.domain.checkin import checkin_code
from shared.domain.closing import close_group
from shared.domain.evaluations import evaluation_link_token, invitation_of
from shared.domain.registrations import cancel
from shared.domain.roster import promote
from shared.domain.schedule import cancel_date, cancel_group, change_date_time
from shared.i18n import LANGUAGES
from shared.models import Attendance, EmailKind, Organiser, OutboxMessage
from shared.outbox import queue_email
from tests.support.factories import local
from tests.support.links import manage_token

pytestmark = pytest.mark.usefixtures("app_context")


def delivered(session, outbox_id):
    """The emails an outbox row becomes, built as the worker builds them."""
    session.flush()
    return [operations.build(session, i) for i in operations.create_messages(session, [outbox_id])]


def delivered_all(session, kind):
    """The emails of every outbox row of one kind, in the order they were recorded."""
    rows = session.query(OutboxMessage).filter_by(kind=kind.value).order_by(OutboxMessage.id)
    return [email for outbox in rows for email in delivered(session, outbox.id)]


def outbox_of(session, kind):
    return session.query(OutboxMessage).filter_by(kind=kind.value).one().id


def ics_of(message):
    [attachment] = [a for a in message.attachments if a.content_type.startswith("text/calendar")]
    return Calendar.from_ical(attachment.data)


def checkin_qr_of(message):
    """The PNG of the check-in code an email carries, or None."""
    images = [a.data for a in message.attachments if a.content_type == "image/png"]
    assert len(images) <= 1
    return images[0] if images else None


@pytest.fixture
def group(make):
    event = make.event(title={"fr": "Atelier", "en": "Workshop", "uk": "Семінар"})
    return make.group(
        event,
        name="Liège",
        venue_name="HELMo ESAS",
        street_address="rue d'Harscamp 60",
        postcode="4020",
        town="Liège",
        capacity=1,
        dates=[
            (local("2030-11-19T09:30"), local("2030-11-19T16:00")),
            (local("2030-12-03T09:30"), local("2030-12-03T16:00")),
        ],
    )


def test_waiting_list_email_gives_the_position(db_session, make, group):
    make.registration(group)
    make.registration(group, email="second@example.org")
    make.registration(group, email="third@example.org", language="en")
    third = db_session.query(OutboxMessage).filter_by(kind="waitlisted").all()[-1]

    [email] = delivered(db_session, third.id)

    assert email.recipients == ["third@example.org"]
    assert email.subject == "Waiting list: Workshop"
    assert "You are on the waiting list, in position 2." in email.body
    assert email.attachments == []


def test_promotion_email_confirms_the_place_and_carries_the_invitation(db_session, make, group):
    first = make.registration(group)
    make.registration(group, email="waiting@example.org", language="uk")
    cancel(db_session, first)

    [email] = delivered(db_session, outbox_of(db_session, EmailKind.PROMOTED))

    assert email.recipients == ["waiting@example.org"]
    assert email.subject == "Звільнилося місце: Семінар"
    assert "у групі Liège звільнилося місце" in email.body
    assert len(ics_of(email).walk("VEVENT")) == 2


def test_cancellation_email_names_event_and_group(db_session, make, group):
    registration = make.registration(group)
    cancel(db_session, registration)

    [email] = delivered(db_session, outbox_of(db_session, EmailKind.CANCELLED))

    assert email.subject == "Inscription annulée : Atelier"
    assert "Votre inscription à « Atelier » (groupe Liège) est annulée." in email.body
    assert email.attachments == []


def test_full_group_alerts_the_events_organisers(db_session, make, group):
    organiser = Organiser(email="lead@example.org", password_hash="-", events=[group.event])
    db_session.add(organiser)
    make.registration(group)

    [email] = delivered(db_session, outbox_of(db_session, EmailKind.GROUP_FULL))

    assert email.recipients == ["lead@example.org"]
    assert email.subject == "Groupe complet : Atelier — Liège"
    assert "est complet : 1 participants confirmés pour 1 places" in email.body
    assert "/manage/" not in email.body


def test_full_group_without_organisers_alerts_the_contact_address(db_session, make, group):
    group.event.organiser_contact = "Réseau : reseau@example.org, 081/77 51 91"
    make.registration(group)

    [email] = delivered(db_session, outbox_of(db_session, EmailKind.GROUP_FULL))

    assert email.recipients == ["reseau@example.org"]


def test_date_change_tells_everyone_registered_the_old_and_new_time(db_session, make, group):
    confirmed = make.registration(group, language="en")
    waiting = make.registration(group, email="waiting@example.org")
    gone = make.registration(group, email="gone@example.org")
    cancel(db_session, gone)

    change_date_time(
        db_session, group.dates[0], local("2030-10-08T13:00"), local("2030-10-08T17:00")
    )

    emails = delivered_all(db_session, EmailKind.DATE_CHANGED)

    assert [e.recipients for e in emails] == [[confirmed.email], [waiting.email]]
    english, french = emails
    assert english.subject == "Change of time or venue: Workshop"
    assert "session planned for Tuesday, November 19, 2030, 09:30–16:00, has changed" in (
        english.body
    )
    assert "New time: Tuesday, October 8, 2030, 13:00–17:00." in english.body
    assert "Nouvel horaire : mardi 8 octobre 2030, 13:00–17:00." in french.body
    assert "a changé" in french.body
    assert len(ics_of(english).walk("VEVENT")) == 2


def test_cancelled_group_tells_its_participants_and_no_one_else(db_session, make, group):
    registration = make.registration(group)
    gone = make.registration(group, email="gone@example.org")
    cancel(db_session, gone)
    make.registration(make.group(group.event), email="other-group@example.org")

    cancel_group(db_session, group)

    [email] = delivered_all(db_session, EmailKind.GROUP_CANCELLED)
    assert email.recipients == [registration.email]
    assert email.subject == "Groupe annulé : Atelier"
    assert "est annulé et n'aura pas lieu" in email.body


def test_cancelled_date_names_the_date(db_session, make, group):
    make.registration(group, language="en")

    cancel_date(db_session, group.dates[1])

    [email] = delivered_all(db_session, EmailKind.DATE_CANCELLED)

    assert email.subject == "Session cancelled: Workshop, Tuesday, December 3, 2030"
    assert "planned for Tuesday, December 3, 2030, 09:30–16:00, is cancelled" in email.body
    assert "Tuesday, December 3, 2030, 09:30–16:00 (cancelled)" in email.body


def test_moved_participant_learns_the_new_group_and_gets_its_dates(db_session, make, group):
    registration = make.registration(group)
    other = make.group(group.event, name="Charleroi", venue_name="AVIQ", town="Charleroi")
    registration.group = other
    outbox = queue_email(
        db_session, EmailKind.MOVED, registration=registration, payload={"from_group_id": group.id}
    )

    [email] = delivered(db_session, outbox)

    assert "déplacée du groupe Liège vers le groupe Charleroi" in email.body
    assert "Lieu : AVIQ" in email.body
    assert len(ics_of(email).walk("VEVENT")) == 2


def test_manage_link_email_carries_the_personal_link(db_session, make, group):
    registration = make.registration(group, language="uk")
    outbox = queue_email(db_session, EmailKind.MANAGE_LINK, registration=registration)

    [email] = delivered(db_session, outbox)

    assert email.subject == "Ваше особисте посилання: Семінар"
    assert f"https://inscriptions.example.org/manage/{manage_token(registration)}" in email.body
    assert f'href="https://inscriptions.example.org/manage/{manage_token(registration)}"' in (
        email.html
    )


# A reminder needs a date to come, a certificate a training completed, an evaluation a group
# closed, an account email an invitation or a reset, an organiser's message its text: each
# has its own test (test_organiser_message_copies.py for the last).
OWN_TESTS = (
    EmailKind.REMINDER,
    EmailKind.CERTIFICATE,
    EmailKind.EVALUATION,
    EmailKind.ORGANISER_INVITATION,
    EmailKind.PASSWORD_RESET,
    EmailKind.ORGANISER_MESSAGE,
    EmailKind.TRAINER_FEED,
    EmailKind.TRAINER_DATES_CHANGED,
)


@pytest.mark.parametrize("kind", [k for k in EmailKind if k not in OWN_TESTS])
def test_every_kind_is_written_in_each_language(db_session, make, group, kind):
    registration = make.registration(group)
    subjects = set()
    for language in LANGUAGES:
        registration.language = group.event.language = language
        outbox = queue_email(
            db_session,
            kind,
            registration=None if kind is EmailKind.GROUP_FULL else registration,
            group=group,
            payload={"session_date_id": group.dates[0].id, "from_group_id": group.id},
        )

        [email] = delivered(db_session, outbox)

        subjects.add(email.subject)
        assert "HELMo ESAS, rue d'Harscamp 60, 4020 Liège" in email.body
        assert "HELMo ESAS, rue d&#39;Harscamp 60, 4020 Liège" in email.html
        # The HTML ends as the text does: the same footer, set apart below a rule.
        footer = email.body.rsplit("\n-- \n", 1)[1].strip()
        last_paragraph = email.html.rsplit("<p ", 1)[1]
        assert "border-top" in last_paragraph and f">{footer}</p>" in last_paragraph
    assert len(subjects) == len(LANGUAGES)


def test_certificate_email_carries_the_pdf_in_the_participants_language(db_session, make):
    event = make.event(registration_opens_at=None, title={"fr": "Atelier", "uk": "Семінар"})
    group = make.group(event, dates=[(local("2026-10-06T09:30"), local("2026-10-06T16:00"))])
    person = make.registration(
        group,
        at=local("2026-09-01T10:00"),
        first_name="Олена",
        last_name="Коваленко",
        language="uk",
    )
    db_session.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    db_session.commit()
    close_group(db_session, group)

    [email] = delivered(db_session, outbox_of(db_session, EmailKind.CERTIFICATE))
    subjects = []
    for language in ("fr", "en"):
        person.language = language
        again = queue_email(db_session, EmailKind.CERTIFICATE, registration=person)
        subjects += [sent.subject for sent in delivered(db_session, again)]

    assert subjects == [
        "Votre attestation de participation : Atelier",
        "Your certificate of attendance: Atelier",
    ]
    assert email.recipients == [person.email]
    assert email.subject == "Ваше свідоцтво про участь: Семінар"
    [attachment] = email.attachments
    assert attachment.content_type == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attachment.data)).pages).split()
    )
    assert "Олена Коваленко" in text and "Свідоцтво про участь" in text


def test_a_certificate_revoked_before_its_email_left_is_not_sent(db_session, make):
    event = make.event(registration_opens_at=None)
    group = make.group(event, dates=[(local("2026-10-06T09:30"), local("2026-10-06T16:00"))])
    person = make.registration(group, at=local("2026-09-01T10:00"))
    db_session.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    db_session.commit()
    close_group(db_session, group)
    organiser = Organiser(email="coord@example.org", name="Coord", password_hash="x")
    db_session.add(organiser)
    revoke(db_session, certificate_of(db_session, person), organiser)

    with pytest.raises(emails.Undeliverable):
        delivered(db_session, outbox_of(db_session, EmailKind.CERTIFICATE))


def test_the_evaluation_invitation_carries_the_personal_link_in_the_participants_language(
    app, db_session, make
):
    event = make.event(registration_opens_at=None, title={"fr": "Atelier", "uk": "Семінар"})
    group = make.group(event, dates=[(local("2026-10-06T09:30"), local("2026-10-06T16:00"))])
    person = make.registration(group, at=local("2026-09-01T10:00"), language="uk")
    db_session.add(Attendance(registration=person, session_date=group.dates[0], present=True))
    db_session.commit()
    with app.app_context():
        close_group(db_session, group, now=local("2026-10-20T10:00"))
        token = evaluation_link_token(invitation_of(db_session, person))

    [email] = delivered(db_session, outbox_of(db_session, EmailKind.EVALUATION))

    link = f"https://inscriptions.example.org/evaluations/{token}?lang=uk"
    assert email.recipients == [person.email]
    assert email.subject == "Ваша думка про «Семінар»"
    assert link in email.body and f'href="{link}"' in email.html
    assert "19 листопада 2026" in email.body  # 30 days after the closing
    assert not email.attachments


def test_an_arabic_confirmation_is_written_right_to_left_with_an_arabic_invitation(
    db_session, make, group
):
    group.event.title = {**group.event.title, "ar": "ورشة"}
    registration = make.registration(group, language="ar")
    outbox = queue_email(db_session, EmailKind.CONFIRMED, registration=registration)

    [email] = delivered(db_session, outbox)
    [entry, *_others] = ics_of(email).walk("VEVENT")

    arabic = re.compile(r"[\u0600-\u06ff]")
    assert arabic.search(email.subject) and "ورشة" in email.subject
    assert '<html lang="ar" dir="rtl">' in email.html and '<div dir="rtl"' in email.html
    assert "\u206609:30–16:00\u2069" in email.body  # the times stay left to right
    assert arabic.search(str(entry["SUMMARY"])) and arabic.search(str(entry["DESCRIPTION"]))


def test_once_the_training_began_the_emails_no_longer_offer_to_cancel(db_session, make):
    began = utcnow() - timedelta(hours=3)
    group = make.group(
        make.event(registration_opens_at=None),
        capacity=1,
        dates=[
            (began, began + timedelta(hours=6)),
            (began + timedelta(days=7), began + timedelta(days=7, hours=6)),
        ],
    )
    make.registration(group, at=began - timedelta(days=7))
    waiting = make.registration(group, at=began - timedelta(days=7), language="en")
    promote(db_session, waiting)  # by an organiser's hand: the waiting list no longer moves
    link = queue_email(db_session, EmailKind.MANAGE_LINK, registration=waiting)

    [promoted] = delivered(db_session, outbox_of(db_session, EmailKind.PROMOTED))
    [manage] = delivered(db_session, link)

    assert "If you cannot come, please let the organisers know." in promoted.body
    assert "Here is the link to view your registration" in manage.body
    for email in (promoted, manage):
        assert "cancel" not in email.body.lower() and "cancel" not in email.html.lower()


def test_a_place_comes_with_the_check_in_code_a_waiting_one_without(db_session, make, group):
    first = make.registration(group, language="en")
    waiting = make.registration(group, email="waiting@example.org")
    [confirmed] = delivered(db_session, outbox_of(db_session, EmailKind.CONFIRMED))
    [waitlisted] = delivered(db_session, outbox_of(db_session, EmailKind.WAITLISTED))
    cancel(db_session, first)
    [promoted] = delivered(db_session, outbox_of(db_session, EmailKind.PROMOTED))
    [reminder] = delivered(
        db_session,
        queue_email(
            db_session,
            EmailKind.REMINDER,
            registration=waiting,
            group=group,
            payload={"session_date_id": group.dates[0].id},
        ),
    )

    assert checkin_qr_of(confirmed) == qr.png(checkin_code(first))
    assert checkin_qr_of(promoted) == checkin_qr_of(reminder) == qr.png(checkin_code(waiting))
    assert checkin_qr_of(waitlisted) is None
    assert "Your check-in code is attached to this message (code-presence.png)" in confirmed.body
    assert "code-presence.png" in confirmed.html and "code-presence.png" not in waitlisted.body
    # The code itself is never written in the message: it travels as an image only.
    assert checkin_code(first) not in confirmed.body + confirmed.html
