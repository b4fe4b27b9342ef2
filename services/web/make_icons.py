"""Draw the employee app's icons (PNG for Android's home screen, SVG for the rest) without a library.

The icon is three rising bars and a tick on the brand's maroon: performance that is reported and
verified. Run ``.venv/bin/python -m services.web.make_icons`` after changing it; the files are committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).parent / "static" / "icons"
BRAND = (0x8C, 0x1C, 0x13)
WHITE = (0xFF, 0xFF, 0xFF)
#: Shapes on a 100 × 100 grid, inside the maskable safe zone (the central 80%).
BARS = ((24, 58, 12, 20), (44, 44, 12, 34), (64, 30, 12, 48))
TICK = ((22, 30), (30, 38), (46, 20))
TICK_WIDTH = 5.0


def _near_segment(x: float, y: float, a: tuple[int, int], b: tuple[int, int], width: float) -> bool:
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= (width / 2) ** 2


def _colour(x: float, y: float) -> tuple[int, int, int]:
    for left, top, width, height in BARS:
        if left <= x < left + width and top <= y < top + height:
            return WHITE
    if any(_near_segment(x, y, TICK[i], TICK[i + 1], TICK_WIDTH) for i in range(len(TICK) - 1)):
        return WHITE
    return BRAND


def png(size: int) -> bytes:
    """A square PNG of the icon (full bleed, so Android may mask it to any shape)."""
    rows = bytearray()
    scale = 100 / size
    for py in range(size):
        rows.append(0)  # no filter
        for px in range(size):
            rows.extend(_colour((px + 0.5) * scale, (py + 0.5) * scale))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def svg() -> str:
    """The same drawing as SVG."""
    bars = "".join(f'<rect x="{x}" y="{y}" width="{w}" height="{h}"/>' for x, y, w, h in BARS)
    tick = " ".join(f"{x},{y}" for x, y in TICK)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<rect width="100" height="100" fill="#8c1c13"/>'
        f'<g fill="#fff">{bars}</g>'
        f'<polyline points="{tick}" fill="none" stroke="#fff" stroke-width="{TICK_WIDTH}" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
    )


def main() -> None:
    """Write icon-192.png, icon-512.png and icon.svg."""
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (ICONS / f"icon-{size}.png").write_bytes(png(size))
    (ICONS / "icon.svg").write_text(svg())


if __name__ == "__main__":
    main()
