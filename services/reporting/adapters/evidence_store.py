"""Where evidence files live: content-addressed by SHA-256, so the same file is stored once.

Two implementations of one small port: a local directory (the default) and S3-compatible object
storage (selected by ``KINERJA_EVIDENCE_STORAGE=s3``). Both are idempotent: putting a file that is
already there does nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from services.reporting.adapters.sigv4 import EMPTY_PAYLOAD_SHA256, authorization_header
from services.reporting.settings import ReportingSettings

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class EvidenceMissing(LookupError):
    """The store holds no file with this hash."""


class EvidenceStoreError(RuntimeError):
    """The store could not be reached or refused the operation."""


class EvidenceStore(Protocol):
    """The port the service layer uses; keys are lowercase hex SHA-256 digests."""

    async def put(self, sha256: str, data: bytes, content_type: str) -> bool:
        """Store the file unless present; True if it was written now, False if it was already there."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The file's bytes, or ``EvidenceMissing``."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _checked(sha256: str) -> str:
    # The key becomes a path or URL: accept nothing but a digest, so it can never traverse.
    if not _SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class LocalEvidenceStore:
    """Files under a directory, fanned out by the first two hex pairs (``ab/cd/abcd...``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the file with this digest lives."""
        digest = _checked(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    async def put(self, sha256: str, data: bytes, content_type: str) -> bool:
        """Write atomically (temporary file, then rename) so a reader never sees half a file."""
        return await asyncio.to_thread(self._put, self.path_of(sha256), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> bool:
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    async def get(self, sha256: str) -> bytes:
        """Read the whole file (evidence is bounded by the upload limit)."""
        path = self.path_of(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise EvidenceMissing(sha256) from exc

    async def close(self) -> None:
        """Nothing to release."""


class S3EvidenceStore:
    """Objects ``<prefix><sha256>`` in one bucket, path-style addressing, signed with SigV4."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        prefix: str = "evidence/",
        timeout_seconds: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        parts = urlsplit(endpoint_url)
        self._base = f"{parts.scheme}://{parts.netloc}"
        self._host = parts.netloc
        self._bucket = bucket
        self._region = region
        self._access_key = access_key_id
        self._secret_key = secret_access_key
        self._prefix = prefix
        self._client = httpx.AsyncClient(timeout=timeout_seconds, transport=transport)

    def object_path(self, sha256: str) -> str:
        """The object's path on the endpoint (path-style: works with AWS and MinIO alike)."""
        return f"/{self._bucket}/{self._prefix}{_checked(sha256)}"

    def signed_headers(
        self, method: str, path: str, payload_sha256: str, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The headers of a signed request (``host``, ``x-amz-*`` and ``Authorization``)."""
        at = datetime.now(UTC)
        headers = {
            "host": self._host,
            "x-amz-content-sha256": payload_sha256,
            "x-amz-date": at.strftime("%Y%m%dT%H%M%SZ"),
            **(extra or {}),
        }
        headers["authorization"] = authorization_header(
            method=method,
            path=path,
            query={},
            headers=headers,
            payload_sha256=payload_sha256,
            access_key=self._access_key,
            secret_key=self._secret_key,
            region=self._region,
            at=at,
        )
        return headers

    async def _send(
        self, method: str, sha256: str, data: bytes = b"", content_type: str = ""
    ) -> httpx.Response:
        path = self.object_path(sha256)
        # For a PUT the payload hash is the evidence digest itself: the store verifies what it receives.
        payload_sha256 = sha256 if method == "PUT" else EMPTY_PAYLOAD_SHA256
        extra = {"content-type": content_type} if content_type else None
        headers = self.signed_headers(method, path, payload_sha256, extra)
        headers.pop("host")  # httpx sets it from the URL, identically
        try:
            return await self._client.request(
                method, self._base + path, content=data or None, headers=headers
            )
        except httpx.HTTPError as exc:
            raise EvidenceStoreError(f"{method} {path}: {exc!r}") from exc

    async def put(self, sha256: str, data: bytes, content_type: str) -> bool:
        """HEAD first: a file already stored is not uploaded again."""
        head = await self._send("HEAD", sha256)
        if head.status_code == 200:
            return False
        if head.status_code != 404:
            raise EvidenceStoreError(f"HEAD {self.object_path(sha256)} answered {head.status_code}")
        response = await self._send("PUT", sha256, data, content_type)
        if response.status_code not in (200, 201):
            raise EvidenceStoreError(
                f"PUT {self.object_path(sha256)} answered {response.status_code}: {response.text[:300]}"
            )
        return True

    async def get(self, sha256: str) -> bytes:
        """Download the object."""
        response = await self._send("GET", sha256)
        if response.status_code == 404:
            raise EvidenceMissing(sha256)
        if response.status_code != 200:
            raise EvidenceStoreError(f"GET {self.object_path(sha256)} answered {response.status_code}")
        return response.content

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()


def build_evidence_store(settings: ReportingSettings) -> EvidenceStore:
    """The store the settings select."""
    if settings.evidence_storage == "s3":
        # The settings validator already refused an incomplete S3 configuration.
        assert settings.s3_endpoint_url is not None
        assert settings.s3_bucket is not None
        assert settings.s3_access_key_id is not None
        assert settings.s3_secret_access_key is not None
        return S3EvidenceStore(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key.get_secret_value(),
            prefix=settings.s3_prefix,
            timeout_seconds=settings.s3_timeout_seconds,
        )
    return LocalEvidenceStore(settings.resolved_evidence_dir)
