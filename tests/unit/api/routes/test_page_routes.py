"""The upload page, the offline API docs and the dataset templates, without a broker
(the app's lifespan, which follows Kafka, is not started)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from ops.devservers.sample_data import ORDERS_COLUMNS
from schemas.settings import load_settings, packaged_datasets_dir

A = {"Authorization": "Bearer key-a"}
ORDERS_HEADER = list(ORDERS_COLUMNS)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = load_settings(
        home=tmp_path / "home", datasets_dir=packaged_datasets_dir(), api_keys="acme:key-a"
    )
    return TestClient(create_app(settings))


def test_the_page_is_served_at_root_with_only_local_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'for="api-key"' in page.text and 'aria-live="polite"' in page.text
    assets = re.findall(r'(?:src|href)="(static/[^"]+)"', page.text)
    assert "static/js/main.js" in assets and "static/app.css" in assets
    for asset in assets:
        assert client.get(f"/{asset}").status_code == 200, asset
    assert "http://" not in page.text and "https://" not in page.text


def test_every_module_the_page_imports_is_served(client: TestClient) -> None:
    pending, seen = ["main.js"], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        script = client.get(f"/static/js/{name}")
        assert script.status_code == 200, name
        assert "javascript" in script.headers["content-type"]
        pending += [m for m in re.findall(r'from "\./([\w.]+)"', script.text) if m not in seen]
    assert {"api.js", "uploads.js", "recent.js", "datasets.js"} <= seen


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", ["/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"]),
        ("/redoc", ["/redoc-assets/redoc.standalone.js"]),
    ],
)
def test_api_docs_load_their_assets_from_this_server(
    client: TestClient, page: str, assets: list[str]
) -> None:
    html = client.get(page)
    assert html.status_code == 200
    assert "cdn." not in html.text and "fonts.googleapis" not in html.text
    for asset in assets:
        assert f'"{asset}"' in html.text
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100_000, asset
        # ReDoc's script itself names Redocly's CDN for its logo: served without it
        assert b"https://cdn." not in served.content, asset
    assert "/openapi.json" in html.text


def test_the_csv_template_is_the_header_row(client: TestClient) -> None:
    answer = client.get("/v1/datasets/orders/template.csv", headers=A)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="orders-template.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows == [ORDERS_HEADER]


def test_the_xlsx_template_is_the_header_row(client: TestClient) -> None:
    answer = client.get("/v1/datasets/orders/template.xlsx", headers=A)
    assert answer.status_code == 200
    assert answer.headers["content-type"].endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    assert sheet.title == "orders"
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [ORDERS_HEADER]


def test_templates_need_a_key_and_a_known_dataset(client: TestClient) -> None:
    assert client.get("/v1/datasets/orders/template.csv").status_code == 401
    missing = client.get("/v1/datasets/nope/template.xlsx", headers=A)
    assert missing.status_code == 404 and "unknown dataset 'nope'" in missing.json()["detail"]


def test_a_datasets_cell_rules_follow_the_reading_locale_asked_for(client: TestClient) -> None:
    def amount(query: str) -> dict[str, object]:
        answer = client.get(f"/v1/datasets/orders{query}", headers=A)
        assert answer.status_code == 200, answer.text
        return answer.json()["cell_json_schema"]["properties"]["amount"]  # type: ignore[no-any-return]

    assert amount("?locale=de-DE")["examples"] == ["19,99"]
    assert amount("")["examples"] == amount("?locale=en-US")["examples"] == ["19.99"]
    unknown = client.get("/v1/datasets/orders?locale=xx-YY", headers=A)
    assert unknown.status_code == 422 and "unsupported locale 'xx-YY'" in unknown.json()["detail"]
