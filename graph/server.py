"""Fetch, configure, start and stop a local Neo4j Community server.

Self-contained (stdlib + the ``neo4j`` driver). The server is assembled from Maven Central
into a cache directory outside the repository (a "home", shared by all instances of one
version) and run against an *instance* directory that holds its configuration, data, logs,
pid file and ``connection.json`` (uri/user/password, mode 0600). Everything listens on
127.0.0.1 only.

CLI::

    python -m graph.server {fetch,start,stop,status} [--instance-dir DIR] [--port N]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

DEFAULT_VERSION = "5.26.30"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "riskgraph"
DEFAULT_INSTANCE_DIR = DEFAULT_CACHE_DIR / "instances" / "default"
HOST = "127.0.0.1"
USER = "neo4j"

_FETCH_MARKER = ".riskgraph-fetch-complete"
_PID_FILE = "neo4j.pid"
_CONNECTION_FILE = "connection.json"
_CONSOLE_LOG = "console.log"
_LOG_FILES = ("neo4j.log", "debug.log", _CONSOLE_LOG)
_INSTANCE_SUBDIRS = ("conf", "data", "logs", "run", "plugins", "import")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MEMORY_RE = re.compile(r"^[1-9][0-9]*[kmgKMG]?$")
_ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
_ADMIN_ENTRY_POINT = "org.neo4j.server.startup.Neo4jAdminBoot"
# The JVM options the Neo4j 5 distribution's neo4j.conf passes (minus AlwaysPreTouch,
# which would commit the whole heap up front). Launching the entry point directly bypasses
# the bootloader, so they are given on the command line here.
_JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
)

# Server processes started by this Python process, so they can be reaped (no zombies)
# whichever LocalNeo4jServer object stops them.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class AdminRun:
    """One run of the admin tool: exit code, time, peak memory and its output's tail."""

    args: tuple[str, ...]
    returncode: int
    seconds: float
    peak_rss: int  # bytes: the launcher's and the tool's JVM together, sampled
    output: str
    log: Path


