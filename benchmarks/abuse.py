"""Abuse: the attacks a public server meets in its first week, against the production server.

    python benchmarks/abuse.py [--url http://127.0.0.1:5000] [--seconds 20] [--only slow-clients]

Without `--url` it starts `make run`'s server (`gunicorn -c gunicorn.conf.py`) on a free port
with a fresh SQLite database and a review token, runs each attack for a bounded time while a
normal client draws, and prints one row per attack: what was done, what the normal client saw,
and whether it held. A benchmark, not a test: the figures depend on the machine (the attackers
run beside the server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from load import ROOT, free_port, rss_mb, wait_healthy
from PIL import Image, ImageDraw

sys.path.insert(0, str(ROOT / "FlaskApp"))
sys.path.insert(0, str(ROOT / "scripts"))

from drawadigit.data import sketches
from drawadigit.reading import preprocessing
from scripts import hostile_images, throwaway_postgres

LOCKER = ROOT / "scripts" / "sqlite_locker.py"
PREDICT_BUDGET_MS = 100  # a normal /predict must answer within this, 99 % of the time


@dataclass
class Row:
    """One attack's outcome."""

    attack: str
    done: str
    normal: str
    held: bool


class Target:
    """The server under attack: its URL, and a normal client's drawings."""

    def __init__(self, url: str, token: str = "", workdir: Path | None = None, process=None):
        self.url = url
        self.parts = urllib.parse.urlsplit(url)
        self.token = token
        self.process = process  # the gunicorn master, when this script started the server
        self.database = workdir / "feedback.sqlite3" if workdir else None
        self.model = workdir / "model.h5" if workdir else None
        self.bodies = [
            json.dumps({"image": preprocessing.to_data_url(d.png)}).encode()
            for d in sketches.sketch_set(4, seed=5)
        ]

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """One request on a new connection: (status, headers, body); status 0 when it failed."""
        connection = self.connection()
        try:
            connection.request(
                method, path, body, {"Content-Type": "application/json", **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except OSError as exc:
            return 0, {}, str(exc).encode()
        finally:
            connection.close()

    def normal_client(self, stop: threading.Event) -> list[float]:
        """Predict one drawing after another until `stop`; each request's milliseconds."""
        times = []
        while not stop.is_set():
            body = self.bodies[len(times) % len(self.bodies)]
            started = time.perf_counter()
            status, _, _ = self.request("POST", "/predict", body)
            elapsed = (time.perf_counter() - started) * 1000
            times.append(elapsed if status == 200 else float("inf"))
            time.sleep(0.02)
        return times


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@contextlib.contextmanager
def normal_traffic(target: Target) -> Iterator[Callable[[], tuple[str, bool]]]:
    """A normal client predicting throughout; yields a function summarising what it saw."""
    stop = threading.Event()
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.extend(target.normal_client(stop)))
    thread.start()

    def summary() -> tuple[str, bool]:
        stop.set()
        thread.join()
        within = sum(t <= PREDICT_BUDGET_MS for t in result) / max(1, len(result))
        text = (
            f"{len(result)} predictions, p50 {percentile(result, 0.5):.0f} ms, "
            f"p99 {percentile(result, 0.99):.0f} ms, {within:.1%} within {PREDICT_BUDGET_MS} ms"
        )
        return text, within >= 0.99

    try:
        yield summary
    finally:
        stop.set()
        thread.join()


def _opening(kind: str, host: str) -> bytes:
    """What an attacking connection sends first: the start of a request it never finishes."""
    if kind == "slow-body":
        return (
            f"POST /predict HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        ).encode()
    if kind == "slow-header":
        return f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n".encode()
    return b""


def _trickle(kind: str, host: str) -> bytes:
    """What it sends each second: a header byte, a body byte, or requests it never reads."""
    if kind == "never-reading":
        return f"GET /static/app.js HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() * 16
    return b"X" if kind == "slow-header" else b" "


async def _cut_by_server(kind: str, reader: asyncio.StreamReader, writer) -> bool:
    """Whether the server has closed the connection (a never-reading one sees only its writes)."""
    if writer.is_closing():
        return True
    if kind == "never-reading":
        await asyncio.sleep(1)
        return False
    if reader.at_eof():
        return True
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(reader.read(1), 1) == b""
    return False


async def slow_connection(target: Target, kind: str, cut: list[float], stop: asyncio.Event):
    """One attacking connection; appends the seconds after which the server cut it."""
    started, host = time.monotonic(), target.parts.netloc
    try:
        reader, writer = await asyncio.open_connection(target.parts.hostname, target.parts.port)
    except OSError:
        return
    if kind == "never-reading":  # a small receive buffer: the answers pile up at the server
        writer.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_RCVBUF, 4096
        )
    try:
        writer.write(_opening(kind, host))
        while not stop.is_set():
            writer.write(_trickle(kind, host))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(writer.drain(), 1)
            if await _cut_by_server(kind, reader, writer):
                cut.append(time.monotonic() - started)
                return
    except OSError:
        cut.append(time.monotonic() - started)
    finally:
        writer.close()


async def hold_slow_connections(target: Target, counts: dict[str, int], seconds: float):
    """Open the attacking connections for `seconds`; per kind, when the server cut them."""
    stop = asyncio.Event()
    cuts = {kind: [] for kind in counts}
    tasks = [
        asyncio.create_task(slow_connection(target, kind, cuts[kind], stop))
        for kind, n in counts.items()
        for _ in range(n)
    ]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=5)
    return cuts


