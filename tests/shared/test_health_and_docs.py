"""Every service answers /healthz (database and Redis) and publishes its OpenAPI document."""

from __future__ import annotations

import re

import pytest

from services.calendar import create_app as create_calendar
from services.notifications import create_app as create_notifications
from services.registration import create_app as create_registration
from tests.conftest import closing
from tests.support.servers import RedisServer

FACTORIES = [create_registration, create_notifications, create_calendar]


@pytest.mark.parametrize("factory", FACTORIES)
def test_healthz_reports_database_and_redis(base_config, factory):
    for app in closing(factory(dict(base_config))):
        response = app.test_client().get("/healthz")

        assert response.status_code == 200
        assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("factory", FACTORIES)
def test_healthz_is_503_when_redis_is_down(base_config, factory, tmp_path):
    stopped = RedisServer(tmp_path)  # a port nothing listens on
    for app in closing(factory({**base_config, "REDIS_URL": stopped.url})):
        response = app.test_client().get("/healthz")

        assert response.status_code == 503
        assert response.json["redis"] == "unavailable"
        assert response.json["database"] == "ok"


@pytest.mark.parametrize("factory", FACTORIES)
def test_openapi_document_and_docs_page_are_served(base_config, factory):
    for app in closing(factory(dict(base_config))):
        client = app.test_client()
        spec = client.get("/api/v1/openapi.json")
        docs = client.get("/api/v1/docs")

        assert spec.status_code == 200
        assert spec.json["openapi"].startswith("3.")
        assert docs.status_code == 200
        assert b"swagger-ui" in docs.data
        asset = client.get("/api/v1/docs-assets/swagger-ui-bundle.js")
        assert asset.status_code == 200
        asset.close()


def example_url(path, parameters):
    """``path`` with parameters that name nothing (the guard answers before any lookup),
    except where the route accepts a few values only."""
    values = {p["name"]: p["schema"].get("enum", ["1"])[0] for p in parameters}
    return re.sub(r"\{([^}]+)\}", lambda found: values.get(found[1], "1"), path)


def operations(spec):
    """Each documented operation: its method, path, a URL it answers and its description."""
    for path, item in spec["paths"].items():
        url = example_url(path, item.get("parameters", []))
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, url, operation


@pytest.mark.parametrize("factory", FACTORIES)
def test_operations_documented_as_needing_a_token_refuse_a_request_without_one(
    base_config, factory
):
    for app in closing(factory(dict(base_config))):
        client = app.test_client()
        spec = client.get("/api/v1/openapi.json").json
        [scheme] = spec["components"].get("securitySchemes", {}).values()
        secured = []
        for method, path, url, operation in operations(spec):
            status = client.open(url, method=method.upper(), json={}).status_code
            assert "default" not in operation["responses"], "every status is named"
            if "security" in operation:
                secured.append(url)
                assert status == 401, f"{method} {url}"
                assert "401" in operation["responses"]
                if "{event_slug}" in path:
                    assert {"403", "404"} <= set(operation["responses"])
            else:
                assert status != 401, f"{method} {url} refuses anonymous callers undocumented"

        assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
        assert bool(secured) == (factory is not create_calendar)


@pytest.mark.parametrize("factory", FACTORIES)
def test_every_documented_refusal_has_the_error_shape_and_keeps_its_views_words(
    base_config, factory
):
    for app in closing(factory(dict(base_config))):
        spec = app.test_client().get("/api/v1/openapi.json").json
        for method, path, _url, operation in operations(spec):
            for status, response in operation["responses"].items():
                if status >= "400":
                    shared = response.get("$ref", "").startswith("#/components/responses/")
                    schema = response.get("content", {}).get("application/json", {})
                    assert shared or schema == {"schema": {"$ref": "#/components/schemas/Error"}}, (
                        f"{method} {path} {status}"
                    )

        if factory is create_registration:
            post = spec["paths"]["/api/v1/events/{event_slug}/registrations"]["post"]
            assert post["responses"]["404"]["description"] == "No such event or group"
