"""A participant's certificate of attendance as a file to download."""

from __future__ import annotations

from flask import Response

from shared.documents import PDF, certificate_filename, certificate_pdf
from shared.models import Certificate


def certificate_download(certificate: Certificate) -> Response:
    """The certificate as a PDF file to save, named without personal data."""
    return Response(
        certificate_pdf(certificate),
        mimetype=PDF,
        headers={
            "Content-Disposition": f'attachment; filename="{certificate_filename(certificate)}"',
            "Cache-Control": "no-store",
        },
    )
