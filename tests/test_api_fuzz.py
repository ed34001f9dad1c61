"""Schema-based fuzzing of the HTTP API (schemathesis, against the app's own OpenAPI
document): generated requests, authenticated as an administrator, never get a 500 and
every response matches its documented schema.

The app is created at import (schemathesis reads its OpenAPI document then) on an empty
home; the fixture fills the home before the first case runs (the app reads its data
lazily, per request).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.auth import Principal, Role, issue_token
from api.http.app import PREFIX, create_app
from api.settings import Settings
from tests.conftest import PERSON_KEY
from tests.test_api import build_home

EXAMPLES = 20  # per operation: about a minute for the whole API
HOME = Path(tempfile.mkdtemp(prefix="riskgraph-fuzz-"))
APP = create_app(Settings(home=HOME, person_id_key=PERSON_KEY.decode(), graph="memory",
                          rate_limit_per_second=1e6, rate_limit_burst=10**6))
schema = schemathesis.openapi.from_asgi(f"{PREFIX}/openapi.json", APP)


@pytest.fixture(scope="module")
def admin_headers() -> Iterator[dict[str, str]]:
    settings_, _, _ = build_home(HOME, enterprises=200)
    token, _ = issue_token(Principal("fuzzer", Role.admin, ()), settings_.token_key(), 60)
    yield {"Authorization": f"Bearer {token}"}
    shutil.rmtree(HOME, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers={**(case.headers or {}), **admin_headers},
                           checks=[not_a_server_error, response_schema_conformance])


def test_fuzzing_covers_every_operation() -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 26
