"""The "check your answers" step citizens' forms share (GOV.UK's pattern): the complaint, the survey.

A form posts to a route that checks it and keeps it as this browser's draft (``web.drafts``, under
the form's submission id) without sending anything, then redirects to its check page; each answer
there links back to the form filled in as it was, and only the check page's button sends it,
claiming the submission id (``web.submissions``): a double tap, a reload or the back button lands
on the first sending's page and sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.web.adapters.drafts import Draft
from services.web.adapters.regions import RegionProfile
from services.web.adapters.submissions import PENDING
from services.web.context import WebContext
from services.web.entrypoints.citizens.common import new_submission_id


@dataclass(frozen=True)
class StartAgain:
    """Where a citizen whose draft is gone starts the form again: its address and the link's text."""

    address: str
    text: str


async def page_sent_to(web: WebContext, submission_id: str) -> Response | None:
    """Once this form was sent, the way to the page its sending led to (None while it is not)."""
    sent = await web.submissions.outcome(submission_id)
    if sent is None or sent == PENDING:
        return None
    return RedirectResponse(sent.decode(), status_code=303)


async def keep_draft(web: WebContext, request: Request, submission_id: str, draft: Draft) -> str:
    """Keep a checked form for its check page; the submission id it is kept under."""
    visitor = request.state.visitor
    if not await web.drafts.save(submission_id, visitor, draft):
        submission_id = new_submission_id()  # a form without a usable id: this draft gets one
        await web.drafts.save(submission_id, visitor, draft)
    return submission_id


def draft_gone(web: WebContext, request: Request, region: RegionProfile, start_again: StartAgain) -> Response:
    """The page for a draft no longer kept (expired, or another browser's): nothing was sent."""
    return web.pages.render(
        request,
        "citizens/draft_expired.html",
        {
            "region": region,
            "minutes": web.drafts.keep_seconds // 60,
            "start_again": start_again,
        },
        timezone=region.timezone,
    )


async def claim_draft(
    web: WebContext,
    request: Request,
    region: RegionProfile,
    submission_id: str,
    start_again: StartAgain,
) -> Draft | Response:
    """The draft the check page sends, its submission id now claimed; or the page to show instead
    (the first sending still under way, its result, or the draft no longer kept)."""
    draft = await web.drafts.get(submission_id, request.state.visitor)
    earlier = await web.submissions.claim(submission_id)
    if earlier == PENDING:
        return web.pages.render(request, "citizens/sending.html", status_code=409)
    if earlier is not None:
        return RedirectResponse(earlier.decode(), status_code=303)
    if draft is None:
        await web.submissions.release(submission_id)
        return draft_gone(web, request, region, start_again)
    return draft
