"""AWS Signature Version 4 for S3-compatible object storage (AWS S3, MinIO, Ceph, Wasabi...).

Written against the published algorithm rather than pulling in an SDK: the service only needs
HEAD, PUT and GET of single objects, and ``httpx`` is already a dependency.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The day's derived key: HMAC chain over date, region, service and ``aws4_request``."""
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def canonical_uri(path: str) -> str:
    """S3's canonical path: each segment URI-encoded once, slashes kept."""
    return quote(path or "/", safe="/-_.~")


def canonical_query(query: Mapping[str, str]) -> str:
    """Query parameters sorted by name, names and values URI-encoded (``/`` too)."""
    return "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in sorted(query.items())
    )


def authorization_header(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    at: datetime,
    service: str = "s3",
) -> str:
    """The ``Authorization`` header value for a request whose headers already hold ``host`` and ``x-amz-*``.

    Every header passed in is signed; ``at`` must be the same instant as the ``x-amz-date`` header.
    """
    timestamp = at.strftime("%Y%m%dT%H%M%SZ")
    date = at.strftime("%Y%m%d")
    normalised = {name.lower(): " ".join(value.strip().split()) for name, value in headers.items()}
    signed_headers = ";".join(sorted(normalised))
    canonical_headers = "".join(f"{name}:{normalised[name]}\n" for name in sorted(normalised))
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            signed_headers,
            payload_sha256,
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, timestamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signature = hmac.new(
        signing_key(secret_key, date, region, service), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return f"{ALGORITHM} Credential={access_key}/{scope},SignedHeaders={signed_headers},Signature={signature}"