def slow_clients(target: Target, args) -> list[Row]:
    """64 slow-header, 16 slow-body and 16 never-reading connections, a normal client beside."""
    counts = {"slow-header": 64, "slow-body": 16, "never-reading": 16}
    with normal_traffic(target) as summary:
        time.sleep(0.5)
        cuts = asyncio.run(hold_slow_connections(target, counts, args.seconds))
        normal, held = summary()
    done = ", ".join(
        f"{n} {kind} ({len(cuts[kind])} cut, after {percentile(cuts[kind], 0.5):.0f} s)"
        if cuts[kind]
        else f"{n} {kind} (none cut)"
        for kind, n in counts.items()
    )
    return [Row("slow and idle clients", f"{done}; {args.seconds:.0f} s", normal, held)]


def drawing_body(extra: bytes = b"", label: int = 4) -> bytes:
    """A correction: a sketched digit as a PNG data URL (with `extra` bytes after its end)."""
    png = next(d.png for d in sketches.sketch_set(1) if d.label == label) + extra
    return json.dumps({"image": preprocessing.to_data_url(png), "label": label}).encode()


def corrections_meanwhile(target: Target, seconds: float, every: float = 0.5) -> list[tuple]:
    """Post a correction every `every` seconds for `seconds`: (status, seconds, Retry-After)."""
    answers, body, stop_at = [], drawing_body(), time.monotonic() + seconds
    while time.monotonic() < stop_at:
        started = time.monotonic()
        status, headers, _ = target.request("POST", "/api/feedback", body)
        answers.append((status, time.monotonic() - started, headers.get("Retry-After")))
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return answers


def storage_row(name: str, done: str, target: Target, seconds: float) -> Row:
    """Normal predictions and corrections while the storage is made to hang."""
    with normal_traffic(target) as summary:
        answers = corrections_meanwhile(target, seconds)
        normal, predictions_held = summary()
    slowest = max(t for _, t, _ in answers)
    statuses = sorted({status for status, _, _ in answers})
    retry = all(after for status, _, after in answers if status == 503)
    held = predictions_held and slowest <= 5 and 503 in statuses and retry
    text = f"{done}; {len(answers)} corrections: {statuses}, slowest {slowest:.1f} s"
    return Row(name, text + (", Retry-After sent" if retry else ""), normal, held)


