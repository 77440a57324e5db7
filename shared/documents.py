"""Documents drawn as PDF from HTML and CSS by WeasyPrint: the certificate of attendance, in
its holder's language, with its verification code printed beside a QR code of the address
that checks it. Each service that needs one (the registration service for downloads, the
worker for emails) renders it from ``shared/templates``."""

from __future__ import annotations

import logging

from flask import render_template
from flask_babel import force_locale

from shared.domain.certificates import attended_dates, total_hours
from shared.links import certificate_check
from shared.models import Certificate

PDF = "application/pdf"
# Every reader decodes any of the eight masks; choosing one instead of scoring all eight
# makes the QR code five times cheaper, most of a certificate's cost outside WeasyPrint.
QR_MASK = 4
# WeasyPrint tells each of its seven steps per document at INFO: noise in the service's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# The documents carry everything they show (the QR code is a data: URI): WeasyPrint fetches
# nothing else, neither on the network nor from the server's files, whatever the text printed
# in them holds.
FETCHED_SCHEMES = ("data",)


def pdf_from_html(html: str) -> bytes:
    """The PDF drawn from ``html``, which may embed data: URIs and reach nothing outside."""
    # Imported with the first document, not with the app: WeasyPrint costs over half a second
    # and about 40 MiB in every process that loads it, and most processes never draw one.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=FETCHED_SCHEMES)).write_pdf()


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a PDF, in its holder's language."""
    return pdf_from_html(certificate_html(certificate))


def certificate_html(certificate: Certificate) -> str:
    """The certificate as the HTML page its PDF is drawn from, in its holder's language."""
    import segno  # with the first certificate drawn, like WeasyPrint

    registration = certificate.registration
    url = certificate_check(certificate.code)
    dates = attended_dates(registration)
    with force_locale(registration.language):
        return render_template(
            "documents/certificate.html",
            certificate=certificate,
            registration=registration,
            event=registration.event,
            group=registration.group,
            dates=dates,
            total=total_hours(dates),
            url=url,
            qr=segno.make(url, error="m", mask=QR_MASK).svg_data_uri(scale=4, border=0),
        )


def certificate_filename(certificate: Certificate) -> str:
    """The PDF's file name: the event and the certificate's number, no personal data."""
    return f"attestation-{certificate.registration.event.slug}-{certificate.id}.pdf"
