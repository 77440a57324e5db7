"""Files the registration service hands out to be saved: a participant's certificate of
attendance, and the organisers' spreadsheets, PDFs and archives."""

from __future__ import annotations

from flask import Response

from shared.documents import PDF, certificate_filename, certificate_pdf
from shared.models import Certificate

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": PDF,
    "zip": "application/zip",
}


def attachment(content: bytes, filename: str) -> Response:
    """A file the browser saves under ``filename``; never cached by proxies."""
    extension = filename.rpartition(".")[2]
    response = Response(content, mimetype=MEDIA_TYPES[extension])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def certificate_download(certificate: Certificate) -> Response:
    """The certificate as a PDF file to save, named without personal data."""
    return attachment(certificate_pdf(certificate), certificate_filename(certificate))
