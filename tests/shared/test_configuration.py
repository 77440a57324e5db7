"""Configuration comes from the environment, with safe defaults and a production guard."""

from __future__ import annotations

import pytest

from services.calendar import create_app as create_calendar
from services.notifications import create_app as create_notifications
from services.registration import create_app as create_registration
from shared.config import ConfigurationError, load_config


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db.internal/atelier")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")

    config = load_config()

    assert config["DATABASE_URL"] == "postgresql+psycopg://db.internal/atelier"
    assert (config["MAIL_PORT"], config["MAIL_USE_TLS"]) == (2525, True)


def test_embedded_defaults_are_local(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)

    config = load_config()

    assert config["DATABASE_URL"].startswith("sqlite:///")
    assert config["REDIS_URL"].startswith("redis://127.0.0.1")
    assert config["MAIL_SERVER"] == "127.0.0.1"


@pytest.mark.parametrize("factory", [create_registration, create_notifications, create_calendar])
def test_production_refuses_the_default_secret_key(monkeypatch, factory):
    monkeypatch.setenv("ATELIER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)

    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        factory()
