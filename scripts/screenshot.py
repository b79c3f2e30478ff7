"""Take the README screenshots: draw a digit on a running server's page and save a PNG.

Usage:
    python -m scripts.screenshot --url http://127.0.0.1:5000 --out docs/screenshot.png
    python -m scripts.screenshot --url http://127.0.0.1:5000 --out docs/dark.png --dark
    python -m scripts.screenshot --url http://127.0.0.1:5000 --preset phone
    python -m scripts.screenshot --url http://127.0.0.1:5000 --all   # every preset into docs/

Presets: desktop and dark (the whole page), phone (390x844, touch, DPR 3), landscape (844x390,
touch, DPR 3) and zoom (1280x800 at 200 %: a 640x400 CSS viewport at DPR 2); the last three
show just the screen, as a person sees it without scrolling.

Needs the Python `playwright` package and a Chromium binary (by default /usr/bin/chromium;
pass --chromium "" to use the browser Playwright downloads with `playwright install`).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

Point = tuple[float, float]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float) -> list[Point]:
    """Points along an elliptical arc in canvas-relative units, angles in degrees (y down)."""
    steps = max(2, round(abs(stop - start) / 12))
    angles = (math.radians(start + (stop - start) * i / steps) for i in range(steps + 1))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# Strokes in canvas-relative units (0..1): each stroke is a list of (x, y) points.
DIGITS: dict[str, list[list[Point]]] = {
    "3": [arc(0.5, 0.34, 0.15, 0.14, -160, 90) + arc(0.5, 0.63, 0.17, 0.16, -90, 150)],
    "7": [
        [(0.3, 0.22), (0.5, 0.21), (0.7, 0.21), (0.62, 0.38), (0.54, 0.57), (0.47, 0.8)],
        [(0.4, 0.5), (0.6, 0.49)],
    ],
}


# name -> (file, viewport width, height, device pixel ratio, dark, touch, whole page)
PRESETS = {
    "desktop": ("docs/screenshot.png", 1000, 800, 1, False, False, True),
    "dark": ("docs/screenshot-dark.png", 1000, 800, 1, True, False, True),
    "phone": ("docs/screenshot-phone.png", 390, 844, 3, False, True, False),
    "landscape": ("docs/screenshot-landscape.png", 844, 390, 3, False, True, False),
    "zoom": ("docs/screenshot-zoom.png", 640, 400, 2, False, False, False),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running app's URL")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--dark", action="store_true", help="emulate prefers-color-scheme: dark")
    parser.add_argument("--width", type=int, default=1000, help="viewport width in CSS px")
    parser.add_argument("--height", type=int, default=800, help="viewport height in CSS px")
    parser.add_argument("--scale", type=float, default=1, help="device pixel ratio")
    parser.add_argument("--digit", choices=sorted(DIGITS), default="3", help="digit to draw")
    parser.add_argument("--chromium", default=DEFAULT_CHROMIUM, help="Chromium executable")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for a result")
    parser.add_argument("--touch", action="store_true", help="a phone: touch, mobile viewport")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="one of the README's shots")
    parser.add_argument("--all", action="store_true", help="every preset, into docs/")
    args = parser.parse_args(argv)
    args.full_page = True
    if args.preset:
        apply_preset(args, args.preset)
    return args


def apply_preset(args: argparse.Namespace, name: str) -> argparse.Namespace:
    """Set the screen, theme and file of preset `name` on `args`."""
    out, args.width, args.height, args.scale, args.dark, args.touch, args.full_page = PRESETS[name]
    args.out = Path(out)
    return args


def draw(page, strokes: list[list[Point]]) -> None:
    """Draw strokes on #canvas with the mouse, as a person would."""
    box = page.locator("#canvas").bounding_box()
    if box is None:
        raise RuntimeError("#canvas is not visible")

    def at(point: Point) -> Point:
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point), steps=4)
        page.mouse.up()


def wait_until_healthy(url: str, timeout: float) -> None:
    """Poll the server's /healthz until it answers 200 (a server may still be starting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not become healthy within {timeout:.0f} s")
        time.sleep(0.3)


def new_page(browser, args: argparse.Namespace, errors: list[str]):
    """A page with the screen and theme of `args`; what it logs as errors goes into `errors`."""
    page = browser.new_page(
        viewport={"width": args.width, "height": args.height},
        device_scale_factor=args.scale,
        color_scheme="dark" if args.dark else "light",
        is_mobile=args.touch,
        has_touch=args.touch,
    )
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def answered(page, timeout: float) -> bool:
    """Wait for the prediction and the model's 28x28 input; False, said why, if none came."""
    try:
        page.wait_for_function(
            "() => document.querySelector('#prediction').textContent.trim() !== ''",
            timeout=timeout * 1000,
        )
        page.wait_for_selector("#model-input[data-filled]", timeout=5000)
    except PlaywrightError:
        status = page.locator("#status").text_content()
        print(f"No prediction appeared; the page says: {status!r}", file=sys.stderr)
        return False
    return True


def shoot(browser, args: argparse.Namespace, errors: list[str]) -> str | None:
    """Draw the digit, wait for the answer and save the screenshot: the answer shown, or None."""
    page = new_page(browser, args, errors)
    page.goto(args.url, wait_until="networkidle")
    draw(page, DIGITS[args.digit])
    if not answered(page, args.timeout):
        return None
    # Let the bar transitions finish before the picture is taken.
    page.wait_for_timeout(400)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(args.out), full_page=args.full_page)
    return page.locator("#prediction").text_content()


def take_screenshot(args: argparse.Namespace) -> int:
    """Open the page, draw the digit, wait for the prediction and save the screenshot."""
    wait_until_healthy(args.url, 60)
    console_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium or None, args=CHROMIUM_ARGS, headless=True
        )
        try:
            shown = shoot(browser, args, console_errors)
        finally:
            browser.close()
    if shown is None:
        return 1
    for error in console_errors:
        print(f"console error: {error}", file=sys.stderr)
    print(f"Drew a {args.digit}, the page predicted {shown}; saved {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    if not args.all:
        return take_screenshot(args)
    return max(take_screenshot(apply_preset(argparse.Namespace(**vars(args)), n)) for n in PRESETS)


if __name__ == "__main__":
    sys.exit(main())
