"""The event pages and the registration form: availability, the two-date commitment, errors
beside their fields, values kept, CSRF."""

from datetime import timedelta

from sqlalchemy import func, select

from shared.database import utcnow
from shared.models import AttendanceRule, EventKind, Registration, RegistrationStatus
from tests.support.factories import local
from tests.support.links import manage_token
from tests.support.pages import registration_form, submit, text_of


def count_registrations(db_session) -> int:
    return db_session.scalar(select(func.count(Registration.id)))


def test_home_lists_upcoming_events_with_each_groups_availability(client, make):
    event = make.event(title={"fr": "Atelier expérimental"})
    make.group(event, town="Charleroi", town_slug="charleroi", capacity=20)
    full = make.group(event, town="Liège", town_slug="liege", capacity=1)
    make.registration(full)
    closed_event = make.event(registration_closes_at=utcnow() - timedelta(hours=1))
    make.group(closed_event, town="Jambes", capacity=20)
    full_and_closed = make.group(make.event(), town="Namur", capacity=1)
    make.registration(full_and_closed)
    full_and_closed.event.registration_closes_at = utcnow() - timedelta(hours=1)
    make.session.commit()

    page = text_of(client.get("/"))

    assert "Atelier expérimental" in page
    assert "20 places restantes" in page
    assert "Complet : liste d'attente" in page
    assert "Inscriptions fermées" in page
    assert 'badge--full">Complet</span>' in page


def test_past_events_are_not_listed(client, make):
    past = make.event(title={"fr": "Déjà passé"})
    make.group(past, dates=[(local("2020-01-07T09:30"), local("2020-01-07T16:00"))])
    make.group(make.event(title={"fr": "À venir"}))

    page = text_of(client.get("/"))

    assert "À venir" in page
    assert "Déjà passé" not in page


def test_home_filters_by_town_and_kind(client, make):
    make.group(make.event(title={"fr": "Atelier à Liège"}), town="Liège", town_slug="liege")
    make.group(make.event(title={"fr": "Atelier à Jambes"}), town="Jambes", town_slug="jambes")
    info = make.event(title={"fr": "Séance à Liège"}, kind=EventKind.INFORMATION_SESSION)
    make.group(info, town="Liège", town_slug="liege")

    in_liege = text_of(client.get("/?town=liege"))
    sessions_in_liege = text_of(client.get("/?town=liege&kind=information_session"))

    assert "Atelier à Liège" in in_liege and "Séance à Liège" in in_liege
    assert "Atelier à Jambes" not in in_liege
    assert "Séance à Liège" in sessions_in_liege
    assert "Atelier à Liège" not in sessions_in_liege


def test_office_hours_read_every_wednesday_without_registration(client, make):
    office = make.event(
        slug="permanences",
        title={"fr": "Permanences"},
        kind=EventKind.DROP_IN,
        attendance_rule=AttendanceRule.NO_REGISTRATION,
    )
    group = make.group(
        office,
        capacity=None,
        dates=[(local("2023-09-20T09:30"), local("2023-09-20T12:00"))],
    )
    group.dates[0].recurrence_rule = "FREQ=WEEKLY;BYDAY=WE"
    make.session.commit()

    home = text_of(client.get("/"))
    page = text_of(client.get("/events/permanences", headers={"Accept-Language": "en"}))

    assert "Chaque mercredi, 09:30–12:00, sans inscription" in home
    assert "Every Wednesday, 09:30–12:00, no registration needed" in page
    assert 'name="first_name"' not in page


def test_event_page_shows_each_group_with_weekday_dates_in_brussels_time_and_map(client, make):
    event = make.event(slug="atelier", prerequisites={"fr": "Français oral A2"})
    make.group(
        event,
        slug="jambes",
        venue_name="DICS",
        street_address="avenue Gouverneur Bovesse 100",
        postcode="5100",
        latitude=50.4556,
        longitude=4.8786,
        dates=[
            (local("2030-10-01T09:30"), local("2030-10-01T16:00")),
            (local("2030-11-05T09:30"), local("2030-11-05T16:00")),
        ],
    )

    page = text_of(client.get("/events/atelier"))

    assert 'mardi 1 octobre 2030, <span class="nowrap" dir="ltr">09:30–16:00</span>' in page
    # winter time
    assert 'mardi 5 novembre 2030, <span class="nowrap" dir="ltr">09:30–16:00</span>' in page
    assert "avenue Gouverneur Bovesse 100, 5100 Jambes" in page
    assert "https://www.openstreetmap.org/?mlat=50.4556&mlon=4.8786" in page
    assert "Français oral A2" in page
    assert "organisers@example.org" in page


def test_commitment_checkbox_names_both_dates_of_the_chosen_group(client, make):
    event = make.event(slug="atelier")
    make.group(event, slug="hainaut")
    make.group(
        event,
        slug="jambes",
        dates=[
            (local("2030-10-01T09:30"), local("2030-10-01T16:00")),
            (local("2030-10-15T09:30"), local("2030-10-15T16:00")),
        ],
    )

    without_choice = text_of(client.get("/events/atelier"))
    page = text_of(client.get("/events/atelier?group=jambes", headers={"Accept-Language": "en"}))

    assert 'name="commit_all_dates"' not in without_choice
    assert (
        "I will attend on each of these dates: "
        "Tuesday, October 1, 2030 and Tuesday, October 15, 2030" in page
    )


