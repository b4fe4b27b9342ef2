"""The employee app as an installable web app: its manifest and its service worker.

The service worker lives at ``/saya/sw.js`` so its scope is the employee's pages (``/saya/``). It is
the static ``js/asn-sw.js`` behind a header this process writes: the cache's name carries a hash of
every file it precaches, so a new release installs a new worker and drops the old cache.
"""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.web.access import PageRoute
from services.web.context import Web
from services.web.pages import STATIC_DIR
from shared.http import PUBLIC

router = APIRouter(include_in_schema=False, route_class=PageRoute)

APP_SCOPE = "/saya/"
APP_START = "/saya/kegiatan"
SYNC_TAG = "kinerja-asn-sync"
#: What the app needs to open offline, besides the activity page itself.
PRECACHED_ASSETS = (
    "css/kinerja.css",
    "js/htmx-2.0.11.min.js",
    "js/kinerja.js",
    "js/asn-queue.js",
    "js/asn-app.js",
    "icons/icon-192.png",
    "icons/icon.svg",
)


@router.get("/saya/manifest.webmanifest", openapi_extra=PUBLIC)
async def manifest(request: Request, web: Web) -> Response:
    """The web app manifest: Indonesian name, the activity page as start, icons for the home screen."""
    assets = web.pages.assets
    body = {
        "name": "Kinerja ASN",
        "short_name": "Kinerja",
        "description": web.pages.translate(request, "Report your activities, even without a signal"),
        "lang": web.pages.language(request),
        "start_url": APP_START,
        "scope": APP_SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#8c1c13",
        "icons": [
            {
                "src": assets["icons/icon-192.png"].url,
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "any maskable",
            },
            {
                "src": assets["icons/icon-512.png"].url,
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any maskable",
            },
            {"src": assets["icons/icon.svg"].url, "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/saya/sw.js", openapi_extra=PUBLIC)
async def service_worker(web: Web) -> Response:
    """The service worker, versioned by the files it precaches (the browser re-checks it on each visit)."""
    assets = web.pages.assets
    urls = [assets[name].url for name in PRECACHED_ASSETS]
    worker = (STATIC_DIR / "js" / "asn-sw.js").read_text()
    version = hashlib.sha256("\n".join([*urls, worker]).encode()).hexdigest()[:12]
    header = "\n".join(
        [
            f"const CACHE = {json.dumps('kinerja-asn-' + version)};",
            f"const PRECACHE = {json.dumps(urls)};",
            f"const APP_START = {json.dumps(APP_START)};",
            f"const SYNC_TAG = {json.dumps(SYNC_TAG)};",
            f"const QUEUE_SCRIPT = {json.dumps(assets['js/asn-queue.js'].url)};",
        ]
    )
    return Response(
        header + "\n" + worker,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": APP_SCOPE},
    )
