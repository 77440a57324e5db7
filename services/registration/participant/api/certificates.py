"""Certificates of attendance: the holder downloads theirs by manage token, anyone checks one
by the verification code printed on it."""

from __future__ import annotations

from flask import Response

from services.registration.attachments import certificate_download
from services.registration.participant import operations
from services.registration.participant.api.registrations import TOO_MANY
from services.registration.participant.schemas import CertificateSchema
from shared.app import ApiBlueprint
from shared.database import db
from shared.documents import PDF
from shared.domain.certificates import verify
from shared.limits import limiter, token_lookup_limit
from shared.models import Certificate

bp = ApiBlueprint(
    "certificates", __name__, url_prefix="/api/v1", description="Certificates of attendance"
)


@bp.route("/registrations/<manage_token>/certificate.pdf", methods=["GET"])
@limiter.limit(token_lookup_limit)
@bp.response(200, description="The certificate of attendance", content_type=PDF)
@bp.alt_response(404, description="Unknown token")
@bp.alt_response(409, description="The training was not completed: the dates without presence")
@bp.alt_response(410, description="Replaced token, or the certificate was revoked")
@bp.alt_response(429, description=TOO_MANY)
def certificate_file(manage_token: str) -> Response:
    """The participant's certificate as a PDF in their language, once they completed."""
    return certificate_download(operations.certificate_by_token(db.session, manage_token))


@bp.route("/certificates/<code>", methods=["GET"])
@limiter.limit(token_lookup_limit)
@bp.response(200, CertificateSchema)
@bp.alt_response(404, description="Unknown code")
@bp.alt_response(410, description="Revoked, or its holder's data was erased")
@bp.alt_response(429, description=TOO_MANY)
def certificate_check(code: str) -> Certificate:
    """What the certificate with this verification code attests."""
    return verify(db.session, code)
