"""Everything a page handler of the web process may use, wired once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request

from services.web.adapters.drafts import FormDrafts
from services.web.adapters.feed_relay import FeedRelays
from services.web.adapters.oidc import OidcSignIn
from services.web.adapters.regions import RegionDirectory
from services.web.adapters.services_api import ServiceApis
from services.web.adapters.sessions import SessionStore
from services.web.adapters.submissions import SubmissionGuard
from services.web.pages import Pages
from services.web.settings import WebSettings


@dataclass
class WebContext:
    """The web process's settings and adapters (no database: only Redis sessions and the APIs)."""

    settings: WebSettings
    redis: aioredis.Redis
    sessions: SessionStore
    apis: ServiceApis
    regions: RegionDirectory
    oidc: OidcSignIn
    pages: Pages
    submissions: SubmissionGuard
    drafts: FormDrafts
    feeds: FeedRelays


async def get_web(request: Request) -> WebContext:
    """FastAPI dependency: the web context of the running application."""
    web: WebContext = request.app.state.web
    return web


Web = Annotated[WebContext, Depends(get_web)]
