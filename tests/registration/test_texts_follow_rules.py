"""Texts that name a rule's value take it from the rule: change the value and the words
follow, in every language."""

from __future__ import annotations

from datetime import timedelta

import services.registration.web as web
from shared.domain.evaluations import RATING_SCALE
from shared.labels import QUESTION_KIND_LABELS
from shared.models import QuestionKind


def test_a_refused_link_names_both_validities_as_the_rules_do(client, monkeypatch):
    monkeypatch.setattr(web, "INVITATION_VALIDITY", timedelta(days=10))
    monkeypatch.setattr(web, "RESET_VALIDITY", timedelta(hours=3))

    french, english = (
        # Babel joins a number to its unit with a no-break space.
        client.get(f"/organiser/password/reset/no-such-link{query}")
        .get_data(as_text=True)
        .replace("\xa0", " ")
        for query in ("", "?lang=en")
    )

    assert "vaut 10 jours, un lien de nouveau mot de passe 3 heures" in french
    assert "valid for 10 days, a new-password link for 3 hours" in english


def test_the_rating_question_is_labelled_with_the_scale(app):
    with app.test_request_context("/?lang=en"):
        label = str(QUESTION_KIND_LABELS[QuestionKind.RATING])

    assert label == f"Rating from {min(RATING_SCALE)} to {max(RATING_SCALE)}"
