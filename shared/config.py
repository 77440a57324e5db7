"""Configuration read from environment variables, with safe local defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("ATELIER_RUN_DIR", PROJECT_ROOT / "run"))
DEFAULT_SECRET_KEY = "atelier-local-development-key"


class ConfigurationError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings shared by every service, from the environment and ``overrides``."""
    env = os.environ.get
    production = env("ATELIER_ENV", "development") == "production"
    config: dict[str, Any] = {
        "ATELIER_ENV": env("ATELIER_ENV", "development"),
        "SECRET_KEY": env("SECRET_KEY", DEFAULT_SECRET_KEY),
        "DATABASE_URL": env("DATABASE_URL", f"sqlite:///{RUN_DIR / 'atelier.sqlite3'}"),
        "REDIS_URL": env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "DATABASE_LOCK_TIMEOUT_MS": _int("DATABASE_LOCK_TIMEOUT_MS", 5000),
        # Minutes a trainer needs between two sessions in different towns.
        "SCHEDULE_TRAVEL_MIN": _int("SCHEDULE_TRAVEL_MIN", 60),
        "REGISTRATION_BASE_URL": env("REGISTRATION_BASE_URL", "http://127.0.0.1:5001"),
        "CALENDAR_BASE_URL": env("CALENDAR_BASE_URL", "http://127.0.0.1:5003"),
        "MAIL_SERVER": env("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 8025),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "Atelier <no-reply@atelier.example.org>"),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 64 * 1024),
        "RATE_LIMITS_ENABLED": _flag("RATE_LIMITS_ENABLED", True),
        "RATE_LIMIT_REGISTRATION": env("RATE_LIMIT_REGISTRATION", "20/minute;200/day"),
        "RATE_LIMIT_TOKEN_LOOKUP": env("RATE_LIMIT_TOKEN_LOOKUP", "120/minute"),
        "RATE_LIMIT_ORGANISER_MESSAGES": env("RATE_LIMIT_ORGANISER_MESSAGES", "20/hour"),
        # Authentication attempts (passwords, second factors, current-password checks) per
        # account and client address, then per client address alone, before each further
        # attempt waits a growing delay (services.registration.accounts.throttle).
        "AUTH_ATTEMPTS_BEFORE_DELAY": _int("AUTH_ATTEMPTS_BEFORE_DELAY", 5),
        "AUTH_ATTEMPTS_PER_ADDRESS_BEFORE_DELAY": _int(
            "AUTH_ATTEMPTS_PER_ADDRESS_BEFORE_DELAY", 20
        ),
        # Reset requests (always answered alike), per address typed and client address, then
        # per client address alone.
        "RESET_REQUESTS_BEFORE_DELAY": _int("RESET_REQUESTS_BEFORE_DELAY", 3),
        "RESET_REQUESTS_PER_ADDRESS_BEFORE_DELAY": _int(
            "RESET_REQUESTS_PER_ADDRESS_BEFORE_DELAY", 10
        ),
        # Administrators must sign in with a TOTP code; on by default in production only.
        "ORGANISER_2FA_REQUIRED_FOR_ADMINS": _flag("ORGANISER_2FA_REQUIRED_FOR_ADMINS", production),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Seconds a browser that reached a service over HTTPS keeps to HTTPS (HSTS); 0 sends
        # no such header. Requests count as HTTPS by the proxy's X-Forwarded-Proto.
        "HSTS_MAX_AGE_S": _int("HSTS_MAX_AGE_S", 365 * 24 * 3600),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        # Seconds the database figures of /metrics are reused before being counted again.
        "METRICS_CACHE_S": _int("METRICS_CACHE_S", 30),
        "CALENDAR_RECHECK_S": float(env("CALENDAR_RECHECK_S", "1")),
        # Days a delivered email stays in the outbox and the delivery log.
        "SENT_MAIL_RETENTION_DAYS": _int("SENT_MAIL_RETENTION_DAYS", 90),
        # Months after a group's last date before its participants' data is anonymised.
        "PRIVACY_RETENTION_MONTHS": _int("PRIVACY_RETENTION_MONTHS", 12),
    }
    config.update(overrides or {})
    return config


def check_production_safety(config: dict[str, Any]) -> None:
    """Refuse to run in production with the development secret key."""
    if config["ATELIER_ENV"] == "production" and config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigurationError("SECRET_KEY must be set to a private random value in production.")