def sqlite_locked(target: Target, args) -> list[Row]:
    """Another process holds the SQLite write lock while people predict and correct."""
    target.request("POST", "/api/feedback", drawing_body())  # the database exists
    holder = subprocess.Popen(
        [sys.executable, str(LOCKER), str(target.database), str(args.seconds + 5)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        holder.stdout.readline()  # "locked"
        row = storage_row(
            "SQLite locked by another process", "write lock held", target, args.seconds
        )
    finally:
        holder.kill()
        holder.communicate()
    return [row]


def postgres_frozen(target: Target, args) -> list[Row]:
    """PostgreSQL stopped with SIGSTOP while people predict and correct."""
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(throwaway_postgres.started())
        url, processes = postgres.url, postgres.processes
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = stack.enter_context(production_server(workdir, {"FLASK_DATABASE_URL": url}))
        server.request("POST", "/api/feedback", drawing_body())  # the schema exists
        frozen = processes()
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            row = storage_row("PostgreSQL frozen (SIGSTOP)", "server stopped", server, args.seconds)
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
    return [row]


def junk_corrections(target: Target, args) -> list[Row]:
    """60 corrections carrying 2.9 MB of junk each after the PNG's end."""
    before = database_bytes(target.database)
    body = drawing_body(os.urandom(2_900_000))
    statuses = [target.request("POST", "/api/feedback", body)[0] for _ in range(60)]
    grown = (database_bytes(target.database) - before) / 1e6
    stored = statuses.count(201)
    done = f"60 posts of {len(body) / 1e6:.1f} MB: {stored} stored"
    return [Row("junk after the PNG", done, f"database grew {grown:.2f} MB", grown < 5 and stored)]


def database_bytes(path: Path) -> int:
    """The SQLite database's size on disk, its write-ahead log included."""
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists())


def rapid_corrections(target: Target, args) -> list[Row]:
    """1,000 corrections from one client as fast as it can send them (the default limit)."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = stack.enter_context(production_server(workdir, {"FLASK_FEEDBACK_RATE_LIMIT": ""}))
        body = drawing_body()
        answers = [server.request("POST", "/api/feedback", body) for _ in range(1000)]
    statuses = [status for status, _, _ in answers]
    limited = [headers for status, headers, _ in answers if status == 429]
    retry = all("Retry-After" in headers for headers in limited)
    done = f"1,000 posts: {statuses.count(201)} stored, {len(limited)} got 429"
    normal = "Retry-After on every 429" if retry else "429 without Retry-After"
    return [Row("rapid corrections, default limit", done, normal, bool(limited) and retry)]


def review_routes(target: Target, args) -> list[Row]:
    """The review page, its images and the stats, without and with the credential."""
    created = target.request("POST", "/api/feedback", drawing_body())
    location = created[1].get("Location", "/api/feedback/1/image.png")
    paths = ["/feedback", "/api/feedback/stats", location]
    without = [target.request("GET", path)[0] for path in paths]
    bearer = {"Authorization": f"Bearer {target.token}"}
    with_token = [target.request("GET", path, headers=bearer)[0] for path in paths]
    sequential = location.rstrip("/").split("/")[-2].isdigit()
    done = f"{', '.join(paths)}: without credential {without}, with it {with_token}"
    held = all(s in (401, 404) for s in without) and with_token == [200] * 3 and not sequential
    return [Row("review data", done, "ids in URLs are not sequential" * (not sequential), held)]


def client_prediction(target: Target, args) -> list[Row]:
    """A correction claiming the model said 9: the server's own reading is stored and counted."""
    body = json.loads(drawing_body(label=4))
    body["predicted"] = 9
    status, _, answer = target.request("POST", "/api/feedback", json.dumps(body).encode())
    predicted = json.loads(answer).get("predicted") if status == 201 else None
    done = f"sent predicted 9 for a drawn 4: {status}, stored predicted {predicted}"
    return [Row("client's prediction", done, "", status == 201 and predicted != 9)]


def big_images(target: Target, args) -> list[Row]:
    """8 clients posting a 4000x3717 PNG of a few kB over and over."""
    image = Image.new("L", (4000, 3717), 255)
    ImageDraw.Draw(image).line([(1000, 500), (3000, 3200)], fill=0, width=120)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    body = json.dumps({"image": preprocessing.to_data_url(buffer.getvalue())}).encode()
    stop, statuses = threading.Event(), []

    def flood():
        while not stop.is_set():
            statuses.append(target.request("POST", "/predict", body)[0])

    with normal_traffic(target) as summary:
        threads = [threading.Thread(target=flood) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        normal, held = summary()
    done = (
        f"{len(statuses)} posts of {len(buffer.getvalue()) / 1e3:.0f} kB: {sorted(set(statuses))}"
    )
    return [Row("huge images, 8 clients", done, normal, held)]


def small_items(target: Target, args) -> list[Row]:
    """The smaller probes, one answer each."""
    chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
    chunked = b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    big_header = b"GET / HTTP/1.1\r\nX: " + b"a" * 40_000 + b"\r\n\r\n"
    nested = b"[" * 100_000 + b"]" * 100_000
    errors = {
        "chunked body over 4 MB": (raw(target, chunked + chunk * 5 + b"0\r\n\r\n"), 413),
        "JSON nested 100k deep": (target.request("POST", "/predict", nested), 400),
        "malformed request line": (raw(target, b"GARBAGE\r\n\r\n"), 400),
        "headers too large": (raw(target, big_header), 431),
    }
    rows = []
    for name, ((status, headers, _), expected) in errors.items():
        kind = headers.get("Content-Type")
        ok = status == expected and kind == "application/json" and SECURED in headers
        rows.append(Row(name, f"{status}, {kind}, security headers: {SECURED in headers}", "", ok))
    keys = "{" + ",".join(f'"k{i}":0' for i in range(350_000)) + "}"
    status, _, body = target.request("POST", "/predict", keys.encode())
    small = status == 400 and len(body) < 10_000
    rows.append(Row("JSON with 350k keys", f"{status}, {len(body):,} bytes", "", small))
    status, headers, _ = target.request("GET", "/api//model", headers={"Host": "evil.example"})
    location = headers.get("Location", "")
    rows.append(
        Row("Host header in a redirect", f"{status} {location}", "", "evil" not in location)
    )
    secure = HSTS in target.request("GET", "/", headers={"X-Forwarded-Proto": "https"})[1]
    plain = HSTS in target.request("GET", "/")[1]
    done = f"sent over https: {secure}, over http: {plain}"
    rows.append(Row("HSTS behind TLS", done, "", secure and not plain))
    return rows


def image_body(data: bytes) -> bytes:
    """A /predict body carrying `data` as the image."""
    return json.dumps({"image": preprocessing.to_data_url(data)}).encode()


def timed(target: Target, body: bytes) -> tuple[int, float]:
    """POST /predict: its status and milliseconds."""
    started = time.perf_counter()
    status = target.request("POST", "/predict", body)[0]
    return status, (time.perf_counter() - started) * 1000


REFUSE_MS, GROWTH_MB = 100, 50  # each refused within this, a worker's memory growing less
BURST_EVERY = 0.25  # seconds between two bursts of four containers


def workers(target: Target) -> list[int]:
    """The server's worker processes."""
    master = target.process.pid
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def status_mb(pid: int, field: str) -> float:
    """A memory figure of a process from /proc (VmRSS, VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def peak_growth(target: Target) -> Iterator[Callable[[], float]]:
    """Measure the most any worker's resident memory rose above where it stood, at its peak:
    each worker's peak (VmHWM) is reset first (`clear_refs` 5), so the peak is this one's."""
    before = {}
    for pid in workers(target):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        before[pid] = status_mb(pid, "VmRSS")
    yield lambda: max(status_mb(pid, "VmHWM") - rss for pid, rss in before.items())


def refusal_row(name: str, target: Target, samples: dict[str, bytes], expected: int) -> Row:
    """Each sample posted once: all refused with `expected` in time, memory not growing."""
    with peak_growth(target) as grown:
        answers = {kind: timed(target, image_body(data)) for kind, data in samples.items()}
        growth = grown()
    statuses = sorted({status for status, _ in answers.values()})
    kind, (_, slowest) = max(answers.items(), key=lambda item: item[1][1])
    held = statuses == [expected] and slowest < REFUSE_MS and growth < GROWTH_MB
    done = f"{len(samples)} posted ({', '.join(samples)}): {statuses}"
    normal = f"slowest {slowest:.0f} ms ({kind}); worker memory peak +{growth:.1f} MB"
    return Row(name, done, normal, held)


def image_attacks(target: Target, args) -> list[Row]:
    """Containers declaring a small size around a 9400 px PNG, every unpromised format, files
    of tiny structures; then four containers at once, every BURST_EVERY seconds, beside a
    normal client."""
    containers = hostile_images.containers(9400)
    for body in target.bodies:  # each worker past its first requests, as in the other attacks
        target.request("POST", "/predict", body)
    rows = [
        refusal_row("containers (IPTC, ICO, ICNS) around a 9400 px PNG", target, containers, 415),
        refusal_row("formats not promised", target, hostile_images.unpromised_formats(), 415),
        refusal_row("tiny structures", target, hostile_images.walked_structures(), 413),
    ]
    bodies = [image_body(data) for data in containers.values()]
    answers, deadline = [], time.monotonic() + args.seconds

    def post(index: int):
        answers.append(timed(target, bodies[index % len(bodies)]))

    with peak_growth(target) as grown, normal_traffic(target) as summary:
        while time.monotonic() < deadline:  # four at once, every quarter of a second
            threads = [threading.Thread(target=post, args=(i,)) for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(BURST_EVERY)
        normal, held = summary()
        growth = grown()
    statuses = sorted({status for status, _ in answers})
    slowest = max(ms for _, ms in answers)
    done = (
        f"{len(answers) // 4} times 4 at once: {statuses}, slowest {slowest:.0f} ms; "
        f"worker memory peak +{growth:.1f} MB"
    )
    held = held and statuses == [415] and slowest < REFUSE_MS and growth < GROWTH_MB
    return [*rows, Row("four containers at once", done, normal, held)]


def mutated_images(target: Target, args) -> list[Row]:
    """2,000 mutated images of the accepted formats, beside a normal client: never a 5xx."""
    with normal_traffic(target) as summary:
        answers = [timed(target, image_body(data)) for _, data in hostile_images.mutated(2000)]
        normal, held = summary()
    counts = {status: sum(s == status for s, _ in answers) for status, _ in answers}
    slowest = max(ms for _, ms in answers)
    shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
    done = f"2,000 posts: {shown}; slowest {slowest:.0f} ms"
    held = held and all(0 < status < 500 for status in counts)
    return [Row("2,000 mutated PNG, JPEG, WebP, GIF, BMP", done, normal, held)]


SECURED = "X-Content-Type-Options"
HSTS = "Strict-Transport-Security"


def raw(target: Target, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes on a new connection; the answer's status, headers and body."""
    with socket.create_connection((target.parts.hostname, target.parts.port), timeout=10) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0]:
        return 0, {}, b""
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def deleted_database(target: Target, args) -> list[Row]:
    """The SQLite files deleted under the running server: the next correction is still kept."""
    target.request("POST", "/api/feedback", drawing_body())
    for suffix in ("", "-wal", "-shm"):
        Path(str(target.database) + suffix).unlink(missing_ok=True)
    status = target.request("POST", "/api/feedback", drawing_body())[0]
    stats = target.request(
        "GET", "/api/feedback/stats", headers={"Authorization": f"Bearer {target.token}"}
    )
    total = json.loads(stats[2]).get("total") if stats[0] == 200 else None
    done = f"files deleted; next correction {status}, stats total {total}"
    return [Row("SQLite deleted under the server", done, "", status == 201 and total == 1)]


def model_attacks(target: Target, args) -> list[Row]:
    """A model whose weights hold NaN; the served file truncated and a worker killed."""
    return [nan_weights(), broken_model_file(target)]


def poisoned_copy(folder: Path) -> Path:
    """The shipped model with NaN in its first kernel."""
    poisoned = folder / "nan.h5"
    shutil.copy(ROOT / "model.h5", poisoned)
    with h5py.File(poisoned, "r+") as f:
        kernels = []
        f.visititems(
            lambda name, item: (
                kernels.append(item) if isinstance(item, h5py.Dataset) and item.ndim > 1 else None
            )
        )
        kernels[0][...] = np.nan
    return poisoned


def nan_weights() -> Row:
    """`make run`'s server started on a model with NaN weights must refuse to start, saying why."""
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "FLASK_MODEL_PATH": str(poisoned_copy(Path(folder))),
            "FLASK_MODEL_CACHE_DIR": folder,
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        started = subprocess.run(
            [*command, "--bind", f"127.0.0.1:{free_port()}"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
    said = re.search(r"answers probe digits with [^;]*", started.stderr)
    reason = said.group(0) if said else "no reason given"
    held = started.returncode != 0 and bool(said)
    return Row("model with NaN weights", f"gunicorn exited {started.returncode}", reason, held)


def broken_model_file(target: Target) -> Row:
    """The served model file truncated and a worker killed: the new worker must still serve."""
    model = target.model
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    master = target.process.pid
    workers = [
        int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ]
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(8)
    health = [target.request("GET", "/healthz")[0] for _ in range(10)]
    alive = target.process.poll() is None
    done = f"model.h5 truncated, worker {workers[0]} killed; server alive: {alive}"
    held = alive and set(health) == {200}
    return Row("model file broken under the server", done, f"/healthz {sorted(set(health))}", held)


def connection_budget(target: Target, args) -> list[Row]:
    """Slow-header connections up to 90 % of the budget (workers x worker_connections)."""
    n = int(0.9 * WORKERS * WORKER_CONNECTIONS)
    before = workers_memory(target)
    with normal_traffic(target) as summary:
        time.sleep(0.5)
        cuts = asyncio.run(hold_slow_connections(target, {"slow-header": n}, args.seconds))
        normal, held = summary()
    after = workers_memory(target)
    done = f"{n} slow-header connections ({len(cuts['slow-header'])} cut); {args.seconds:.0f} s"
    memory = f"worker memory {before:.0f} -> {after:.0f} MB"
    return [Row("connection budget", f"{done}; {memory}", normal, held)]


WORKERS, WORKER_CONNECTIONS = 2, 500  # gunicorn.conf.py's defaults


def workers_memory(target: Target) -> float:
    """The largest resident memory of the server's workers, in MB."""
    if target.process is None:
        return float("nan")
    master = target.process.pid
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return max(rss_mb(int(pid)) for pid in workers)


ATTACKS = {
    "slow-clients": slow_clients,
    "budget": connection_budget,
    "sqlite-locked": sqlite_locked,
    "postgres-frozen": postgres_frozen,
    "junk-corrections": junk_corrections,
    "rapid-corrections": rapid_corrections,
    "review": review_routes,
    "client-prediction": client_prediction,
    "big-images": big_images,
    "hostile-images": image_attacks,
    "mutated-images": mutated_images,
    "small": small_items,
    "deleted-database": deleted_database,
    "model": model_attacks,  # last: it breaks the server's model file
}


@contextlib.contextmanager
def production_server(workdir: Path, env: dict | None = None) -> Iterator[Target]:
    """`make run`'s server on a free port, with its own database, model copy and review token."""
    port = free_port()
    shutil.copy(ROOT / "model.h5", workdir / "model.h5")
    token = "abuse-review-token"
    env = {
        **os.environ,
        "FLASK_DATABASE_URL": f"sqlite:///{workdir / 'feedback.sqlite3'}",
        "FLASK_MODEL_PATH": str(workdir / "model.h5"),
        "FLASK_MODEL_CACHE_DIR": str(workdir / "models"),
        "FLASK_REVIEW_TOKEN": token,
        "FLASK_TRAIN_IF_MISSING": "false",
        "FLASK_TRUSTED_PROXIES": "1",
        "FLASK_FEEDBACK_RATE_LIMIT": "10000 per minute",  # the storage attacks, not the limit
        **(env or {}),
    }
    env = {name: value for name, value in env.items() if value != ""}
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}"]
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield Target(url, token, workdir, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def main(argv: list[str] | None = None) -> int:
    """Run the attacks and print what held."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="attack this server instead of starting one")
    parser.add_argument("--seconds", type=float, default=20, help="how long each attack lasts")
    parser.add_argument("--only", choices=sorted(ATTACKS), action="append")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.url:
            target = Target(args.url)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            target = stack.enter_context(production_server(workdir))
        rows = []
        for name in args.only or ATTACKS:
            rows += ATTACKS[name](target, args)
            print(f"{name}: done", file=sys.stderr)
    print("| attack | what was done | normal client | held |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.attack} | {row.done} | {row.normal} | {'yes' if row.held else 'NO'} |")
    return 0 if all(row.held for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
