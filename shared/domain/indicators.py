"""The funders' indicators a registration question may be tied to, and their categories.

They start from the ESF+ common participant indicators (Regulation (EU) 2021/1057, annex I)
so that a report counts across events whose questions are worded differently: each choice of
a question tied to an indicator names the category it counts in. Answers on health or
origin are special categories of personal data (GDPR article 9): such a question is never
required, always offers "prefer not to say", and is answered only with its own consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

from shared.i18n import LANGUAGES

PREFER_NOT_TO_SAY = "prefer_not_to_say"
PREFER_NOT_TO_SAY_KEY = "prefer-not-to-say"
PREFER_NOT_TO_SAY_LABEL = _l("Je préfère ne pas répondre")
SENSITIVE_CONSENT = _l(
    "J'accepte que cette réponse, qui touche à ma santé ou à mon origine, soit enregistrée "
    "pour les rapports à nos financeurs ; seule l'équipe qui organise l'événement la voit."
)


@dataclass(frozen=True)
class Indicator:
    """A characteristic funders count participants by, and its categories."""

    key: str
    label: LazyString
    categories: dict[str, LazyString]
    sensitive: bool = False
    # Counted from a birth date (a date question) as well as from choices.
    from_birth_date: bool = False

    @property
    def category_keys(self) -> tuple[str, ...]:
        """The categories a choice may count in, "prefer not to say" included."""
        return (*self.categories, PREFER_NOT_TO_SAY)


_YES_NO = {"yes": _l("Oui"), "no": _l("Non")}

INDICATORS = {
    indicator.key: indicator
    for indicator in (
        Indicator(
            "gender",
            _l("Genre"),
            {"woman": _l("Femme"), "man": _l("Homme"), "non_binary": _l("Non binaire")},
        ),
        Indicator(
            "age_band",
            _l("Tranche d'âge"),
            {
                "under_30": _l("Moins de 30 ans"),
                "30_54": _l("30 à 54 ans"),
                "55_plus": _l("55 ans et plus"),
            },
            from_birth_date=True,
        ),
        Indicator(
            "labour_market",
            _l("Situation sur le marché du travail"),
            {
                "employed": _l("En emploi, y compris indépendant"),
                "unemployed": _l("Sans emploi"),
                "long_term_unemployed": _l("Sans emploi de longue durée"),
                "inactive": _l("Inactif"),
            },
        ),
        Indicator(
            "education",
            _l("Niveau d'études (CITE)"),
            {
                "isced_0_2": _l("CITE 0 à 2"),
                "isced_3_4": _l("CITE 3 ou 4"),
                "isced_5_8": _l("CITE 5 à 8"),
            },
        ),
        Indicator("disability", _l("Handicap"), _YES_NO, sensitive=True),
        Indicator("third_country_national", _l("Ressortissant d'un pays tiers"), _YES_NO),
        Indicator("foreign_background", _l("Origine étrangère"), _YES_NO, sensitive=True),
        Indicator(
            "centre_public",
            _l("Public du centre"),
            {
                "newcomer": _l("Primo-arrivant"),
                "professional": _l("Professionnel"),
                "other": _l("Autre"),
            },
        ),
    )
}


def age_band(born: date, on: date) -> str:
    """The age band (a category of ``age_band``) of someone born on ``born``, on the day
    ``on``: the ESF+ counts the age at entry, here the day of registration."""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return "under_30" if age < 30 else "30_54" if age < 55 else "55_plus"


def is_sensitive(indicator_key: str | None) -> bool:
    """Whether answers counted by this indicator are special categories of personal data."""
    return indicator_key is not None and INDICATORS[indicator_key].sensitive


def with_prefer_not_to_say(choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The choices of a sensitive question, "prefer not to say" offered (last) if missing."""
    if any(choice.get("category") == PREFER_NOT_TO_SAY for choice in choices):
        return choices
    label = {}
    for language in LANGUAGES:
        with force_locale(language):
            label[language] = str(PREFER_NOT_TO_SAY_LABEL)
    return [
        *choices,
        {
            "key": PREFER_NOT_TO_SAY_KEY,
            "label": label,
            "hidden": False,
            "category": PREFER_NOT_TO_SAY,
        },
    ]
