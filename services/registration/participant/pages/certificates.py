"""The public page where anyone holding a certificate's verification code checks it."""

from __future__ import annotations

from flask import Blueprint, render_template

from shared.database import db
from shared.domain.certificates import attended_dates, total_hours, verify
from shared.limits import limiter, token_lookup_limit

bp = Blueprint("certificate_pages", __name__)


@bp.get("/certificates/<code>")
@limiter.limit(token_lookup_limit)
def check(code: str) -> str:
    """What the certificate attests, in the visitor's language; 404 or 410 pages otherwise."""
    certificate = verify(db.session, code)
    dates = attended_dates(certificate.registration)
    return render_template(
        "participant/certificate.html",
        certificate=certificate,
        dates=dates,
        total=total_hours(dates),
    )
