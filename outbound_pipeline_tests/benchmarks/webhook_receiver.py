"""The webhook receiver under load, with durable landing on, and receive-to-warehouse lag.

1. Throughput and latency: the receiver (one worker, :func:`receiver_process`) lands on a
   temporary folder. A load generator in a separate process keeps ``CONNECTIONS`` keep-alive
   HTTP/1.1 connections open and posts signed Smartlead ``EMAIL_SENT`` payloads, each a new event
   (its own ``stats_id``):

   - closed loop: every connection sends its next request as soon as the answer comes back;
   - open loop: requests are due at a fixed offered rate, whatever the answers do; latency counts
     from when a request was due, so a stalled receiver shows as latency, not as a lower rate.

   After a graceful stop the events in the sealed segments are counted: they must equal the
   number of 200 answers.
2. Lag: the receiver with the default segment age, a sender at a modest steady rate, and this
   process playing the Dagster daemon: every sensor interval it evaluates the real
   ``landing_sensor`` and executes the requested ``landing_job`` run in process (load and the
   event-driven dbt models) against a warehouse holding a synced sandbox world. A tick that falls
   while a run is executing is skipped, as the sensor skips while a run is in flight.

The load generator is this module run as a program (``python -m
outbound_pipeline_tests.benchmarks.webhook_receiver``); it prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from outbound_pipeline import clock
from outbound_pipeline_tests.benchmarks import machine

CONNECTIONS = 32
WARMUP_SECONDS = 3.0
CLOSED_SECONDS = 20.0
OPEN_SECONDS = 15.0
OFFERED_RATE = 2000.0
LAG_RATE = 50.0
LAG_SECONDS = 90.0
LAG_CONNECTIONS = 4
SECRET_ENV = "OUTBOUND_WEBHOOK_SECRET_SMARTLEAD"
BENCH_CONNECTION = "bench"
LAG_WORLD = {"seed": 11, "n_accounts": 2, "n_campaigns": 6, "n_leads": 900, "days": 150,
             "end_date": date(2026, 3, 1)}
"""The world synced before the lag run, so the event-driven dbt models have their inputs."""
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


# ---------------------------------------------------------------------------------------------
# load generator (child process)


def smartlead_payload(number: int, run: str) -> dict[str, Any]:
    """A Smartlead ``EMAIL_SENT`` webhook body; ``number`` makes the event new."""
    now = clock.now()
    lead = 100_000 + number
    return {
        "event_type": "EMAIL_SENT",
        "webhook_id": 1,
        "webhook_name": "Benchmark webhook",
        "sl_email_lead_id": lead,
        "sl_email_lead_map_id": 5_000_000 + number,
        "stats_id": str(uuid.uuid4()),
        "event_timestamp": now.isoformat(),
        "from_email": "sender@outbound.example",
        "to_email": f"lead{number}@{run}.example",
        "to_name": f"Lead {number}",
        "subject": "Quick question about your outbound",
        "campaign_id": 42,
        "campaign_name": "Benchmark campaign",
        "campaign_status": "ACTIVE",
        "sequence_number": 1,
        "sent_message": {
            "message_id": f"<{run}.{number}@outbound.example>",
            "html": "<p>Hi there,</p><p>Would a short call next week make sense?</p>",
            "text": "Hi there,\n\nWould a short call next week make sense?",
            "time": now.isoformat(),
        },
        "client_id": None,
        "app_url": f"https://app.smartlead.ai/app/master-inbox?action=INBOX&leadMap={lead}",
        "description": f"Email sent to lead{number}@{run}.example",
        "metadata": {"webhook_created_at": "2026-01-05T09:00:00.000000+00:00"},
    }


class _Requests:
    """Signed requests, each a new event."""

    def __init__(self, url: str, secret: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._path = parts.path
        self._secret = secret.encode()
        self._run = uuid.uuid4().hex[:8]
        self._count = 0
        self.body_bytes = 0

    def next(self) -> bytes:
        self._count += 1
        body = json.dumps(smartlead_payload(self._count, self._run),
                          separators=(",", ":")).encode()
        self.body_bytes = len(body)
        signature = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        head = (f"POST {self._path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"X-Smartlead-Signature: {signature}\r\n\r\n")
        return head.encode() + body


class _Connection:
    """One keep-alive HTTP/1.1 connection: write a request, read status, headers and body."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            sock = self._writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert self._reader is not None
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
                elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                    self.close()
            if length is None:
                raise ConnectionError("answer without Content-Length")
            if length and self._reader is not None:
                await self._reader.readexactly(length)
            return status
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class _Tally:
    def __init__(self, measure_from: float, measure_to: float) -> None:
        self.measure_from, self.measure_to = measure_from, measure_to
        self.sent = 0
        self.ok = 0
        self.statuses: dict[str, int] = {}
        self.transport_errors = 0
        self.measured_ok = 0
        self.measured_errors = 0
        self.latencies: list[float] = []

    def record(self, status: int | None, start: float, end: float, measured: bool) -> None:
        self.sent += 1
        if status == 200:
            self.ok += 1
        elif status is None:
            self.transport_errors += 1
        else:
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if measured:
            if status == 200:
                self.measured_ok += 1
                self.latencies.append(end - start)
            else:
                self.measured_errors += 1


