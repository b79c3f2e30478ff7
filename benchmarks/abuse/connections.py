"""The attacks on connections: slow and idle clients, the connection budget, huge images from
many clients, and the smaller probes of the HTTP layer (chunked bodies, deep JSON, big headers)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import threading
import time

from PIL import Image, ImageDraw

from benchmarks.abuse.server import (
    HSTS,
    SECURED,
    Row,
    Target,
    normal_traffic,
    percentile,
    raw,
    workers_memory,
)
from drawadigit.reading import preprocessing


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


WORKERS, WORKER_CONNECTIONS = 2, 500  # gunicorn.conf.py's defaults


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
