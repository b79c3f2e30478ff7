"""The attacks on the corrections' storage: a locked SQLite, a frozen PostgreSQL, junk, floods,
the review routes without a credential, a client's claimed prediction, a deleted database."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.abuse.server import Row, Target, normal_traffic, production_server
from benchmarks.load import ROOT
from drawadigit.data import sketches
from drawadigit.reading import preprocessing
from scripts import throwaway_postgres

LOCKER = ROOT / "scripts" / "sqlite_locker.py"


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
