"""Evidence files are recognised by their content (magic bytes), not by the label the client sends."""

from __future__ import annotations

import pytest

from services.reporting.domain.evidence import check_evidence_file, sha256_hex, sniff_content_type
from shared.refusals import RefusalKind

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 32
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 32
HTML = b"<!doctype html><script>alert(1)</script>"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (PDF, "application/pdf"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (WINDOWS_EXE, None),
        (HTML, None),
    ],
)
def test_content_types_are_sniffed_from_magic_bytes(content, expected):
    assert sniff_content_type(content[:16]) == expected


def check(content: bytes, declared: str | None = "image/jpeg", max_bytes: int = 1024):
    return check_evidence_file(
        declared_type=declared, head=content[:16], size=len(content), max_bytes=max_bytes
    )


def test_a_photo_labelled_as_what_it_is_is_accepted():
    assert check(JPEG) == ("image/jpeg", None)
    assert check(JPEG, "image/jpg") == ("image/jpeg", None)


def test_an_unlabelled_file_takes_the_type_its_content_shows():
    assert check(PDF, "application/octet-stream") == ("application/pdf", None)
    assert check(PNG, None) == ("image/png", None)


def test_an_executable_labelled_as_a_photo_is_refused():
    _, violation = check(WINDOWS_EXE, "image/jpeg")
    assert violation is not None
    assert (violation.code, violation.field) == ("unsupported_file_type", "file")
    assert violation.kind is RefusalKind.UNSUPPORTED_TYPE


def test_a_label_that_contradicts_the_content_is_refused():
    _, violation = check(PNG, "application/pdf")
    assert violation is not None
    assert (violation.code, violation.kind) == ("content_type_mismatch", RefusalKind.UNSUPPORTED_TYPE)
    assert "image/png" in violation.message_en


def test_empty_and_oversized_files_are_refused():
    _, empty = check(b"")
    _, large = check(JPEG + b"\x00" * 2000)
    assert empty is not None
    assert (empty.code, empty.kind) == ("empty_file", RefusalKind.INVALID)
    assert large is not None
    assert (large.code, large.kind) == ("file_too_large", RefusalKind.TOO_LARGE)
    assert "1024" in large.message_en


def test_the_hash_is_the_sha256_hex_digest():
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
