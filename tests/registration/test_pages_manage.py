"""The manage page behind the link in every email: status, calendar feed, cancellation
behind a confirmation step; and asking for that link again."""

from sqlalchemy import select

from shared.domain.registrations import reissue_token
from shared.models import EmailKind, OutboxMessage, RegistrationStatus
from tests.organiser.conftest import audit_actions
from tests.support.links import calendar_token, manage_token
from tests.support.pages import submit, text_of


def manage_link_emails(db_session) -> list[OutboxMessage]:
    return list(
        db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == EmailKind.MANAGE_LINK))
    )


def test_manage_page_shows_group_dates_status_and_personal_feed(client, make):
    group = make.group(make.event(), name="Namur et Luxembourg")
    registration = make.registration(group)

    page = text_of(client.get(f"/manage/{manage_token(registration)}"))

    feed = f"127.0.0.1:5003/feeds/personal/{calendar_token(registration)}.ics"
    assert "Votre place est confirmée." in page
    assert "Namur et Luxembourg" in page
    assert f"http://{feed}" in page
    assert f"webcal://{feed}" in page


def test_waitlisted_registration_shows_its_position(client, make):
    group = make.group(capacity=1)
    make.registration(group)
    waiting = make.registration(group)

    page = text_of(client.get(f"/manage/{manage_token(waiting)}"))

    assert "Vous êtes sur la liste d'attente, en position 1." in page


def test_opening_the_manage_and_cancel_pages_changes_nothing(client, make, db_session):
    registration = make.registration()

    client.get(f"/manage/{manage_token(registration)}")
    confirm = client.get(f"/manage/{manage_token(registration)}/cancel")

    db_session.refresh(registration)
    assert registration.status is RegistrationStatus.CONFIRMED
    assert "Oui, annuler mon inscription" in text_of(confirm)
    assert 'method="post"' in text_of(confirm)


def test_cancelling_from_the_manage_page_cancels_and_promotes_the_waiting(client, make, db_session):
    group = make.group(capacity=1)
    registration = make.registration(group)
    waiting = make.registration(group)
    cancel_page = f"/manage/{manage_token(registration)}/cancel"

    response = submit(client, cancel_page, cancel_page, {})

    assert response.status_code == 303
    assert response.location.endswith(f"/manage/{manage_token(registration)}")
    db_session.refresh(registration)
    db_session.refresh(waiting)
    assert registration.status is RegistrationStatus.CANCELLED
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert "Cette inscription est annulée." in text_of(client.get(response.location))


def test_cancel_without_csrf_token_is_refused_and_changes_nothing(client, make, db_session):
    registration = make.registration()

    response = client.post(f"/manage/{manage_token(registration)}/cancel")

    assert response.status_code == 400
    db_session.refresh(registration)
    assert registration.status is RegistrationStatus.CONFIRMED


def test_unknown_manage_link_is_an_html_404_page(client, db_session):
    response = client.get("/manage/no-such-token", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Cette ressource n'existe pas." in text_of(response)


def test_replaced_manage_link_is_410_gone(client, make, db_session):
    registration = make.registration()
    old = manage_token(registration)
    reissue_token(db_session, registration, kind="manage")
    db_session.commit()

    response = client.get(f"/manage/{old}", headers={"Accept-Language": "en"})

    assert response.status_code == 410
    assert "This link has been replaced and no longer works." in text_of(response)


def test_asking_again_queues_the_manage_link_for_a_registered_address(client, make, db_session):
    registration = make.registration(email="olena@example.org")
    event = registration.event.slug

    response = submit(
        client, "/manage-link", "/manage-link", {"event": event, "email": " Olena@example.org "}
    )

    assert response.status_code == 200
    [email] = manage_link_emails(db_session)
    assert email.registration_id == registration.id


def test_asking_for_an_unknown_address_answers_the_same_and_sends_nothing(client, make, db_session):
    registration = make.registration(email="olena@example.org")
    event = registration.event.slug

    known = submit(
        client, "/manage-link", "/manage-link", {"event": event, "email": "olena@example.org"}
    )
    unknown = submit(
        client, "/manage-link", "/manage-link", {"event": event, "email": "someone@example.org"}
    )

    assert unknown.status_code == known.status_code == 200
    assert text_of(unknown) == text_of(known)
    assert len(manage_link_emails(db_session)) == 1


def test_cancelled_registration_gets_no_manage_link(client, make, db_session):
    registration = make.registration(email="olena@example.org")
    cancel_page = f"/manage/{manage_token(registration)}/cancel"
    submit(client, cancel_page, cancel_page, {})

    submit(
        client,
        "/manage-link",
        "/manage-link",
        {"event": registration.event.slug, "email": "olena@example.org"},
    )

    assert manage_link_emails(db_session) == []


def test_asking_with_an_invalid_address_explains_it_beside_the_field(client, make, db_session):
    event = make.event(slug="atelier")

    response = submit(
        client, "/manage-link?event=atelier", "/manage-link", {"event": event.slug, "email": "x"}
    )

    assert response.status_code == 422
    page = text_of(response)
    assert 'id="email-error"' in page
    assert "Cette adresse e-mail n'est pas valide." in page
    assert manage_link_emails(db_session) == []


def test_participant_downloads_their_own_data_as_json(client, make):
    registration = make.registration(first_name="Mykola", email="mykola@example.org")

    page = client.get(f"/manage/{manage_token(registration)}")
    download = client.get(f"/manage/{manage_token(registration)}/data.json")

    assert f"/manage/{manage_token(registration)}/data.json" in page.get_data(as_text=True)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.json["person"]["first_name"] == "Mykola"
    assert download.json["person"]["email"] == "mykola@example.org"
    assert download.json["registration"]["id"] == registration.id
    assert client.get("/manage/not-a-token/data.json").status_code == 404


def test_a_participant_replaces_links_someone_else_saw_and_gets_the_new_one_by_email(
    client, make, db_session
):
    registration = make.registration()
    old_manage, old_calendar = manage_token(registration), calendar_token(registration)
    page = f"/manage/{old_manage}"

    response = submit(client, page, f"{page}/replace-links", {})
    told = text_of(client.get(response.headers["Location"]))

    db_session.expire_all()
    new_manage = manage_token(registration)
    assert response.status_code == 303
    assert "Le nouveau lien pour gérer votre inscription vient de vous être envoyé" in told
    assert new_manage not in told, "the new link goes only to the participant's mailbox"
    assert client.get(page).status_code == 410
    assert client.get(f"/manage/{new_manage}").status_code == 200
    assert calendar_token(registration) != old_calendar
    assert [m.registration_id for m in manage_link_emails(db_session)] == [registration.id]
    assert ("registration.links_replaced", None, registration.id) in audit_actions(db_session)
