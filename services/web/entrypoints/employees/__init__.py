"""The employee (ASN) app: my work plan (SKP), reporting activity (offline first), my scorecard."""

from services.web.entrypoints.employees import activities, app, scorecard, work_plan

ROUTERS = (work_plan.router, activities.router, scorecard.router, app.router)
