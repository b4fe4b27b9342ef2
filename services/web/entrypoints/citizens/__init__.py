"""Pages for citizens: no account, Bahasa Indonesia first, every form working without JavaScript."""

from services.web.entrypoints.citizens import complaints, poster, survey, transparency

ROUTERS = (survey.router, complaints.router, transparency.router, poster.router)
