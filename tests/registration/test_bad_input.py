"""Bad input gets a clear 4xx with field messages in the request's language, never a 500,
and changes nothing that is stored."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from services.registration.participant.schemas import RegistrationCreateSchema
from shared.models import OutboxMessage, Registration
from tests.registration.helpers import registration_body


@pytest.fixture
def group(make):
    return make.group(make.event(slug="atelier"), slug="jambes", capacity=20)


@pytest.fixture
def existing(make, group):
    """A registration already stored, which no rejected request may change."""
    return make.registration(group, email="kept@example.org", first_name="Kept")


def stored_state(session):
    session.expire_all()
    rows = session.execute(
        select(Registration.id, Registration.first_name, Registration.status, Registration.email)
    ).all()
    return rows, session.scalar(select(func.count(OutboxMessage.id)))


def refusal(response) -> tuple[int, str, dict[str, list[str]]]:
    """The status, code and field messages of a refusal, once it has the one error shape."""
    body = response.json
    assert set(body) in ({"code", "status", "message"}, {"code", "status", "message", "errors"})
    assert body["status"] == response.status_code
    assert isinstance(body["message"], str) and body["message"]
    return response.status_code, body["code"], body.get("errors", {})


REQUIRED = ["group", "first_name", "last_name", "email", "role", "consent"]
INVALID = (422, "unprocessable_entity")
ALL_MISSING = (*INVALID, {field: ["This field is required."] for field in REQUIRED})


def post(client, body, *, path="/api/v1/events/atelier/registrations", language="en", **kw):
    headers = {"Accept-Language": language, **kw.pop("headers", {})}
    if isinstance(body, (bytes, str)):
        return client.post(path, data=body, headers={"Content-Type": "application/json", **headers})
    return client.post(path, json=body, headers=headers)


BAD_FIELDS = [
    ({"first_name": 42}, "first_name", "A text is expected."),
    ({"first_name": ""}, "first_name", "This field may not be empty."),
    ({"first_name": "   "}, "first_name", "This field may not be empty."),
    ({"last_name": "Bell\x07ami"}, "last_name", "Control characters are not accepted."),
    ({"last_name": "x" * 101}, "last_name", "At most 100 characters."),
    ({"email": "not-an-address"}, "email", "This email address is not valid."),
    ({"email": None}, "email", "This field may not be empty."),
    (
        {"email": "олена@example.org"},
        "email",
        "Write the part before “@” without accents or non-Latin letters.",
    ),
    ({"phone": "call me"}, "phone", "This phone number is not valid."),
    ({"role": "astronaut"}, "role", "Choose one of the roles offered."),
    ({"language": "de"}, "language", "Unsupported language."),
    ({"consent": False}, "consent", "Your consent is needed to register."),
    ({"consent": "maybe"}, "consent", "A true or false value is expected."),
    ({"commit_all_dates": [True]}, "commit_all_dates", "A true or false value is expected."),
    ({"date": "3"}, "date", "A whole number is expected."),
    ({"surprise": 1}, "surprise", "This field is not accepted."),
    ({"first_name": "\ud800"}, "first_name", "Control characters are not accepted."),
    ({"group": "Jambes!"}, "group", "Invalid group identifier."),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_FIELDS)
def test_each_invalid_field_is_named_with_a_message(
    client, db_session, group, existing, change, field, message
):
    before = stored_state(db_session)

    body = json.dumps(registration_body("jambes", **change)).encode()  # keeps lone surrogates

    response = post(client, body)

    assert refusal(response) == (*INVALID, {field: [message]})
    assert stored_state(db_session) == before


@pytest.mark.parametrize("missing", REQUIRED)
def test_missing_required_field_is_named(client, db_session, group, existing, missing):
    before = stored_state(db_session)
    body = registration_body("jambes")
    del body[missing]

    response = post(client, body)

    assert refusal(response) == (*INVALID, {missing: ["This field is required."]})
    assert stored_state(db_session) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Cette adresse e-mail n'est pas valide."),
        ("en", "This email address is not valid."),
        ("uk", "Ця адреса електронної пошти недійсна."),
    ],
)
def test_field_messages_follow_the_request_language(client, group, language, message):
    response = post(client, registration_body("jambes", email="nope"), language=language)

    assert refusal(response) == (*INVALID, {"email": [message]})


NOT_JSON = (400, "bad_request", {"_schema": ["The request body is not valid JSON."]})
NOT_AN_OBJECT = (*INVALID, {"_schema": ["A JSON object is expected."]})
UNSTORABLE_GROUP = (*INVALID, {"group": ["Control characters are not accepted."]})


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b"{not json", NOT_JSON),
        (b"", ALL_MISSING),
        (b"[1, 2]", NOT_AN_OBJECT),
        (b'"a string"', NOT_AN_OBJECT),
        (b"null", NOT_AN_OBJECT),
        (b'{"group": "\\ud800"}', UNSTORABLE_GROUP),
        # Bytes UTF-8 refuses, which JSON's reader of bytes reads as a lone surrogate.
        (b'{"group": "\xed\xa0\x80"}', UNSTORABLE_GROUP),
        ('{"group": "\\u0000"}'.encode("utf-16"), UNSTORABLE_GROUP),
        (b"\xff\xfe", NOT_JSON),
    ],
    ids=[
        "malformed",
        "empty",
        "array",
        "string",
        "null",
        "lone-surrogate",
        "surrogate-bytes",
        "utf16-nul",
        "not-utf8",
    ],
)
def test_malformed_bodies_are_refused_naming_what_is_wrong(
    client, db_session, group, existing, body, refused
):
    before = stored_state(db_session)

    response = post(client, body)

    assert refusal(response) == refused
    assert stored_state(db_session) == before


def test_a_ten_megabyte_body_is_413(client, db_session, group, existing):
    before = stored_state(db_session)
    huge = registration_body("jambes", organisation="x" * (10 * 1024 * 1024))

    response = post(client, huge)

    assert response.status_code == 413
    assert response.json["message"] == "The request is too large."
    assert stored_state(db_session) == before


def test_unknown_event_is_404(client, group):
    response = post(client, registration_body("jambes"), path="/api/v1/events/nope/registrations")

    assert refusal(response) == (404, "not_found", {})


def test_unknown_group_is_404_naming_the_field(client, group):
    response = post(client, registration_body("atlantis"))

    assert refusal(response) == (404, "not_found", {"group": ["This resource does not exist."]})


def test_a_group_of_another_event_is_not_found(client, make, db_session, group, existing):
    make.group(make.event(slug="other"), slug="elsewhere")
    before = stored_state(db_session)

    response = post(client, registration_body("elsewhere"))

    assert refusal(response) == (404, "not_found", {"group": ["This resource does not exist."]})
    assert stored_state(db_session) == before


def test_registering_with_a_form_body_is_refused(client, db_session, group, existing):
    before = stored_state(db_session)

    response = client.post(
        "/api/v1/events/atelier/registrations",
        data=registration_body("jambes"),
        headers={"Accept-Language": "en"},
    )

    # Only a JSON body is read: the form's fields count as missing.
    assert refusal(response) == ALL_MISSING
    assert stored_state(db_session) == before


def test_a_choice_outside_the_list_is_named_in_the_request_language(client, group):
    answer = client.get("/api/v1/events?kind=seminar", headers={"Accept-Language": "uk"})

    assert refusal(answer) == (
        *INVALID,
        {"kind": ["Виберіть одне з: workshop, information_session, drop_in."]},
    )


# Letters beyond ASCII and no "@": what a backtracking pattern over the address needs to take
# quadratic time.
HOSTILE_LETTERS = "é"


def test_an_address_far_too_long_is_refused_for_its_length_alone(
    client, db_session, group, existing
):
    before = stored_state(db_session)
    hostile = HOSTILE_LETTERS * 30_000  # 60,000 bytes: as much as a body may carry
    body = json.dumps(registration_body("jambes", email=hostile), ensure_ascii=False)

    response = post(client, body.encode())

    assert refusal(response) == (*INVALID, {"email": ["At most 254 characters."]})
    assert stored_state(db_session) == before


def test_refusing_a_hostile_address_of_64_kib_takes_no_time(app):
    schema = RegistrationCreateSchema()
    body = registration_body("jambes", email=HOSTILE_LETTERS * 32 * 1024)

    with app.test_request_context(headers={"Accept-Language": "en"}):
        started = time.process_time()
        errors = schema.validate(body)
        spent = time.process_time() - started

    assert spent < 0.05
    assert errors == {"email": ["Longer than maximum length 254."]}
