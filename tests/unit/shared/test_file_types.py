"""A citizen's photo is recognised by its leading bytes, whatever it is labelled."""

from __future__ import annotations

import pytest

from shared.file_types import sniff_photo_type


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a RIFF file that is sound, not a picture
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", None),  # HEIC: evidence takes it, complaints not
        (b"<!doctype html>", None),
        (b"", None),
    ],
)
def test_only_jpeg_png_and_webp_are_photos(head: bytes, expected: str | None) -> None:
    assert sniff_photo_type(head) == expected
