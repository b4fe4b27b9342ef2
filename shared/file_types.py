"""Files recognised by their leading bytes (magic numbers), whatever label they were sent with.

The web process looks at a citizen's photo before sending it on, and feedback decides again when it
stores it: both ask this one function, so the page never accepts what the service then refuses.
Reporting's evidence check asks it too, and adds the documents and HEIC photos evidence accepts.
"""

from __future__ import annotations


def sniff_photo_type(head: bytes) -> str | None:
    """JPEG, PNG or WebP by their magic numbers (the first 16 bytes suffice); None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
