"""Pages for citizens: no account, Bahasa Indonesia first, every form working without JavaScript."""

from services.web.entrypoints.citizens import complaint_tracking, complaints, poster, survey, transparency

ROUTERS = (survey.router, complaints.router, complaint_tracking.router, transparency.router, poster.router)
