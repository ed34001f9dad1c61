"""The HTTP API under load: uvicorn serving the app in one process, a load generator in
another, on 127.0.0.1, against Neo4j holding a synthetic province.

    .venv/bin/python -m bench.api --enterprises 20000
    .venv/bin/python -m bench.api --enterprises 1000000 --heap 4g --pagecache 6g \\
        --delivery-dir /tmp/rg-bench --home /tmp/rg-bench/api-home-1000000

(``-m`` from the checkout.) Preparation, kept in ``--home`` for later runs: the province
as a Parquet delivery (``bench.neo4j_load.delivery``); the month's snapshot (the province
loaded into the embedded store with ``ingest_folder``, classified as of 2026-10-31,
``write_snapshot``: what ``riskgraph classify`` stores, and what the API serves risk
results from); Neo4j loaded with ``bulk_ingest_folder`` (``riskgraph ingest --bulk``)
into the project's own server under the home. Then:

1. ``uvicorn api.http.app:create_app --factory`` in a child process (one worker), with
   the settings from ``RISKGRAPH_*`` (graph neo4j, the rate limit lifted);
2. a load generator in a second child process (``httpx.AsyncClient``, keep-alive):
   * single risk lookups ``GET /enterprises/{uscc}/risk`` open-loop at ``--rate``
     requests/s for ``--seconds`` (random enterprises; latency counted from the time
     each request was due, so a server that falls behind is not hidden);
   * batch scoring ``POST /scores:batch`` of 10,000 random USCCs, one after another,
     ``--batches`` times (a partner API key granted the province's region prefix, so the
     region check runs);
   * 2-hop networks ``GET /graph/network/{uscc}?hops=2`` open-loop at ``--network-rate``;
   * before the open-loop runs, the same requests one at a time (service time, no queue);
   * the server's CPU time per request (from ``/proc``), which does not depend on what
     else the shared machine runs.

Every request is authenticated and audited as in production (Argon2 sign-in once, JWT
per request, hash-chained audit line with fsync per risk read). Results go into
``bench/results/api.json`` under the number of enterprises, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import httpx

from bench.common import log, peak_rss_mib, save_run
from bench.neo4j_load import KEY, delivery

AS_OF = dt.date(2026, 10, 31)
PREFIX = "/api/v1"
PASSWORD = "bench-password-1"
IN_FLIGHT = 32
WARM_UP_TIMEOUT = 900.0  # seconds, for the first requests (they load the month and directory)


def prepare_snapshot(folder: Path, home: Path) -> None:
    """The month's snapshot of the province, as ``riskgraph classify`` writes it."""
    from api.pipeline import classify, write_run_snapshot
    from graph.ingest import ingest_folder
    from graph.memory import MemoryStore

    if (home / "snapshots" / f"{AS_OF:%Y-%m}" / "meta.json").exists():
        log(f"snapshot in {home}")
        return
    log("snapshot: load into the embedded store and classify (once)")
    store = MemoryStore()
    started = time.perf_counter()
    ingest_folder(store, folder, KEY)
    run = classify(store, AS_OF)
    write_run_snapshot(run, home)
    log(f"snapshot written in {time.perf_counter() - started:.0f} s")