async def _send(connection: _Connection, requests: _Requests, tally: _Tally, start: float,
                measured_by_start: bool) -> None:
    status: int | None
    try:
        status = await connection.post(requests.next())
    except (OSError, EOFError, ConnectionError, asyncio.IncompleteReadError, ValueError):
        status = None
    end = time.perf_counter()
    window = start if measured_by_start else end
    tally.record(status, start, end, tally.measure_from <= window < tally.measure_to)


async def drive(url: str, secret: str, connections: int, warmup: float, seconds: float,
                rate: float | None) -> dict[str, Any]:
    """Posts for ``warmup + seconds``; figures cover the last ``seconds``.

    Closed loop (``rate`` None): each connection sends as soon as its answer is back; a request
    is measured when its answer arrives inside the window. Open loop: request *i* is due at
    ``i / rate`` and goes out on the first free connection; its latency runs from when it was
    due, and it is measured when it was due inside the window.
    """
    requests = _Requests(url, secret)
    pool = [_Connection(requests.host, requests.port) for _ in range(connections)]
    begin = time.perf_counter()
    tally = _Tally(begin + warmup, begin + warmup + seconds)
    end = tally.measure_to

    if rate is None:
        async def closed(connection: _Connection) -> None:
            while (now := time.perf_counter()) < end:
                await _send(connection, requests, tally, now, measured_by_start=False)

        await asyncio.gather(*(closed(c) for c in pool))
    else:
        queue: asyncio.Queue[float | None] = asyncio.Queue()

        async def offer() -> None:
            number = 0
            while (due := begin + number / rate) < end:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                queue.put_nowait(due)
                number += 1
            for _ in pool:
                queue.put_nowait(None)

        async def worker(connection: _Connection) -> None:
            while (due := await queue.get()) is not None:
                await _send(connection, requests, tally, due, measured_by_start=True)

        await asyncio.gather(offer(), *(worker(c) for c in pool))
    for connection in pool:
        connection.close()
    latencies = sorted(tally.latencies)
    return {
        "mode": "closed" if rate is None else "open", "connections": connections,
        "offered_per_s": rate, "warmup_s": warmup, "seconds": seconds,
        "body_bytes": requests.body_bytes, "sent": tally.sent, "ok": tally.ok,
        "non_200": tally.statuses, "transport_errors": tally.transport_errors,
        "measured_ok": tally.measured_ok, "measured_errors": tally.measured_errors,
        "accepted_per_s": round(tally.measured_ok / seconds, 1),
        **{f"{name}_ms": round(percentile(latencies, q) * 1000, 2)
           for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))},
    }


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--warmup", type=float, default=WARMUP_SECONDS)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, help="offered events/s (open loop)")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(drive(args.url, os.environ[SECRET_ENV], args.connections,
                               args.warmup, args.seconds, args.rate))
    result["generator_cpu_s"] = round(time.process_time(), 2)
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# orchestration (benchmark process)


