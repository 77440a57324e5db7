"""The bytes of an email: Flask-Mail's message, written out by a writer that knows its shape.

Flask-Mail builds a MIME tree of unencoded headers, UTF-8 bodies (8bit) and base64
attachments, and serialises it with the email package's ``SMTP`` policy, which parses and
refolds every header of every part through its header registry: for a message with
alternatives and an attachment, that costs more than the SMTP conversation with a nearby
server. Here only the headers that need it are encoded (RFC 2047: the subject, and the
display names of addresses) and the rest is written as it is, with CRLF line endings and
random 96-bit boundaries added to the multipart types Flask-Mail leaves without one.
Addresses reach it in ASCII: Flask-Mail refuses any other.
"""

from __future__ import annotations

import secrets
from email import charset
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import formataddr, getaddresses

import flask_mail

ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}
FOLD_AT = 76  # RFC 5322: lines should stay within 78 characters, "Name: " included
# Base64 encoded words: choosing the shorter of Q and B costs a pass over every character.
UTF8_WORDS = charset.Charset("utf-8")
UTF8_WORDS.header_encoding = charset.BASE64


class MailMessage(flask_mail.Message):
    """A Flask-Mail message written out once, by the writer below."""

    _wire: bytes | None = None

    def as_bytes(self) -> bytes:
        """The message as it goes on the wire (CRLF line endings), written on first use."""
        if self._wire is None:
            self._wire = wire_bytes(self._message())
        return self._wire


def wire_bytes(message: Message) -> bytes:
    """Write a Flask-Mail MIME tree out as SMTP DATA."""
    chunks: list[str] = []
    _write(message, chunks)
    text = "".join(chunks).replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8", "surrogateescape")


def encode_header(name: str, value: str) -> str:
    """A header's value as 7-bit text within 78 characters a line: RFC 2047 encoded words
    where it is not ASCII, folded where it is long."""
    if value.isascii():
        if all(len(line) < FOLD_AT - len(name) for line in value.split("\n")):
            return value
        # Too long, or encoded by Flask-Mail without room for the name: encoded again.
        value = str(make_header(decode_header(value)))
    if name.lower() not in ADDRESS_HEADERS:
        return Header(value, UTF8_WORDS, header_name=name).encode(linesep="\n")
    return ", ".join(formataddr(pair, charset=UTF8_WORDS) for pair in getaddresses([value]))


def _write(part: Message, chunks: list[str]) -> None:
    boundary = f"=_{secrets.token_hex(12)}" if part.is_multipart() else None
    # raw_items: the values as stored, without the header registry's parsing.
    for name, value in part.raw_items():
        if boundary and name.lower() == "content-type":
            value = f'{value}; boundary="{boundary}"'
        chunks.append(f"{name}: {encode_header(name, value)}\n")
    chunks.append("\n")
    if boundary is None:
        chunks.append(part.get_payload())
        return
    for child in part.get_payload():
        chunks.append(f"--{boundary}\n")
        _write(child, chunks)
        chunks.append("\n")
    chunks.append(f"--{boundary}--\n")
