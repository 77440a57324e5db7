"""Public feeds show sessions and places left, never who registered."""

from __future__ import annotations

from tests.support.links import calendar_token, manage_token

PARTICIPANT = {
    "first_name": "Oksana",
    "last_name": "Kovalenko",
    "email": "oksana.kovalenko@example.org",
    "phone": "+32 470 12 34 56",
    "organisation": "Maison des Ukrainiens",
}


def test_public_feeds_hold_no_participant_data(client, make):
    group = make.group(capacity=1)
    confirmed = make.registration(group, **PARTICIPANT)
    waiting = make.registration(group, first_name="Mykola", email="mykola@example.org")

    for path in (
        "/feeds/all.ics",
        f"/feeds/towns/{group.town_slug}.ics",
        f"/feeds/events/{group.event.slug}.ics",
        f"/sessions/{group.id}.ics",
    ):
        text = client.get(path).data.replace(b"\r\n ", b"").decode()
        assert "BEGIN:VEVENT" in text, path
        for detail in (*PARTICIPANT.values(), "Mykola", "mykola@", "470 12 34"):
            assert detail not in text, (path, detail)
        for token in (manage_token(confirmed), calendar_token(confirmed), calendar_token(waiting)):
            assert token not in text, path
        for property_name in ("ATTENDEE", "ORGANIZER", "CONTACT:"):
            assert property_name not in text, path
