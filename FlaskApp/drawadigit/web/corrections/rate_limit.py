"""Corrections per client address, at most FEEDBACK_RATE_LIMIT (flask-limiter); beyond, 429.

The count is kept in RATELIMIT_STORAGE_URI: `memory://` is per process; a `redis://` URL shares
it between workers and instances. Only corrections are limited, never predictions or the review;
so flask-limiter's hooks run only for the corrections API's blueprint (`_only_for`): a prediction
or a review pays nothing for a limit it does not have.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from drawadigit.settings import Settings
from drawadigit.web.api import APIError, current_settings

LIMITED = "corrections.add_correction"  # the one endpoint limited, alone on its blueprint
# A Redis that does not answer delays a correction this long at most, then limits fall back to
# each process's memory until it is back.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def rate_limiter(app: Flask, settings: Settings) -> Limiter:
    """FEEDBACK_RATE_LIMIT on corrections, per client address, counted in RATELIMIT_STORAGE_URI."""
    uri = settings.ratelimit_storage_uri
    limiter = Limiter(
        get_remote_address,
        default_limits=[lambda: current_settings().feedback_rate_limit],
        default_limits_exempt_when=lambda: request.endpoint != LIMITED,
        storage_uri=uri,
        storage_options=REDIS_OPTIONS if uri.startswith(("redis", "rediss")) else {},
        in_memory_fallback_enabled=True,
        key_prefix="digits-feedback",  # as before: counts kept in Redis go on counting
    )
    limiter.init_app(app)
    _only_for(app, LIMITED.split(".")[0])
    return limiter


def _only_for(app: Flask, blueprint: str) -> None:
    """Move the hooks `init_app` just added for every request to `blueprint`'s requests, where
    they ran before: ahead of its own before-request hooks, after its own after-request and
    teardown hooks (Flask runs those in reverse)."""
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        added = hooks[None].pop()  # init_app appends one of each, last
        hooks.setdefault(blueprint, []).insert(0, added)


def too_many(exc: RateLimitExceeded) -> APIError:
    """429 with Retry-After: this client sent more corrections than FEEDBACK_RATE_LIMIT allows."""
    current = current_app.extensions["corrections_limiter"].current_limit
    # reset_at is already rounded up to the next whole second, as flask-limiter's own header is.
    wait = max(1, int(current.reset_at - time.time())) if current else 60
    message = (
        f"Expected at most {exc.description} corrections from one address; "
        f"received more. Try again in {wait} s."
    )
    return APIError(429, message, headers={"Retry-After": str(wait)})
