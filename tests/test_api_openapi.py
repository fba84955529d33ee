"""The OpenAPI document validates, documents every parameter, and its models match the marshmallow schemas."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from api.params import (
    PageArgs,
    RecommendationItemArgs,
    RecommendationListArgs,
    ReferenceListArgs,
    SearchArgs,
    ServiceListArgs,
)
from mtkb import ITEM_TYPES
from mtkb.schemas import SCHEMAS
from mtkb.schemas.service import COUNTIES, LEVELS, SETTINGS


@pytest.fixture(scope="module")
def spec(app) -> dict:
    with app.test_client() as client:
        response = client.get("/api/v1/swagger.json")
    assert response.status_code == 200
    return response.get_json()


def test_swagger_document_validates(spec: dict) -> None:
    validate(spec)
    assert spec["basePath"] == "/api/v1"


def test_swagger_ui_is_served(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and b"swagger" in response.get_data().lower()


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("Guideline", "guideline"),
        ("Recommendation", "recommendation"),
        ("Evidence", "evidence"),
        ("Report", "report"),
        ("Fact", "fact"),
        ("Service", "service"),
        ("Reference", "reference"),
    ],
)
def test_models_match_marshmallow_schemas(spec: dict, name: str, schema: str) -> None:
    model = spec["definitions"][name]["properties"]
    dumped = {f.data_key or n for n, f in SCHEMAS[schema]().fields.items() if not f.load_only}
    assert set(model) == dumped


@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("/recommendations", RecommendationListArgs),
        ("/references", ReferenceListArgs),
        ("/search", SearchArgs),
        ("/evidence", PageArgs),
        ("/services", ServiceListArgs),
        ("/recommendations/{ident}", RecommendationItemArgs),
    ],
)
def test_every_parameter_is_documented(spec: dict, path: str, args) -> None:
    params = spec["paths"][path]["get"]["parameters"]
    documented = {p["name"] for p in params if p["in"] == "query"}
    assert documented == set(args().fields)


def test_type_and_service_enums(spec: dict) -> None:
    """The item types everywhere they are an enum: search's `type` filter names `service` too, and the
    service filters list the counties since 2024, the levels and the settings."""
    search = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert search["type"]["enum"] == [*ITEM_TYPES, "reference"]
    services = {p["name"]: p for p in spec["paths"]["/services"]["get"]["parameters"]}
    assert services["county"]["enum"] == list(COUNTIES) and "Vestland" in services["county"]["enum"]
    assert "Hordaland" not in services["county"]["enum"]
    assert services["level"]["enum"] == list(LEVELS) and services["setting"]["enum"] == list(SETTINGS)


def test_errors_are_documented(spec: dict) -> None:
    responses = spec["paths"]["/recommendations/{ident}"]["get"]["responses"]
    assert {"400", "404", "406"} <= set(responses)
