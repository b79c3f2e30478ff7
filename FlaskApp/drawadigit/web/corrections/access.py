"""Who may review corrections: the holder of REVIEW_TOKEN, and nobody without the setting.

Clients send `Authorization: Bearer <token>`; the page and its images take HTTP Basic with the
token as password too (any user name), so a browser can open them. Without the setting the
review routes are not served (404); a missing or wrong credential is a 401 with a challenge:
JSON for a client, and for a browser that prefers HTML (it cancelled the login prompt) a small
page that says what the page needs.
The page's forms carry a field derived from the token (`form_token`), which another site cannot
forge. What the review routes answer is private: `Cache-Control: no-store` on every answer, so
no browser or proxy keeps a copy.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from flask import g, make_response, render_template, request

from drawadigit.web.api import APIError, current_settings

REALM = "corrections"
PRIVATE = {"Cache-Control": "no-store"}


def review_token() -> str | None:
    """The configured review credential, or None when review is not served."""
    return current_settings().review_token


def form_token(token: str) -> str:
    """The value the review page's forms carry: derived from the token, unguessable without it."""
    # The label stays as it was, so the pages open when the server is updated keep working.
    return hmac.new(token.encode(), b"feedback review form", hashlib.sha256).hexdigest()


def challenge(basic: bool) -> APIError:
    """401, with the challenge a client (or, for the page, a browser) answers."""
    bearer = "'Authorization: Bearer <token>'"
    accepted = f"{bearer} or HTTP Basic with the token as password" if basic else bearer
    scheme = "Basic" if basic else "Bearer"
    return APIError(
        401,
        f"Expected the review token as {accepted}.",
        headers={"WWW-Authenticate": f'{scheme} realm="{REALM}", charset="UTF-8"'},
    )


def authenticate(basic: bool) -> str:
    """How the request proved it holds REVIEW_TOKEN ("bearer" or "basic"); else 401 or 404."""
    token = review_token()
    if token is None:
        raise APIError(404, "The review of corrections is not served here.")
    auth = request.authorization
    given = None
    if auth is not None and auth.type == "bearer":
        given = auth.token
    elif auth is not None and auth.type == "basic" and basic:
        given = auth.password
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        raise challenge(basic)
    return auth.type


def wants_html() -> bool:
    """Whether the client would rather have HTML than JSON: a browser opening a page."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def refused_page(exc: APIError):
    """The 401 as a small page for a browser, with the same challenge."""
    response = make_response(render_template("review_refused.html"), exc.status)
    response.headers.update(exc.headers)
    return response


def review_only(basic: bool):
    """A view only the holder of REVIEW_TOKEN may use, its answers never cached; `basic`: HTTP
    Basic is taken too."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(**kwargs):
            try:
                g.review_by = authenticate(basic)
            except APIError as exc:
                if not (basic and exc.status == 401 and wants_html()):
                    raise
                response = refused_page(exc)
            else:
                response = make_response(view(**kwargs))
            response.headers.update(PRIVATE)
            return response

        return guarded

    return decorate
