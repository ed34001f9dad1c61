"""graph.server against a real Neo4j server: one start, queries, checks, one stop.

The first run fetches Neo4j from Maven Central into ~/.cache/riskgraph (about 10 s);
after that the whole module takes about 15 s (start ~6 s incl. initial password, a
deliberately failing second start ~5 s, stop under 1 s).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from graph.server import LocalNeo4jServer, Neo4jConnection, Neo4jServerError


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4jServer]:
    # A password starting with "-" once read as an option to neo4j-admin: keep it covered.
    srv = LocalNeo4jServer(
        tmp_path_factory.mktemp("neo4j") / "instance", password="-" + secrets.token_hex(8)
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def conn(server: LocalNeo4jServer) -> Neo4jConnection:
    return server.start()


def _port(conn: Neo4jConnection) -> int:
    return int(conn.uri.rsplit(":", 1)[1])


def _processes_mentioning(text: str) -> list[int]:
    """Pids of live (non-zombie) processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text.encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def _listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket that process ``pid`` listens on."""
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    result = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            raw = bytes.fromhex(addr_hex)
            # /proc stores the address as 32-bit words in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            if len(raw) == 16 and raw[:12] == b"\0" * 10 + b"\xff\xff":
                raw = raw[12:]  # IPv4-mapped IPv6 address
            family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
            result.append((socket.inet_ntop(family, raw), int(port_hex, 16)))
    return result


def test_runs_a_query(conn: Neo4jConnection) -> None:
    with GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1


def test_connection_file_is_private(server: LocalNeo4jServer, conn: Neo4jConnection) -> None:
    assert stat.S_IMODE(server.connection_file.stat().st_mode) == 0o600
    stored = json.loads(server.connection_file.read_text())
    assert (stored["uri"], stored["user"], stored["password"]) == (
        conn.uri,
        conn.user,
        conn.password,
    )
    assert server.connection() == conn
    assert len(conn.password) >= 16
    assert conn.uri == f"bolt://127.0.0.1:{_port(conn)}"


def test_config_binds_loopback_only(server: LocalNeo4jServer, conn: Neo4jConnection) -> None:
    conf = dict(
        line.split("=", 1)
        for line in (server.conf_dir / "neo4j.conf").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert conf["server.default_listen_address"] == "127.0.0.1"
    assert conf["server.bolt.listen_address"] == f"127.0.0.1:{_port(conn)}"
    assert conf["server.http.enabled"] == "false"
    assert conf["server.https.enabled"] == "false"
    assert conf["dbms.usage_report.enabled"] == "false"
    assert conf["server.directories.data"] == str(server.instance_dir / "data")


def test_listens_on_loopback_only(server: LocalNeo4jServer, conn: Neo4jConnection) -> None:
    pid = server.pid
    assert pid is not None
    listening = _listening_addresses(pid)
    assert ("127.0.0.1", _port(conn)) in listening
    assert all(addr == "127.0.0.1" for addr, _ in listening), listening
    # 127.0.0.2 is another loopback address: a socket bound to 127.0.0.1 refuses it.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", _port(conn)), timeout=5).close()


def test_wrong_password_is_rejected(conn: Neo4jConnection) -> None:
    with (
        GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password + "x")) as driver,
        pytest.raises(AuthError),
    ):
        driver.verify_connectivity()


def test_start_is_idempotent(server: LocalNeo4jServer, conn: Neo4jConnection) -> None:
    pid = server.pid
    assert server.is_running()
    assert server.start() == conn
    # A second object for the same instance finds the running server too.
    again = LocalNeo4jServer(server.instance_dir)
    assert again.start() == conn
    assert again.pid == pid == server.pid
    assert _processes_mentioning(str(server.conf_dir)) == [pid]


def test_port_in_use_is_refused(
    tmp_path: Path, server: LocalNeo4jServer, conn: Neo4jConnection
) -> None:
    # A second instance must not start on (or mistake itself for) the running server's port.
    other = LocalNeo4jServer(tmp_path / "other", bolt_port=_port(conn))
    with pytest.raises(Neo4jServerError, match="already in use"):
        other.start()
    assert other.pid is None
    assert server.is_running()


def test_server_dying_at_start_reports_logs_and_cleans_up(tmp_path: Path) -> None:
    # A plain file where the store directory belongs: the server itself (not the admin
    # tool that sets the password) fails to start and exits.
    other = LocalNeo4jServer(tmp_path / "dying")
    (other.instance_dir / "data").mkdir(parents=True)
    (other.instance_dir / "data" / "databases").write_text("not a directory")
    with pytest.raises(Neo4jServerError) as excinfo:
        other.start()
    message = str(excinfo.value)
    assert "exited with exit code 1 before it was ready" in message
    assert "log tail" in message
    assert "FileAlreadyExistsException" in message  # the cause, from neo4j.log/debug.log
    assert other.pid is None
    assert not other.pid_file.exists()
    assert _processes_mentioning(str(other.conf_dir)) == []


def test_stop_leaves_no_process(server: LocalNeo4jServer, conn: Neo4jConnection) -> None:
    pid = server.pid
    assert pid is not None
    server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert _processes_mentioning(str(server.conf_dir)) == []
    assert not server.pid_file.exists()
    assert not server.is_running()
    server.stop()  # stopping a stopped instance is a no-op
    assert server.connection() == conn  # connection settings survive the stop