def _group_rss(pgid: int) -> int:
    """The resident memory (VmRSS) of the processes of group ``pgid`` together, in bytes."""
    total = 0
    proc_root = Path("/proc")
    if not proc_root.exists():
        return 0
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            status = (entry / "status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) * 1024 if match else 0
    return total


class Neo4jServerError(RuntimeError):
    """Fetching, starting or stopping the local Neo4j server failed."""


@dataclass(frozen=True)
class Neo4jConnection:
    """How to reach a running server over Bolt."""

    uri: str
    user: str
    password: str


def _bytes(size: str) -> int:
    """``512m`` -> bytes (JVM-style suffixes k, m, g)."""
    unit = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(size[-1].lower(), 1)
    return int(size.rstrip("kmgKMG")) * unit


def _info(message: str) -> None:
    print(f"[neo4j-server] {message}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _check_port_free(port: int) -> None:
    """Raise if something already listens on 127.0.0.1:``port`` (e.g. another server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Neo4j (netty) does
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            raise Neo4jServerError(
                f"cannot start Neo4j: {HOST}:{port} is already in use ({exc.strerror}); "
                "stop whatever holds it or choose another port"
            ) from exc


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_private(path: Path, text: str) -> None:
    """Atomically write ``text`` to ``path`` with mode 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            fh.write(text)
    finally:
        if fd != -1:
            os.close(fd)
    os.replace(tmp, path)


def _tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            data = fh.read()
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()[-lines:]


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise Neo4jServerError("java not found (need a Java 17 or 21 runtime on PATH)")
    return java


def _pom(version: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>riskgraph.local</groupId>
  <artifactId>neo4j-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.neo4j.assembly</groupId>
      <artifactId>neo4j-community-standalone</artifactId>
      <version>{version}</version>
      <type>pom</type>
    </dependency>
  </dependencies>
</project>
"""


class LocalNeo4jServer:
    """A Neo4j server run from a cached home against one instance directory.

    ``cache_dir`` is the parent of the home (default ``~/.cache/riskgraph``); the home is
    ``<cache_dir>/neo4j-<version>``. ``bolt_port`` and ``password`` default to what the
    instance stored at its first set-up, else a free port and a random password.
    """

    def __init__(
        self,
        instance_dir: Path,
        *,
        version: str = DEFAULT_VERSION,
        cache_dir: Path | None = None,
        bolt_port: int | None = None,
        password: str | None = None,
        heap_max: str = "1g",
        pagecache: str = "512m",
    ) -> None:
        for name, value in (("heap_max", heap_max), ("pagecache", pagecache)):
            if not _MEMORY_RE.match(value):
                raise ValueError(f"{name} must look like 512m or 1g, got {value!r}")
        if bolt_port is not None and not 0 < bolt_port < 65536:
            raise ValueError(f"bolt_port out of range: {bolt_port}")
        self.instance_dir = Path(instance_dir).expanduser().resolve()
        self.version = version
        self.cache_dir = (cache_dir or DEFAULT_CACHE_DIR).expanduser().resolve()
        self.home = self.cache_dir / f"neo4j-{version}"
        self.bolt_port = bolt_port
        self.password = password
        self.heap_max = heap_max
        self.heap_initial = heap_max if _bytes(heap_max) < _bytes("512m") else "512m"
        self.pagecache = pagecache

    # ------------------------------------------------------------------ paths

    @property
    def pid_file(self) -> Path:
        """The file holding the server's pid while it runs."""
        return self.instance_dir / _PID_FILE

    @property
    def connection_file(self) -> Path:
        """``connection.json`` (uri, user, password; mode 0600)."""
        return self.instance_dir / _CONNECTION_FILE

    @property
    def conf_dir(self) -> Path:
        """The instance's configuration directory (holds ``neo4j.conf``)."""
        return self.instance_dir / "conf"

    @property
    def logs_dir(self) -> Path:
        """The instance's log directory."""
        return self.instance_dir / "logs"

    # ------------------------------------------------------------------ fetch

    def fetch(self) -> Path:
        """Assemble the Neo4j home from Maven Central unless already complete; return it."""
        marker = self.home / _FETCH_MARKER
        if marker.is_file():
            return self.home
        with _file_lock(self.cache_dir / f".neo4j-{self.version}.lock"):
            if marker.is_file():  # another process finished it meanwhile
                return self.home
            mvn = shutil.which("mvn")
            if mvn is None:
                raise Neo4jServerError("mvn not found (Maven is needed to fetch Neo4j)")
            lib = self.home / "lib"
            if lib.exists():
                _info(f"removing incomplete fetch at {lib}")
                shutil.rmtree(lib)
            self.home.mkdir(parents=True, exist_ok=True)
            _info(f"fetching Neo4j {self.version} from Maven Central into {self.home} ...")
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix="riskgraph-neo4j-fetch-") as tmp:
                pom = Path(tmp) / "pom.xml"
                pom.write_text(_pom(self.version), encoding="utf-8")
                cmd = [
                    mvn, "-q", "-B", "-f", str(pom),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={lib}",
                    "-DincludeScope=runtime",
                    "-Dstyle.color=never",
                ]  # fmt: skip
                proc = subprocess.run(
                    cmd,
                    cwd=tmp,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            output = _ANSI_RE.sub("", proc.stdout.decode("utf-8", errors="replace"))
            if output.strip():
                sys.stderr.write(output)
            if proc.returncode != 0:
                raise Neo4jServerError(
                    f"mvn failed (exit {proc.returncode}) fetching Neo4j {self.version}:\n"
                    + "\n".join(output.splitlines()[-40:])
                )
            jars = sorted(p.name for p in lib.glob("*.jar"))
            if f"neo4j-{self.version}.jar" not in jars:
                raise Neo4jServerError(
                    f"fetch incomplete: neo4j-{self.version}.jar missing from {lib}"
                )
            marker.write_text(
                json.dumps({"version": self.version, "jars": len(jars)}) + "\n",
                encoding="utf-8",
            )
            _info(f"fetched {len(jars)} jars in {time.monotonic() - started:.1f} s")
        return self.home

    # ------------------------------------------------------------------ state

    def _read_state(self) -> dict[str, Any] | None:
        try:
            text = self.connection_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        state = json.loads(text)
        if not isinstance(state, dict):
            raise Neo4jServerError(f"{self.connection_file} is not a JSON object")
        return state

    def connection(self) -> Neo4jConnection:
        """The instance's connection settings from ``connection.json``."""
        state = self._read_state()
        if state is None:
            raise Neo4jServerError(
                f"instance {self.instance_dir} was never set up (no {_CONNECTION_FILE})"
            )
        return Neo4jConnection(
            uri=str(state["uri"]), user=str(state["user"]), password=str(state["password"])
        )

    def _setup(self) -> dict[str, Any]:
        """Create the instance directories, connection.json and neo4j.conf."""
        for sub in _INSTANCE_SUBDIRS:
            (self.instance_dir / sub).mkdir(exist_ok=True)
        state = self._read_state() or {}
        port = self.bolt_port or state.get("bolt_port") or _free_port()
        password = state.get("password")
        initialized = bool(state.get("password_initialized"))
        if self.password is not None and self.password != password:
            if initialized:
                raise Neo4jServerError(
                    f"instance {self.instance_dir} already has a different password; "
                    "change it with ALTER CURRENT USER or use a new instance directory"
                )
            password = self.password
        if not password:
            # Hex only: a token_urlsafe password can start with "-" and read as an option.
            password = secrets.token_hex(20)
        new_state = {
            "uri": f"bolt://{HOST}:{port}",
            "user": USER,
            "password": password,
            "bolt_port": port,
            "version": self.version,
            "password_initialized": initialized,
        }
        if new_state != state:
            _write_private(self.connection_file, json.dumps(new_state, indent=2) + "\n")
        (self.conf_dir / "neo4j.conf").write_text(self._config(int(port)), encoding="utf-8")
        return new_state

    def _config(self, port: int) -> str:
        inst = self.instance_dir
        settings = {
            "server.default_listen_address": HOST,
            "server.default_advertised_address": HOST,
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"{HOST}:{port}",
            "server.bolt.advertised_address": f"{HOST}:{port}",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "dbms.usage_report.enabled": "false",
            "server.memory.heap.initial_size": self.heap_initial,
            "server.memory.heap.max_size": self.heap_max,
            "server.memory.pagecache.size": self.pagecache,
            "db.tx_log.preallocate": "false",
            "server.directories.data": str(inst / "data"),
            "server.directories.logs": str(inst / "logs"),
            "server.directories.run": str(inst / "run"),
            "server.directories.plugins": str(inst / "plugins"),
            "server.directories.import": str(inst / "import"),
        }
        if self.version.startswith("5."):
            # Bolt's event loops otherwise wait a 5 s quiet period each (two connectors) on
            # every shutdown; a local server has nothing to drain.
            settings["internal.dbms.bolt.netty_server_shutdown_quiet_period"] = "0"
        lines = ["# Written by graph/server.py; rewritten on every start.\n"]
        lines += [f"{key}={value}\n" for key, value in settings.items()]
        return "".join(lines)

    def _set_initial_password(self, home: Path, state: dict[str, Any]) -> None:
        _info("setting the initial password")
        env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(self.conf_dir))
        cmd = [
            _java(), "-cp", str(home / "lib" / "*"), _ADMIN_ENTRY_POINT,
            "dbms", "set-initial-password", "--", str(state["password"]),
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.instance_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=180,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Neo4jServerError("set-initial-password timed out") from exc
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
            output = output.replace(str(state["password"]), "***")
            raise Neo4jServerError(
                f"set-initial-password failed (exit {proc.returncode}):\n{output[-4000:]}"
            )
        state["password_initialized"] = True
        _write_private(self.connection_file, json.dumps(state, indent=2) + "\n")

    # ------------------------------------------------------------------ processes

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text(encoding="utf-8").strip())
        except (FileNotFoundError, ValueError):
            return None

    def _is_our_process(self, pid: int) -> bool:
        """True if ``pid`` is alive (not a zombie) and is this instance's server."""
        child = _CHILDREN.get(pid)
        if child is not None:
            return child.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # someone else's process reusing the pid
        proc = Path("/proc") / str(pid)
        if not proc.exists():  # no procfs: trust the pid
            return True
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                return False
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        config_arg = f"--config-dir={self.conf_dir}".encode()
        return _ENTRY_POINT.encode() in argv and config_arg in argv

    def _live_pid(self, *, clean_stale: bool = False) -> int | None:
        """The pid of this instance's running server process, if any.

        With ``clean_stale`` (only under the instance lock) a stale pid file is removed.
        """
        pid = self._read_pid()
        if pid is None:
            return None
        if self._is_our_process(pid):
            return pid
        if clean_stale:
            _CHILDREN.pop(pid, None)
            self.pid_file.unlink(missing_ok=True)
        return None

    @property
    def pid(self) -> int | None:
        """The server's pid if its process is alive, else None."""
        return self._live_pid()

    def _connectable(self, conn: Neo4jConnection, timeout: float = 5.0) -> bool:
        try:
            with GraphDatabase.driver(
                conn.uri,
                auth=(conn.user, conn.password),
                connection_timeout=timeout,
                connection_acquisition_timeout=timeout,
            ) as driver:
                driver.verify_connectivity()
        except AuthError as exc:
            raise Neo4jServerError(
                f"server at {conn.uri} rejected the stored credentials: {exc}"
            ) from exc
        except (DriverError, Neo4jError, OSError):
            return False
        return True

    def is_running(self) -> bool:
        """True if the server process is alive and answers on Bolt."""
        if self._live_pid() is None:
            return False
        try:
            return self._connectable(self.connection())
        except Neo4jServerError:
            return False

    # ------------------------------------------------------------------ start / stop

    def start(self, timeout: float = 180.0) -> Neo4jConnection:
        """Start the server (or find it running) and wait until Bolt answers."""
        self.instance_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        with _file_lock(self.instance_dir / ".lock"):
            pid = self._live_pid(clean_stale=True)
            if pid is not None:
                conn = self.connection()
                if self.bolt_port is not None and not conn.uri.endswith(f":{self.bolt_port}"):
                    raise Neo4jServerError(
                        f"instance already running at {conn.uri}, not on port {self.bolt_port}"
                    )
                self._wait_ready(pid, conn, timeout)
                return conn
            home = self.fetch()
            state = self._setup()
            _check_port_free(int(state["bolt_port"]))
            if not state["password_initialized"]:
                self._set_initial_password(home, state)
            conn = self.connection()
            pid = self._launch(home)
            started = time.monotonic()
            try:
                self._wait_ready(pid, conn, timeout)
            except BaseException:
                self._terminate(pid, 30.0)
                raise
            _info(f"Neo4j ready at {conn.uri} (pid {pid}) in {time.monotonic() - started:.1f} s")
            return conn

    def _spawn(
        self, cmd: list[str], env: dict[str, str], log: BinaryIO
    ) -> subprocess.Popen[bytes]:
        """A JVM of ours: its own session (so a stop reaches its whole group), output to log."""
        return subprocess.Popen(
            cmd,
            cwd=self.instance_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )

    def _launch(self, home: Path) -> int:
        console = self.logs_dir / _CONSOLE_LOG
        cmd = [
            _java(),
            f"-Xms{self.heap_initial}",
            f"-Xmx{self.heap_max}",
            *_JVM_OPTIONS,
            "-cp", str(home / "lib" / "*"),
            _ENTRY_POINT,
            f"--home-dir={home}",
            f"--config-dir={self.conf_dir}",
        ]  # fmt: skip
        env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(self.conf_dir))
        _info(f"starting Neo4j {self.version} for {self.instance_dir}")
        with console.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"=== {stamp} starting: {' '.join(cmd)}\n".encode())
            log.flush()
            proc = self._spawn(cmd, env, log)
        _CHILDREN[proc.pid] = proc
        self.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
        return proc.pid

    def _wait_ready(self, pid: int, conn: Neo4jConnection, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self._is_our_process(pid):
                child = _CHILDREN.pop(pid, None)
                code = "" if child is None else f" with exit code {child.returncode}"
                self.pid_file.unlink(missing_ok=True)
                raise Neo4jServerError(
                    f"Neo4j server (pid {pid}) exited{code} before it was ready; "
                    f"log tail:\n{self.log_tail(60)}"
                )
            if self._connectable(conn, timeout=2.0):
                return
            if time.monotonic() >= deadline:
                raise Neo4jServerError(
                    f"Neo4j server (pid {pid}) not ready after {timeout:.0f} s; "
                    f"log tail:\n{self.log_tail(60)}"
                )
            time.sleep(0.5)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the server: SIGTERM its process group, SIGKILL after ``timeout`` s."""
        if not self.instance_dir.exists():
            return
        with _file_lock(self.instance_dir / ".lock"):
            pid = self._live_pid(clean_stale=True)
            if pid is None:
                return
            _info(f"stopping Neo4j (pid {pid})")
            started = time.monotonic()
            self._terminate(pid, timeout)
            _info(f"stopped in {time.monotonic() - started:.1f} s")

    def _terminate(self, pid: int, timeout: float) -> None:
        """SIGTERM the group led by ``pid``, then SIGKILL; reap; remove the pid file."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 15.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not self._is_our_process(pid) and not self._group_alive(pid):
                    break
                time.sleep(0.2)
            else:
                if sig == signal.SIGTERM:
                    _info(f"pid {pid} did not exit within {timeout:.0f} s; sending SIGKILL")
                    continue
                raise Neo4jServerError(f"Neo4j server (pid {pid}) survived SIGKILL")
            break
        child = _CHILDREN.pop(pid, None)
        if child is not None:
            child.wait()
        self.pid_file.unlink(missing_ok=True)

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        child = _CHILDREN.get(pgid)
        if child is not None:
            child.poll()  # reap the leader so a zombie does not count
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        # A group holding only zombies still "exists"; check for live members via /proc.
        proc_root = Path("/proc")
        if not proc_root.exists():
            return True
        for entry in proc_root.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False

    # ------------------------------------------------------------------ admin tool

    @property
    def import_dir(self) -> Path:
        """``server.directories.import``: where files for ``neo4j-admin`` imports go."""
        return self.instance_dir / "import"

    def run_admin(
        self,
        *args: str,
        heap: str | None = None,
        timeout: float | None = None,
        log_name: str = "admin.log",
    ) -> AdminRun:
        """Run ``neo4j-admin <args>`` against this instance, whose server must be stopped.

        ``Neo4jAdminBoot`` is a small launcher JVM that starts the tool (``AdminTool``) in a
        second JVM, with the heap of ``HEAP_SIZE`` (else the server's configured heap):
        ``heap`` sets that. Output goes to ``logs/<log_name>``. ``peak_rss`` is the largest
        resident memory of the two JVMs together, sampled from ``/proc`` every 0.25 s
        while they run (Linux; 0 elsewhere). Raises if the server is running, and on
        timeout (after killing both).
        """
        if heap is not None and not _MEMORY_RE.match(heap):
            raise ValueError(f"heap must look like 512m or 1g, got {heap!r}")
        self.instance_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
        with _file_lock(self.instance_dir / ".lock"):
            pid = self._live_pid(clean_stale=True)
            if pid is not None:
                raise Neo4jServerError(
                    f"the server of {self.instance_dir} is running (pid {pid}); stop it first"
                )
            home = self.fetch()
            self._setup()
            log_path = self.logs_dir / log_name
            cmd = [
                _java(), "-Xmx128m", "-cp", str(home / "lib" / "*"), _ADMIN_ENTRY_POINT, *args,
            ]  # fmt: skip
            env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(self.conf_dir))
            if heap is not None:
                env["HEAP_SIZE"] = heap
            started = time.monotonic()
            peak = 0
            with log_path.open("wb") as log:
                proc = self._spawn(cmd, env, log)
                try:
                    while proc.poll() is None:
                        peak = max(peak, _group_rss(proc.pid))
                        if timeout is not None and time.monotonic() - started > timeout:
                            raise Neo4jServerError(
                                f"neo4j-admin {' '.join(args[:3])} timed out after {timeout:.0f} s"
                            )
                        time.sleep(0.25)
                finally:
                    if proc.poll() is None:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
            output = "\n".join(_tail(log_path, 200))
            return AdminRun(
                args=tuple(args),
                returncode=proc.returncode,
                seconds=time.monotonic() - started,
                peak_rss=peak,
                output=output,
                log=log_path,
            )

    # ------------------------------------------------------------------ logs

    def log_tail(self, lines: int = 100) -> str:
        """The last ``lines`` lines of each of neo4j.log, debug.log and the console log."""
        parts: list[str] = []
        for name in _LOG_FILES:
            tail = _tail(self.logs_dir / name, lines)
            if tail:
                parts.append(f"--- {self.logs_dir / name} (last {len(tail)} lines) ---")
                parts.extend(tail)
        return "\n".join(parts) if parts else f"(no logs in {self.logs_dir})"


# ---------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m graph.server``."""
    parser = argparse.ArgumentParser(
        prog="python -m graph.server", description="Run a local Neo4j server."
    )
    parser.add_argument("command", choices=("fetch", "start", "stop", "status"))
    parser.add_argument(
        "--instance-dir",
        type=Path,
        default=DEFAULT_INSTANCE_DIR,
        help=f"instance directory (default: {DEFAULT_INSTANCE_DIR})",
    )
    parser.add_argument("--port", type=int, default=None, help="Bolt port (default: free port)")
    parser.add_argument("--neo4j-version", default=DEFAULT_VERSION, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    server = LocalNeo4jServer(args.instance_dir, version=args.neo4j_version, bolt_port=args.port)
    try:
        if args.command == "fetch":
            print(server.fetch())
        elif args.command == "start":
            print(server.start().uri)
        elif args.command == "stop":
            server.stop()
        elif server.pid is None:
            print("stopped")
            return 3
        elif server.is_running():
            print(f"running {server.connection().uri} (pid {server.pid})")
        else:
            print(f"not answering on Bolt (pid {server.pid}); see {server.logs_dir}")
            return 1
    except Neo4jServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
