"""The attacks with hostile images: containers, formats not promised, tiny structures and
mutated files (`scripts.hostile_images`), timed and the workers' memory watched."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.abuse.server import Row, Target, normal_traffic, status_mb, workers
from drawadigit.reading import preprocessing
from scripts import hostile_images


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
