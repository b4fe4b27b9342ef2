"""Pages for raters (pejabat penilai): what waits for them first, their team's live feed, ratings."""

from services.web.entrypoints.raters import behaviour, continuous_feedback, feed, inbox, judgement, rating

ROUTERS = (
    inbox.router,
    feed.router,
    rating.router,
    judgement.router,
    behaviour.router,
    continuous_feedback.router,
)
