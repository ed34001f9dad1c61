"""Shared fixtures: a real Neo4j server for the session, and both stores side by side.

The server is the project's own (started here, stopped at the end) unless
RISKGRAPH_NEO4J_URI points at one. If it cannot start, every Neo4j test fails with the
server's log; none is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.server import LocalNeo4jServer, Neo4jConnection, Neo4jServerError
from graph.store import GraphStore

_used: dict[str, str] = {}
PERSON_KEY = b"riskgraph-test-key"


@pytest.fixture(scope="session")
def neo4j_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jConnection]:
    if uri := os.environ.get("RISKGRAPH_NEO4J_URI"):
        yield Neo4jConnection(
            uri, os.environ.get("RISKGRAPH_NEO4J_USER", "neo4j"),
            os.environ.get("RISKGRAPH_NEO4J_PASSWORD", ""),
        )
        return
    server = LocalNeo4jServer(Path(tmp_path_factory.mktemp("neo4j-instance")))
    try:
        connection = server.start()
    except Neo4jServerError as error:
        pytest.fail(f"the Neo4j server did not start:\n{error}\n{server.log_tail(60)}")
    _used["server"] = f"{connection.uri} (pid {server.pid}, {server.home.name})"
    with GraphDatabase.driver(connection.uri, auth=(connection.user, connection.password)) as db:
        _used["agent"] = db.get_server_info().agent
    try:
        yield connection
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_session_store(neo4j_connection: Neo4jConnection) -> Iterator[Neo4jStore]:
    store = Neo4jStore(neo4j_connection.uri, neo4j_connection.user, neo4j_connection.password)
    store.verify()
    yield store
    store.close()


@pytest.fixture
def neo4j_store(neo4j_session_store: Neo4jStore) -> Neo4jStore:
    """The session's Neo4j store, emptied for this test."""
    neo4j_session_store.clear()
    neo4j_session_store.ensure_schema()
    return neo4j_session_store


@pytest.fixture(params=["memory", "neo4j"])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """Each store in turn, empty: tests using it run the same assertions on both."""
    if request.param == "memory":
        return MemoryStore()
    result: GraphStore = request.getfixturevalue("neo4j_store")
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _used:
        server = _used.get("server", "RISKGRAPH_NEO4J_URI")
        terminalreporter.write_line(
            f"Neo4j tests ran against a started server: {server}, agent {_used.get('agent')}"
        )
