"""SigV4 signing against the examples AWS publishes for S3, and the S3 store's request sequence."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import pytest

from services.reporting.adapters.evidence_store import EvidenceMissing, EvidenceStoreError, S3EvidenceStore
from services.reporting.adapters.sigv4 import EMPTY_PAYLOAD_SHA256, authorization_header
from services.reporting.settings import ReportingSettings

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AT = datetime(2013, 5, 24, tzinfo=UTC)
HOST = "examplebucket.s3.amazonaws.com"


def sign(
    method: str, path: str, headers: dict[str, str], payload: str, query: dict[str, str] | None = None
) -> str:
    return authorization_header(
        method=method,
        path=path,
        query=query or {},
        headers=headers,
        payload_sha256=payload,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="us-east-1",
        at=AT,
    )


def test_get_object_example():
    headers = {
        "host": HOST,
        "range": "bytes=0-9",
        "x-amz-content-sha256": EMPTY_PAYLOAD_SHA256,
        "x-amz-date": "20130524T000000Z",
    }
    assert sign("GET", "/test.txt", headers, EMPTY_PAYLOAD_SHA256).endswith(
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_put_object_example_encodes_the_path():
    payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    headers = {
        "date": "Fri, 24 May 2013 00:00:00 GMT",
        "host": HOST,
        "x-amz-content-sha256": payload,
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
    }
    assert sign("PUT", "/test$file.text", headers, payload).endswith(
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    )


def test_list_objects_example_sorts_the_query():
    headers = {"host": HOST, "x-amz-content-sha256": EMPTY_PAYLOAD_SHA256, "x-amz-date": "20130524T000000Z"}
    assert sign("GET", "/", headers, EMPTY_PAYLOAD_SHA256, {"prefix": "J", "max-keys": "2"}).endswith(
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    )


DIGEST = hashlib.sha256(b"photo").hexdigest()


def store_answering(answers: dict[str, int], seen: list[httpx.Request]) -> S3EvidenceStore:
    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(answers[request.method], content=b"photo" if request.method == "GET" else b"")

    return S3EvidenceStore(
        endpoint_url="https://s3.example.test",
        bucket="kinerja",
        region="ap-southeast-3",
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        transport=httpx.MockTransport(respond),
    )


async def test_a_new_file_is_uploaded_once_with_its_digest_as_the_signed_payload_hash():
    seen: list[httpx.Request] = []
    store = store_answering({"HEAD": 404, "PUT": 200}, seen)
    assert await store.put(DIGEST, b"photo", "image/jpeg") is True
    head, put = seen
    assert (head.method, put.method) == ("HEAD", "PUT")
    assert put.url.path == f"/kinerja/evidence/{DIGEST}"
    assert put.headers["x-amz-content-sha256"] == DIGEST
    assert put.content == b"photo"
    assert "Credential=AKIAIOSFODNN7EXAMPLE/" in put.headers["authorization"]
    assert "/ap-southeast-3/s3/aws4_request" in put.headers["authorization"]
    await store.close()


async def test_a_file_already_in_the_bucket_is_not_uploaded_again():
    seen: list[httpx.Request] = []
    store = store_answering({"HEAD": 200}, seen)
    assert await store.put(DIGEST, b"photo", "image/jpeg") is False
    assert [r.method for r in seen] == ["HEAD"]
    await store.close()


async def test_missing_objects_and_refusals_are_told_apart():
    store = store_answering({"GET": 404, "HEAD": 403}, [])
    with pytest.raises(EvidenceMissing):
        await store.get(DIGEST)
    with pytest.raises(EvidenceStoreError):
        await store.put(DIGEST, b"photo", "image/jpeg")
    await store.close()


def test_s3_storage_without_credentials_is_refused_at_start():
    with pytest.raises(ValueError, match="KINERJA_S3_BUCKET"):
        ReportingSettings(evidence_storage="s3", s3_endpoint_url="https://s3.example.test")