def test_registering_through_the_form_confirms_and_shows_the_confirmation(client, make, db_session):
    group = make.group(make.event(slug="atelier"), slug="jambes")

    response = submit(
        client, "/events/atelier?group=jambes", "/events/atelier", registration_form("jambes")
    )

    assert response.status_code == 303
    registration = db_session.scalar(select(Registration))
    assert registration.status is RegistrationStatus.CONFIRMED
    assert registration.group_id == group.id
    assert registration.language == "fr"
    assert response.location.endswith(f"/registrations/{manage_token(registration)}/confirmation")
    confirmation = text_of(client.get(response.location))
    assert "Merci, votre inscription est confirmée" in confirmation
    assert f"http://127.0.0.1:5003/sessions/{group.id}.ics" in confirmation
    assert f"/manage/{manage_token(registration)}" in confirmation


def test_registration_keeps_the_language_of_the_form(client, make, db_session):
    make.group(make.event(slug="atelier"), slug="jambes")
    client.set_cookie("lang", "uk")

    response = submit(
        client, "/events/atelier?group=jambes", "/events/atelier", registration_form("jambes")
    )

    assert response.status_code == 303
    assert db_session.scalar(select(Registration.language)) == "uk"
    assert "Дякуємо, вашу реєстрацію підтверджено" in text_of(client.get(response.location))


def test_full_group_puts_newcomer_on_waiting_list_with_position(client, make, db_session):
    group = make.group(make.event(slug="atelier"), slug="jambes", capacity=1)
    make.registration(group)
    make.registration(group)

    page = text_of(client.get("/events/atelier?group=jambes"))
    response = submit(
        client, "/events/atelier?group=jambes", "/events/atelier", registration_form("jambes")
    )

    assert "vous serez inscrit·e sur la liste d'attente" in page
    confirmation = text_of(client.get(response.location))
    assert "Vous êtes sur la liste d'attente, en position 2." in confirmation


def test_missing_commitment_is_shown_beside_the_checkbox_and_typed_values_are_kept(
    client, make, db_session
):
    make.group(make.event(slug="atelier"), slug="jambes")

    response = submit(
        client,
        "/events/atelier?group=jambes",
        "/events/atelier",
        registration_form("jambes", commit_all_dates=None, first_name="Mariia"),
    )

    page = text_of(response)
    assert response.status_code == 422
    assert count_registrations(db_session) == 0
    assert 'id="commit_all_dates-error"' in page
    assert 'aria-describedby="commit_all_dates-error"' in page
    assert '<a href="#f-commit_all_dates">Vous devez vous engager' in page
    assert 'value="Mariia"' in page
    assert 'value="olena@example.org"' in page
    assert 'value="field_worker" checked' in page
    assert 'name="consent" type="checkbox" value="y" required checked' in page


def test_every_invalid_field_is_summarised_at_the_top_and_linked_to_its_input(client, make):
    make.group(make.event(slug="atelier"), slug="jambes")

    response = submit(
        client,
        "/events/atelier?group=jambes",
        "/events/atelier",
        registration_form(
            "jambes", first_name=" ", email="not-an-address", role=None, consent=None
        ),
    )

    page = text_of(response)
    assert response.status_code == 422
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in page
    for field in ("first_name", "email", "role", "consent"):
        assert f'href="#f-{field}"' in page
        assert f'id="{field}-error"' in page
    assert "Cette adresse e-mail n'est pas valide." in page
    assert "Votre consentement est nécessaire pour vous inscrire." in page
    assert 'aria-describedby="email-hint email-error" aria-invalid="true"' in page


def test_second_registration_of_an_address_offers_the_manage_link_again(client, make, db_session):
    group = make.group(make.event(slug="atelier"), slug="jambes")
    make.registration(group, email="olena@example.org")

    response = submit(
        client,
        "/events/atelier?group=jambes",
        "/events/atelier",
        registration_form("jambes", email="Olena@Example.org"),
    )

    page = text_of(response)
    assert response.status_code == 409
    assert count_registrations(db_session) == 1
    assert 'id="email-error"' in page
    assert 'action="/manage-link"' in page
    assert 'name="email" value="Olena@Example.org"' in page


def test_one_date_event_asks_for_a_date_instead_of_the_commitment(client, make, db_session):
    event = make.event(slug="seance", attendance_rule=AttendanceRule.ONE_DATE)
    group = make.group(event, slug="namur")
    second = group.dates[1]

    page = text_of(client.get("/events/seance"))
    response = submit(
        client,
        "/events/seance",
        "/events/seance",
        registration_form("namur", commit_all_dates=None, date=str(second.id)),
    )

    assert 'name="date"' in page and 'name="commit_all_dates"' not in page
    assert response.status_code == 303
    assert db_session.scalar(select(Registration.session_date_id)) == second.id


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, make, db_session):
    make.group(make.event(slug="atelier"), slug="jambes")

    response = client.post("/events/atelier", data=registration_form("jambes"))

    assert response.status_code == 400
    assert "Ce formulaire a expiré" in text_of(response)
    assert count_registrations(db_session) == 0


def test_json_api_needs_no_csrf_token(client, make, db_session):
    make.group(make.event(slug="atelier"), slug="jambes")
    body = {**registration_form("jambes"), "commit_all_dates": True, "consent": True}
    body.pop("phone")

    response = client.post("/api/v1/events/atelier/registrations", json=body)

    assert response.status_code == 201
    assert count_registrations(db_session) == 1


def test_privacy_notice_states_the_retention_periods_configured(app, client, make):
    app.config.update(PRIVACY_RETENTION_MONTHS=18, SENT_MAIL_RETENTION_DAYS=45)
    group = make.group(make.event(slug="atelier"), slug="jambes")

    page = text_of(client.get(f"/events/atelier?group={group.slug}&lang=en"))

    assert "18 months after your group's last date" in page
    assert "Sent emails are deleted after 45 days." in page
