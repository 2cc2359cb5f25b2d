"""Refusing cross-site writes (CSRF) from what the browser says about a request's origin."""

from __future__ import annotations

import pytest

from agent_ui.security import is_cross_site

pytestmark = pytest.mark.unit

HOST = "hotline.example:8080"


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("GET", {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}, False),
        ("POST", {"origin": "https://evil.example"}, True),
        ("POST", {"origin": "null"}, True),
        ("POST", {"sec-fetch-site": "cross-site"}, True),
        ("POST", {"sec-fetch-site": "same-site"}, True),  # a sibling subdomain is not us
        ("DELETE", {"origin": f"http://{HOST}", "sec-fetch-site": "same-origin"}, False),
        ("POST", {"origin": f"https://{HOST}"}, False),
        ("POST", {"sec-fetch-site": "none"}, False),  # typed in the address bar, a bookmark
        ("POST", {}, False),  # curl, scripts: no browser cookie rides along
    ],
)
def test_given_where_a_request_comes_from_then_only_other_sites_writes_are_refused(
    method, headers, refused
):
    assert is_cross_site(method, headers, HOST) is refused
