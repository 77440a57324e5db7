"""Domain errors: each carries its HTTP status, a stable code and a translatable message."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule refused the request; nothing was changed."""

    status = 409
    code = "conflict"
    default_message: LazyString | str = _l("La demande est en conflit avec l'état actuel.")

    def __init__(
        self,
        message: LazyString | str | None = None,
        *,
        errors: dict[str, list[Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.errors = errors or {}
        self.headers = headers or {}
        super().__init__(str(self.message))


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = _l("Authentification requise.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("Vous n'avez pas accès à cette ressource.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Cette ressource n'existe pas.")


class Gone(DomainError):
    status = 410
    code = "gone"
    default_message = _l("Ce lien a été remplacé et ne fonctionne plus.")


class InvalidRequest(DomainError):
    status = 422
    code = "invalid"
    default_message = _l("Certaines données sont invalides.")


class RegistrationClosed(DomainError):
    code = "registration_closed"


class CancellationClosed(DomainError):
    code = "cancellation_closed"
    default_message = _l(
        "Votre formation a commencé : l'annulation en ligne n'est plus possible. "
        "Prévenez l'équipe organisatrice."
    )


class AlreadyRegistered(DomainError):
    code = "already_registered"
    default_message = _l("Cette adresse e-mail est déjà inscrite à cet événement.")


class CapacityConflict(DomainError):
    code = "capacity_conflict"


class GroupClosed(DomainError):
    code = "group_closed"
    default_message = _l(
        "Ce groupe est clôturé : ses dates et son lieu, qui figurent sur les attestations, ne "
        "changent plus."
    )


class DateCalledOff(DomainError):
    code = "date_called_off"
    default_message = _l("Cette date a été annulée : aucune présence ne peut y être notée.")


class NotCompleted(DomainError):
    code = "not_completed"
    default_message = _l("La formation n'a pas été suivie jusqu'au bout.")


class NotOver(DomainError):
    code = "not_over"
    default_message = _l("Ce groupe n'a pas encore eu lieu : il ne peut pas être clôturé.")


class Busy(DomainError):
    """The database lock could not be had in time; the client should try again."""

    status = 503
    code = "busy"
    default_message = _l("Le service est très sollicité. Veuillez réessayer dans un instant.")


class EvaluationClosed(Gone):
    code = "evaluation_closed"
    default_message = _l("Cette évaluation est close : les réponses ne sont plus reçues.")


class QuestionnaireFrozen(DomainError):
    code = "questionnaire_frozen"
    default_message = _l(
        "Les invitations à l'évaluation sont parties : le questionnaire ne peut plus changer."
    )


class QuestionsKept(DomainError):
    """An edit of an event's registration questions would lose what answers mean."""

    code = "questions_kept"
    default_message = _l(
        "Des inscriptions ont déjà répondu : ce que disent leurs réponses est gardé."
    )


class LinkUnknown(NotFound):
    code = "link_unknown"
    default_message = _l("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")


class LinkUsed(Gone):
    code = "link_used"
    default_message = _l("Ce lien a déjà servi : il ne fonctionne qu'une fois.")


class LinkExpired(Gone):
    code = "link_expired"
    default_message = _l("Ce lien a expiré. Demandez-en un nouveau.")


class LastOrganiser(DomainError):
    code = "last_organiser"
    default_message = _l(
        "C'est la dernière personne qui organise cet événement : ajoutez-en une autre d'abord."
    )


class TooManyAttempts(DomainError):
    """Too many attempts at a password or code from this address: wait, then try again."""

    status = 429
    code = "too_many_attempts"
    default_message = _l("Trop de tentatives. Réessayez dans quelques minutes.")


class AttemptsUncounted(DomainError):
    """The attempts at a password or code cannot be counted: none is checked meanwhile."""

    status = 503
    code = "attempts_uncounted"
    default_message = _l(
        "La connexion est momentanément indisponible. Réessayez dans quelques minutes."
    )
