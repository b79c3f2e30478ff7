"""What every response promises a browser: the security headers, HSTS over HTTPS, CORS only for
the origins configured, redirects that name a path on this server, and (behind trusted proxies)
the scheme and client address the proxy saw."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

from drawadigit.settings import Settings

# Sent with every response: nothing but this origin's own files runs, nothing frames the page.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Sent only on requests that arrived over HTTPS: browsers then refuse plain HTTP for two years.
HSTS = "max-age=63072000"


def relative_redirect() -> Response | None:
    """Werkzeug's automatic redirects (//healthz -> /healthz) would name the Host header the
    client sent: answer with a path on this server instead."""
    if not isinstance(request.routing_exception, RequestRedirect):
        return None
    target = urlsplit(request.routing_exception.new_url)
    location = "/" + target.path.lstrip("/") + (f"?{target.query}" if target.query else "")
    response = jsonify({"location": location})
    response.status_code = request.routing_exception.code
    response.headers["Location"] = location
    return response


def security_headers(response: Response) -> Response:
    """The security headers, and HSTS on a request that came over HTTPS."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:  # never over plain HTTP, where an attacker could forge it
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask, settings: Settings) -> None:
    """Headers on every response; CORS for `cors_origins`; ProxyFix for `trusted_proxies`."""
    if settings.cors_origins:
        CORS(app, resources={r"/predict": {}, r"/api/*": {}}, origins=list(settings.cors_origins))
    app.before_request(relative_redirect)
    app.after_request(security_headers)
    proxies = settings.trusted_proxies
    if proxies:  # the scheme and client address the proxy saw, for HSTS and per-client limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
