"""What every answer must be (JSON, with the security headers), the property tests' inputs,
and a record of what a request writes to disk."""

from __future__ import annotations

import os
import threading

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from drawadigit.web import security

__all__ = ["DiskWrites", "HYPOTHESIS", "assert_json_answer", "assert_json_error", "json_values"]


def assert_json_answer(response) -> dict:
    """Any answer: JSON, never a 5xx, an error message or a prediction."""
    assert response.status_code < 500, response.data[:200]
    assert response.is_json, response.data[:200]
    body = response.get_json()
    assert ("error" in body) != ("digit" in body)
    if "error" in body:
        assert response.status_code >= 400 and body["error"]
    return body


def assert_json_error(response, status: int) -> str:
    """A JSON error with the status and the security headers; its message."""
    assert response.status_code == status, response.data[:300]
    assert response.is_json, response.data[:300]
    for name, value in security.SECURITY_HEADERS.items():
        assert response.headers[name] == value
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]
    return body["error"]


# Property tests: whatever arrives, a JSON answer and never a 5xx.
HYPOTHESIS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["image", "imageBase64", "x"]) | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


class DiskWrites:
    """Records files opened for writing while `recording` is set (an audit hook, PEP 578)."""

    recording = threading.Event()
    seen: list[str] = []
    installed = False

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if event == "open" and cls.recording.is_set():
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing:
                cls.seen.append(str(path))