def _generator(url: str, secret: str, seconds: float, *, rate: float | None = None,
               connections: int = CONNECTIONS, warmup: float = WARMUP_SECONDS,
               ) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "outbound_pipeline_tests.benchmarks.webhook_receiver",
               "--url", url, "--connections", str(connections), "--warmup", str(warmup),
               "--seconds", str(seconds)]
    if rate is not None:
        command += ["--rate", str(rate)]
    return subprocess.Popen(command, env={**os.environ, SECRET_ENV: secret},
                            stdout=subprocess.PIPE, text=True)


def _result(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = child.communicate()
    if child.returncode:
        raise SystemExit(f"webhook load generator failed ({child.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def offered_requests(rate: float, warmup: float, seconds: float) -> int:
    """How many requests an open loop at ``rate`` is due to send over ``warmup + seconds``."""
    return math.ceil(rate * (warmup + seconds))


def check_sent(what: str, result: dict[str, Any]) -> None:
    """The load generator did its part: the open loop sent every request that fell due, and
    either loop had answers 200 inside its measured window."""
    if result["offered_per_s"] is not None:
        machine.check_work(what, "requests sent", asked=offered_requests(
            result["offered_per_s"], result["warmup_s"], result["seconds"]), done=result["sent"])
    machine.check_work(what, "events accepted in the measured window", asked=1,
                       done=result["measured_ok"])


def _receiver_env(landing: Path, connections: Path, data_dir: Path, secret: str,
                  ) -> dict[str, str]:
    return {"OUTBOUND_CONNECTIONS": str(connections), "OUTBOUND_LANDING_DIR": str(landing),
            "OUTBOUND_DATA_DIR": str(data_dir), SECRET_ENV: secret}


def _health(base_url: str) -> dict[str, Any]:
    import httpx

    return httpx.get(f"{base_url}/health", timeout=5).json()


def _cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU seconds of a process so far (Linux), None when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (Linux), None when unknown."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _with_cpu(pid: int | None, run: Any) -> dict[str, Any]:
    """``run()``'s load generator result with the CPU use over it, in cores (1.0 = one core
    all along): the receiver, the generator, and every other process on the machine."""
    before, busy_before, started = _cpu_seconds(pid), _busy_seconds(), time.monotonic()
    result = run()
    after, busy_after = _cpu_seconds(pid), _busy_seconds()
    elapsed = time.monotonic() - started
    receiver = None if before is None or after is None else (after - before) / elapsed
    generator = result["generator_cpu_s"] / elapsed
    other = None
    if receiver is not None and busy_before is not None and busy_after is not None:
        other = max(0.0, (busy_after - busy_before) / elapsed - receiver - generator)
    result["receiver_cpu"] = None if receiver is None else round(receiver, 2)
    result["generator_cpu"] = round(generator, 2)
    result["other_cpu"] = None if other is None else round(other, 2)
    return result


def filesystem_of(path: Path) -> str:
    """The file system type holding ``path`` (from /proc/mounts), for the record."""
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                point = fields[1]
                inside = str(path) == point or str(path).startswith(point.rstrip("/") + "/")
                if inside and len(point) > len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


def throughput(workdir: Path) -> dict[str, Any]:
    """Closed loop, then open loop at ``OFFERED_RATE``, on one receiver; then durability."""
    from outbound_pipeline.webhooks.landing import LandingStore
    from outbound_pipeline.webhooks.serve import receiver_process

    folder = workdir / "webhook_throughput"
    folder.mkdir()
    connections = folder / "connections.yaml"
    connections.write_text(f"connections:\n  - name: {BENCH_CONNECTION}\n    platform: smartlead\n"
                           "    api_key_env: SMARTLEAD_API_KEY_BENCH\n")
    landing = folder / "landing"
    secret = uuid.uuid4().hex
    receiver = receiver_process(_receiver_env(landing, connections, folder, secret))
    receiver.start()
    try:
        url = f"{receiver.urls['receiver']}/webhooks/smartlead/{BENCH_CONNECTION}"
        print(f"  closed loop, {CONNECTIONS} connections, {CLOSED_SECONDS:.0f} s …", flush=True)
        closed = _with_cpu(receiver.pid, lambda: _result(_generator(url, secret,
                                                                    CLOSED_SECONDS)))
        print(f"  open loop at {OFFERED_RATE:,.0f} events/s, {OPEN_SECONDS:.0f} s …", flush=True)
        offered = _with_cpu(receiver.pid, lambda: _result(_generator(
            url, secret, OPEN_SECONDS, rate=OFFERED_RATE)))
        answered = _health(receiver.urls["receiver"])["responses"].get("200", 0)
    finally:
        receiver.stop()
    check_sent("closed loop", closed)
    check_sent("open loop", offered)
    store = LandingStore(landing)
    segments = store.sealed_after(None)
    keys: set[str] = set()
    events = 0
    for segment in segments:
        records = store.read(segment.segment_id)
        events += len(records)
        keys.update(r["event_key"] for r in records)
    left_open = sum(p.read_bytes().count(b"\n") for p in store.open_dir.glob("*.jsonl"))
    ok = closed["ok"] + offered["ok"]
    machine.check_work("receiver throughput", "events landed in sealed segments", asked=ok,
                       done=events)
    return {"closed": closed, "open": offered, "ok": ok, "receiver_200": answered,
            "sealed_events": events, "distinct_keys": len(keys), "segments": len(segments),
            "left_open": left_open, "filesystem": filesystem_of(landing),
            "durable": events == ok == len(keys) and left_open == 0}


def lag(workdir: Path) -> dict[str, Any]:
    """Receive-to-warehouse lag with the default segment age and sensor interval."""
    import contextlib
    import io

    import dagster as dg

    from outbound_pipeline.definitions import build_definitions
    from outbound_pipeline.sandbox.runner import SandboxProcess, write_connections_file
    from outbound_pipeline.sandbox.world import WorldConfig
    from outbound_pipeline.warehouse import Warehouse
    from outbound_pipeline.webhooks.serve import receiver_process
    from outbound_pipeline_tests.helpers import run_job, settings_for

    folder = workdir / "webhook_lag"
    folder.mkdir()
    warehouse = Warehouse.from_url(f"duckdb:///{folder / 'warehouse.duckdb'}")
    world = WorldConfig(**LAG_WORLD)
    print(f"  syncing a sandbox world ({world.n_leads:,} leads) for the dbt models …",
          flush=True)
    sandbox = SandboxProcess(world, speed=1000.0)
    sandbox.start()
    try:
        keys = write_connections_file(folder / "connections.yaml", sandbox.accounts,
                                      sandbox.smartlead_url, 1000.0)
        os.environ.update(keys)
        settings = settings_for(folder, warehouse, folder / "connections.yaml")
        with contextlib.redirect_stdout(io.StringIO()):
            run_job(settings, "smartlead_sync_job", with_dbt=True, run_config=QUIET)
    finally:
        sandbox.stop()
    defs = build_definitions(settings)
    sensor = defs.resolve_sensor_def("landing_sensor")
    job = defs.resolve_job_def("landing_job")
    interval = settings.landing_sensor_seconds
    secret = uuid.uuid4().hex
    connection = sandbox.accounts[0]["name"]
    (folder / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(str(folder / "dagster"),
                                             overrides={"telemetry": {"enabled": False}})
    receiver = receiver_process(_receiver_env(settings.landing_dir, settings.connections_path,
                                              settings.data_dir, secret))
    runs: list[dict[str, Any]] = []
    sender: subprocess.Popen[str] | None = None
    try:
        receiver.start()
        url = f"{receiver.urls['receiver']}/webhooks/smartlead/{connection}"
        print(f"  {LAG_RATE:.0f} events/s for {LAG_SECONDS:.0f} s, sensor every {interval} s, "
              f"segments sealed at {settings.landing_segment_seconds:g} s …", flush=True)
        sender = _generator(url, secret, LAG_SECONDS, rate=LAG_RATE,
                            connections=LAG_CONNECTIONS, warmup=0.0)
        started = time.monotonic()
        cursor: str | None = None
        ticks = skipped_in_flight = 0
        sent: dict[str, Any] | None = None
        while True:
            now = time.monotonic()
            next_tick = started + interval * math.ceil((now - started) / interval)
            time.sleep(max(0.0, next_tick - time.monotonic()))
            ticks += 1
            context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
            tick = sensor.evaluate_tick(context)
            cursor = tick.cursor or cursor
            for request in tick.run_requests or []:
                segments = request.run_config["ops"]["landing__webhook_events"]["config"][
                    "segments"]
                begun = time.monotonic()
                with contextlib.redirect_stdout(io.StringIO()):
                    result = job.execute_in_process(
                        run_config={**request.run_config, **QUIET}, instance=instance,
                        tags=request.tags, raise_on_error=False)
                ended = time.monotonic()
                steps = {e.step_key: e.event_specific_data.duration_ms / 1000
                         for e in result.all_events if e.is_step_success}
                runs.append({"segments": segments, "seconds": ended - begun,
                             "load_s": steps.get("landing__webhook_events"),
                             "dbt_s": steps.get("dbt_models"),
                             "finished_at": clock.now(), "success": result.success})
                missed = math.floor((ended - started) / interval) - math.floor(
                    (begun - started) / interval)
                skipped_in_flight += max(0, missed)
            if sent is None and sender.poll() is not None:
                sent = _result(sender)
            if sent is not None:
                loaded = warehouse.query("select count(*) from landing.webhook_events")[0][0] \
                    if warehouse.table_exists("landing", "webhook_events") else 0
                if loaded >= sent["ok"] or time.monotonic() - started > LAG_SECONDS + 90:
                    break
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
            sender.wait()
        receiver.stop()
        instance.dispose()
    finished = {segment: run["finished_at"] for run in runs for segment in run["segments"]}
    rows = warehouse.query("select segment_id, received_at, loaded_at "
                           "from landing.webhook_events")
    if sent is None:
        raise machine.BenchmarkDidNoWork("receive-to-warehouse lag: the sender never finished")
    check_sent("receive-to-warehouse lag", sent)
    machine.check_work("receive-to-warehouse lag", "events loaded into landing.webhook_events",
                       asked=sent["ok"], done=len(rows))
    load_lag = sorted((loaded - received).total_seconds() for _, received, loaded in rows)
    model_lag = sorted((finished[segment] - received).total_seconds()
                       for segment, received, _ in rows)
    return {
        "rate": LAG_RATE, "seconds": LAG_SECONDS, "interval": interval,
        "segment_seconds": settings.landing_segment_seconds, "world_leads": world.n_leads,
        "sent_ok": sent["ok"], "loaded": len(rows),
        "ticks": ticks + skipped_in_flight, "skipped_in_flight": skipped_in_flight,
        "runs": len(runs),
        "failed_runs": sum(not r["success"] for r in runs),
        "run_s": _summary([r["seconds"] for r in runs]),
        "load_step_s": _summary([r["load_s"] for r in runs if r["load_s"] is not None]),
        "dbt_step_s": _summary([r["dbt_s"] for r in runs if r["dbt_s"] is not None]),
        "load_lag_s": _lag_summary(load_lag), "model_lag_s": _lag_summary(model_lag),
        "cold_start_s": round(cold_start(settings), 1),
    }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(percentile(ordered, 0.5), 2), "max": round(percentile(ordered, 1.0), 2)}


def _lag_summary(ordered: list[float]) -> dict[str, float]:
    return {name: round(percentile(ordered, q), 1)
            for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))}


def cold_start(settings: Any) -> float:
    """Seconds for a fresh interpreter to import and build the definitions: the least an
    out-of-process run (the daemon's run launcher) spends before its first step."""
    env = {**os.environ, "OUTBOUND_CONNECTIONS": str(settings.connections_path),
           "OUTBOUND_WAREHOUSE_URL": settings.warehouse_url,
           "OUTBOUND_DATA_DIR": str(settings.data_dir),
           "OUTBOUND_LANDING_DIR": str(settings.landing_dir)}
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "from outbound_pipeline.definitions import "
                    "build_definitions; build_definitions()"], env=env, check=True)
    return time.monotonic() - started


def measure(workdir: Path) -> dict[str, Any]:
    return {"throughput": throughput(workdir), "lag": lag(workdir)}


if __name__ == "__main__":
    main()
