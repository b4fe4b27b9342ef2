"""The employee (ASN) app: my work plan (SKP), reporting activity (offline first), my scorecard."""

from services.web.entrypoints.employees import work_plan

ROUTERS = (work_plan.router,)