def prepare_neo4j(folder: Path, home: Path, heap: str, pagecache: str) -> Any:
    """The project's own server under ``home``, loaded with the bulk importer (once)."""
    from graph.ingest import bulk_ingest_folder
    from graph.server import LocalNeo4jServer

    server = LocalNeo4jServer(home / "instances" / "default", heap_max=heap,
                              pagecache=pagecache)
    marker = home / "neo4j-loaded.json"
    if marker.exists():
        log("Neo4j: starting the loaded server")
        server.start()
    else:
        log("Neo4j: bulk import (once)")
        _, imported = bulk_ingest_folder(server, folder, KEY)
        marker.write_text(json.dumps({"graph_rows": imported.graph_rows}))
    return server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    return {"n": len(ordered), "p50_ms": round(at(0.5), 2), "p90_ms": round(at(0.9), 2),
            "p99_ms": round(at(0.99), 2), "max_ms": round(ordered[-1] * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def open_loop(client: httpx.AsyncClient, urls: list[str], rate: float,
                    headers: dict[str, str], server_pid: int) -> dict[str, Any]:
    """GET each url at its due time (i / rate); latency from the due time to the answer.
    Also the server's CPU time per request (what the rate costs it, whatever else runs)."""
    cpu_before = cpu_seconds(server_pid)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    start = time.perf_counter() + 0.05

    # At most IN_FLIGHT requests at once (as many connections): httpx's pool slows down
    # quadratically with thousands of queued requests, which made the client, not the
    # server, the bottleneck. Waiting for a slot counts in the latency (from the due time).
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(index: int, url: str) -> None:
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        try:
            async with slots:
                response = await client.get(url, headers=headers)
            outcome = str(response.status_code)
        except httpx.HTTPError as error:  # counted, not fatal: the figures say how many
            outcome = type(error).__name__
        latencies.append(time.perf_counter() - due)
        statuses[outcome] = statuses.get(outcome, 0) + 1

    await asyncio.gather(*(one(i, url) for i, url in enumerate(urls)))
    elapsed = time.perf_counter() - start
    cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / len(urls)
    return {"rate_asked": rate, "rate_achieved": round(len(urls) / elapsed, 1),
            "statuses": statuses, "server_cpu_ms_per_request": round(cpu_ms, 2),
            **quantiles(latencies)}


async def generate(base: str, plan: dict[str, Any]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        token = (await client.post(f"{PREFIX}/auth/token", data={
            "username": "bench", "password": PASSWORD})).json()["access_token"]
        user = {"Authorization": f"Bearer {token}"}
        partner = {"X-API-Key": plan["partner_key"]}
        rng = random.Random(plan["seed"])
        usccs: list[str] = plan["usccs"]
        pid: int = plan["server_pid"]
        results: dict[str, Any] = {}
        # warm-up: snapshot, directory, plans and connections. The first requests load the
        # month's results and the enterprise directory (minutes at a million enterprises
        # on a cold server), so they get a long timeout and their time is reported apart.
        warming = time.perf_counter()
        await client.get(f"{PREFIX}/enterprises/{usccs[0]}/risk", headers=user,
                         timeout=WARM_UP_TIMEOUT)
        results["warm_up_s"] = {"first_risk_lookup": round(time.perf_counter() - warming, 1)}
        warming = time.perf_counter()
        await client.post(f"{PREFIX}/scores:batch", headers=partner,
                          json={"usccs": rng.sample(usccs, 100)}, timeout=WARM_UP_TIMEOUT)
        results["warm_up_s"]["first_batch"] = round(time.perf_counter() - warming, 1)
        warm = [f"{PREFIX}/graph/network/{u}?hops=2&as_of={AS_OF}"
                for u in rng.sample(usccs, 20)]
        await open_loop(client, warm, 10, user, pid)
        await open_loop(client, [f"{PREFIX}/enterprises/{u}/risk"
                                 for u in rng.sample(usccs, 200)], plan["rate"], user, pid)

        # One request at a time first: the service time without any queue.
        alone: list[float] = []
        for uscc in rng.sample(usccs, 300):
            started = time.perf_counter()
            await client.get(f"{PREFIX}/enterprises/{uscc}/risk", headers=user)
            alone.append(time.perf_counter() - started)
        results["risk_lookup_one_at_a_time"] = quantiles(alone)
        log(f"  one at a time: {results['risk_lookup_one_at_a_time']}")

        n = int(plan["rate"] * plan["seconds"])
        urls = [f"{PREFIX}/enterprises/{rng.choice(usccs)}/risk" for _ in range(n)]
        log(f"single risk lookups: {n} at {plan['rate']}/s")
        results["risk_lookup"] = await open_loop(client, urls, plan["rate"], user, pid)
        log(f"  {results['risk_lookup']}")

        times: list[float] = []
        cpu_before = cpu_seconds(pid)
        for _ in range(plan["batches"]):
            body = {"usccs": rng.sample(usccs, min(10_000, len(usccs)))}
            started = time.perf_counter()
            response = await client.post(f"{PREFIX}/scores:batch", headers=partner, json=body)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
            assert len(response.json()["items"]) == len(body["usccs"])
        results["batch_10000"] = {"n": len(times), "median_s": round(statistics.median(times), 3),
                                  "min_s": round(min(times), 3), "max_s": round(max(times), 3),
                                  "bytes": len(response.content),
                                  "server_cpu_s_per_batch": round(
                                      (cpu_seconds(pid) - cpu_before) / len(times), 3)}
        log(f"  batch: {results['batch_10000']}")

        alone = []
        for uscc in rng.sample(usccs, 100):
            started = time.perf_counter()
            await client.get(f"{PREFIX}/graph/network/{uscc}?hops=2&as_of={AS_OF}",
                             headers=user)
            alone.append(time.perf_counter() - started)
        results["network_2hop_one_at_a_time"] = quantiles(alone)
        log(f"  2-hop one at a time: {results['network_2hop_one_at_a_time']}")

        m = int(plan["network_rate"] * plan["network_seconds"])
        urls = [f"{PREFIX}/graph/network/{rng.choice(usccs)}?hops=2&as_of={AS_OF}"
                for _ in range(m)]
        log(f"2-hop networks: {m} at {plan['network_rate']}/s")
        results["network_2hop"] = await open_loop(client, urls, plan["network_rate"], user,
                                                  pid)
        log(f"  {results['network_2hop']}")
    results["load_generator_peak_rss_mib"] = peak_rss_mib()
    return results


def load_generator(base: str, plan: dict[str, Any], out: Any) -> None:
    """The second process: runs the plan and sends the figures (or its error) back."""
    try:
        out.send(asyncio.run(generate(base, plan)))
    except BaseException:
        out.send({"error": traceback.format_exc()})
        raise


def wait_ready(base: str, token_headers: dict[str, str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{PREFIX}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("uvicorn did not come up")


def vm_hwm_mib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--delivery-dir", type=Path, default=Path("/tmp/rg-bench"))
    parser.add_argument("--home", type=Path, default=None,
                        help="kept between runs (snapshot, Neo4j instance, users)")
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--pagecache", default="1g")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--network-rate", type=float, default=20.0)
    parser.add_argument("--network-seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prepare-only", action="store_true",
                        help="write the snapshot and load Neo4j, then stop")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "api.json")
    args = parser.parse_args()

    home = args.home or args.delivery_dir / f"api-home-{args.enterprises}"
    home.mkdir(parents=True, exist_ok=True)
    folder = delivery(args.enterprises, args.delivery_dir)
    prepare_snapshot(folder, home)
    server = prepare_neo4j(folder, home, args.heap, args.pagecache)
    if args.prepare_only:
        server.stop()
        return
    connection = server.connection()

    from api.auth import KeyStore, UserStore

    users = UserStore(home / "auth")
    if "bench" not in {u["username"] for u in users.list()}:
        users.add("bench", PASSWORD, "investigator")
    _, partner_key = KeyStore(home / "auth").create("bench-partner", "partner", ("33",))
    import pyarrow.parquet as pq

    usccs = pq.read_table(folder / "enterprises.parquet", columns=["uscc"]).column(
        "uscc").to_pylist()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RISKGRAPH_HOME": str(home), "RISKGRAPH_GRAPH": "neo4j",
           "RISKGRAPH_NEO4J_URI": connection.uri, "RISKGRAPH_NEO4J_USER": connection.user,
           "RISKGRAPH_NEO4J_PASSWORD": connection.password,
           "RISKGRAPH_RATE_LIMIT_PER_SECOND": "100000", "RISKGRAPH_RATE_LIMIT_BURST": "100000",
           "RISKGRAPH_DIRECTORY_SECONDS": "3600"}
    log(f"uvicorn on {base}")
    uvicorn = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.http.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], env=env)
    load_before = os.getloadavg()
    try:
        wait_ready(base, {})
        plan = {"usccs": usccs, "partner_key": partner_key, "seed": args.seed,
                "server_pid": uvicorn.pid,
                "rate": args.rate, "seconds": args.seconds, "batches": args.batches,
                "network_rate": args.network_rate, "network_seconds": args.network_seconds}
        context = multiprocessing.get_context("spawn")
        receiving, sending = context.Pipe(duplex=False)
        generator = context.Process(target=load_generator, args=(base, plan, sending))
        generator.start()
        while not receiving.poll(5):
            if not generator.is_alive():  # killed without a word (e.g. out of memory)
                raise RuntimeError(f"the load generator died (exit code "
                                   f"{generator.exitcode})")
        figures = receiving.recv()
        generator.join()
        if "error" in figures:
            raise RuntimeError(f"the load generator failed:\n{figures['error']}")
        server_rss = vm_hwm_mib(uvicorn.pid)
    finally:
        uvicorn.terminate()
        uvicorn.wait(30)
        server.stop()
    load_after = os.getloadavg()
    report = {
        "command": " ".join(["python -m bench.api", *sys.argv[1:]]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "enterprises": args.enterprises, "as_of": str(AS_OF),
        "neo4j": {"heap": args.heap, "pagecache": args.pagecache},
        "params": {k: str(v) for k, v in vars(args).items()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "server_peak_rss_mib": server_rss,
        **figures,
    }
    save_run(args.out, f"{args.enterprises} enterprises", report)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
