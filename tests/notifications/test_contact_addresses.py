"""The addresses an event's contact text gives, found in time that grows with its length."""

from __future__ import annotations

import time

from services.notifications.operations import ADDRESS


def test_every_address_of_a_contact_text_is_found():
    contact = "Awa Ndiaye <awa@example.org>, ou bob.k+atelier@mail.example.ua (le mardi)."

    assert ADDRESS.findall(contact) == ["awa@example.org", "bob.k+atelier@mail.example.ua"]


def test_a_long_text_without_an_address_is_read_at_once():
    text = "x" * 20_000

    started = time.process_time()
    found = ADDRESS.findall(text)
    spent = time.process_time() - started

    assert spent < 0.05
    assert found == []
