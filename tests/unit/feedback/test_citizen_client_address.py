"""Which address a citizen request is counted against for rate limiting."""

from __future__ import annotations

from starlette.requests import Request

from services.feedback.entrypoints.citizen import client_address

PROXY = "10.0.0.5"


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


def test_without_trusted_proxies_the_socket_peer_counts_and_a_forged_header_is_ignored():
    assert client_address(request_from("203.0.113.9", "198.51.100.1"), []) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_last_untrusted_hop_counts():
    # The citizen may prepend anything; only what our own proxy appended is believed.
    request = request_from(PROXY, "1.2.3.4, 198.51.100.7")
    assert client_address(request, [PROXY]) == "198.51.100.7"


def test_a_trusted_proxy_without_a_usable_header_counts_as_the_peer():
    assert client_address(request_from(PROXY), [PROXY]) == PROXY
    assert client_address(request_from(PROXY, "not-an-address"), [PROXY]) == PROXY
