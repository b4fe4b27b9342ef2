"""Evidence (bukti dukung) rules: which files are accepted, recognised by their content, not their label."""

from __future__ import annotations

import hashlib

from shared.file_types import sniff_photo_type
from shared.refusals import Refusal, RefusalKind

#: What field apps attach: photos (JPEG, PNG, WebP, and HEIC from iPhones) and scanned documents (PDF).
ALLOWED_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"})

#: Labels a client sends when it does not know the type; the content decides then.
_UNSPECIFIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

#: Alternative labels of the same format, mapped to the canonical one.
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}

_HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")

#: How many leading bytes ``sniff_content_type`` needs.
SNIFF_BYTES = 16


def sniff_content_type(head: bytes) -> str | None:
    """The content type the leading bytes (magic numbers) reveal, among the allowed ones.

    The photos every upload accepts (JPEG, PNG, WebP) are the shared ``sniff_photo_type``'s; evidence
    adds scanned documents (PDF) and iPhone photos (HEIC).
    """
    photo_type = sniff_photo_type(head)
    if photo_type is not None:
        return photo_type
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "image/heic"
    return None


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of a file as lowercase hex: its identity in storage and in events."""
    return hashlib.sha256(data).hexdigest()


def check_evidence_file(
    *, declared_type: str | None, head: bytes, size: int, max_bytes: int
) -> tuple[str, Refusal | None]:
    """The accepted content type, or why the file is refused (empty, too large, not allowed, mislabelled)."""
    if size == 0:
        return "", Refusal("empty_file", "The file is empty.", field="file")
    if size > max_bytes:
        return "", Refusal(
            "file_too_large",
            "The file is larger than %(most)s bytes.",
            field="file",
            kind=RefusalKind.TOO_LARGE,
            params={"most": max_bytes},
        )
    sniffed = sniff_content_type(head)
    allowed = ", ".join(sorted(ALLOWED_CONTENT_TYPES))
    if sniffed is None:
        return "", Refusal(
            "unsupported_file_type",
            "The file's content is not one of the accepted types (%(allowed)s).",
            field="file",
            kind=RefusalKind.UNSUPPORTED_TYPE,
            params={"allowed": allowed},
        )
    declared = (declared_type or "").split(";")[0].strip().lower()
    declared = _ALIASES.get(declared, declared)
    if declared not in _UNSPECIFIC_TYPES and declared != sniffed:
        return "", Refusal(
            "content_type_mismatch",
            "The file is labelled %(declared)s but its content is %(sniffed)s.",
            field="file",
            kind=RefusalKind.UNSUPPORTED_TYPE,
            params={"declared": declared, "sniffed": sniffed},
        )
    return sniffed, None
