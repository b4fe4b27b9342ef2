"""Vendored scripts are the pinned releases, byte for byte, and pages carry their integrity hashes."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from services.web.pages import STATIC_DIR, load_assets

ROOT = Path(__file__).resolve().parents[3]

#: sha384 of the files as shipped in the npm tarballs (htmx.org 2.0.11 dist/htmx.min.js, axe-core
#: 4.14.1 axe.min.js), whose tarballs matched the registry's sha512 integrity when vendored.
PINNED = {
    STATIC_DIR
    / "js"
    / "htmx-2.0.11.min.js": "2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg",
    ROOT
    / "tests"
    / "browser"
    / "vendor"
    / "axe-4.14.1.min.js": "xt1SFg49QaDwsyt0Xfs2XAyBtYPClXl3X2q5OOLeGAUmq9jZTYIMdztpF99WdhiH",
}


def _sha384(path: Path) -> str:
    return base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_vendored_files_are_the_pinned_releases() -> None:
    for path, digest in PINNED.items():
        assert _sha384(path) == digest, f"{path.name} differs from the pinned release"


def test_pages_reference_static_files_with_their_integrity_hash() -> None:
    htmx = load_assets()["js/htmx-2.0.11.min.js"]
    assert htmx.integrity == "sha384-" + PINNED[STATIC_DIR / "js" / "htmx-2.0.11.min.js"]
    assert htmx.url.startswith("/static/js/htmx-2.0.11.min.js?v=")
