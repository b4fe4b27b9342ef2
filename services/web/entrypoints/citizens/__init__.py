"""Pages for citizens: no account, Bahasa Indonesia first, every form working without JavaScript."""

from services.web.entrypoints.citizens import survey, transparency

ROUTERS = (survey.router, transparency.router)
