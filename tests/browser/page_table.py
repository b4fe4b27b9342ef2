"""Which browser test checks each page of the web app (issue #14: every page, both languages, axe-core
serious and critical violations, screenshots at 360 and 1280 px).

Read from the app as it is built: every GET route of its route table and every template that is a
whole page (extends ``base.html``). Each must be checked by a test's ``check_page``, visited by the
sweep (``test_every_page.py``), or excluded here with the reason it is not a page; a new route or
template with none of these fails ``test_every_page_of_the_route_table_is_checked``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.routing import APIRoute

from services.web.bootstrap import ROUTERS, build_app, build_context
from services.web.pages import TEMPLATES_DIR
from services.web.settings import WebSettings

BROWSER_TESTS = Path(__file__).parent

CITIZENS = "test_citizen_journeys.py::test_every_citizen_page_is_accessible_in_both_languages"
SURVEY = "test_citizen_journeys.py::test_a_citizen_answers_from_a_tickets_qr_code_and_the_offices_ikm_changes"
COMPLAINT = "test_citizen_journeys.py::test_a_citizen_files_a_complaint_and_tracks_it_by_its_code"
POSTER = "test_citizen_journeys.py::test_the_counters_qr_poster_is_accessible_and_prints"
EMPLOYEE = "test_employee_journeys.py::test_the_employee_pages_are_accessible_in_both_languages"
RATER_FEED = "test_rater_journeys.py::test_a_rater_decides_activity_arriving_on_the_open_feed"
RATER_RATING = "test_rater_journeys.py::test_a_rater_overrides_a_proposed_rating_and_sees_the_predicate"
RATER_OTHERS = "test_rater_journeys.py::test_every_other_rater_page_is_accessible_in_both_languages"

#: Routes that answer no page a person reads, each with why.
EXCLUDED_ROUTES: dict[str, str] = {
    "/healthz": "a probe for the orchestrator (JSON)",
    "/readyz": "a probe for the orchestrator (JSON)",
    "/metrics": "Prometheus' scrape (text)",
    "/bahasa/{language}": "a redirect only: remembers the language and goes back to the page",
    "/masuk/oidc/{region_id}": "a redirect to the region's identity provider; when it cannot start, "
    "it shows the sign-in failed page, which the sweep checks at /masuk/selesai",
    "/pengaduan/layanan": "an htmx fragment (the service choice) swapped into /pengaduan, not a page",
    "/poster/{region_id}/{unit_id}/qr.svg": "the poster's QR code as SVG, an image inside /poster",
    "/saya/manifest.webmanifest": "the installable app's manifest (JSON)",
    "/saya/sw.js": "the employee app's service worker (JavaScript)",
    "/penilai": "a redirect only: a rater's pages start at the inbox",
    "/penilai/umpan/langsung": "the live feed's Server-Sent Events stream, read by /penilai/umpan",
}

#: Routes whose page another browser test checks with ``check_page`` (both languages, both sizes).
CHECKED_ROUTES: dict[str, str] = {
    "/": CITIZENS,
    "/masuk": CITIZENS,
    "/masuk/demo": CITIZENS,
    "/skm": CITIZENS,  # choosing the region, the unit, and the unit's public form
    "/skm/periksa": SURVEY,
    "/skm/terima-kasih": SURVEY,
    "/pengaduan": COMPLAINT,
    "/pengaduan/periksa": COMPLAINT,
    "/pengaduan/terkirim": COMPLAINT,
    "/pengaduan/lacak": COMPLAINT,
    "/transparansi/{region_id}": SURVEY,
    "/poster/{region_id}/{unit_id}": POSTER,
    "/saya/skp": EMPLOYEE,
    "/saya/kegiatan": EMPLOYEE,
    "/saya/capaian": EMPLOYEE,
    "/penilai/kotak-masuk": RATER_FEED,
    "/penilai/umpan": RATER_FEED,
    "/penilai/pegawai/{employee_id}/hasil/{result_id}": RATER_FEED,
    "/penilai/pegawai/{employee_id}/rating": RATER_RATING,
    "/penilai/skp/{plan_id}": RATER_OTHERS,
    "/penilai/kegiatan/{activity_id}/tolak": RATER_OTHERS,
    "/penilai/pegawai/{employee_id}/indikator/{indicator_id}": RATER_OTHERS,
    "/penilai/pegawai/{employee_id}/perilaku": RATER_OTHERS,
}

#: Whole-page templates another browser test checks with ``check_page``.
CHECKED_TEMPLATES: dict[str, str] = {
    "home.html": CITIZENS,
    "sign_in/choose.html": CITIZENS,
    "sign_in/demo.html": CITIZENS,
    "citizens/choose_region.html": CITIZENS,
    "citizens/choose_unit.html": CITIZENS,
    "errors/not_found.html": CITIZENS,
    "citizens/survey_form.html": SURVEY,
    "citizens/survey_check.html": SURVEY,
    "citizens/survey_thanks.html": SURVEY,
    "citizens/transparency.html": SURVEY,
    "citizens/complaint_form.html": COMPLAINT,
    "citizens/complaint_check.html": COMPLAINT,
    "citizens/complaint_sent.html": COMPLAINT,
    "citizens/complaint_track.html": COMPLAINT,
    "citizens/poster.html": POSTER,
    "employees/activities.html": EMPLOYEE,
    "employees/work_plan.html": EMPLOYEE,
    "employees/scorecard.html": EMPLOYEE,
    "raters/inbox.html": RATER_FEED,
    "raters/feed.html": RATER_FEED,
    "raters/continuous_feedback.html": RATER_FEED,
    "raters/rating.html": RATER_RATING,
    "raters/plan.html": RATER_OTHERS,
    "raters/reject_activity.html": RATER_OTHERS,
    "raters/judgement.html": RATER_OTHERS,
    "raters/behaviour.html": RATER_OTHERS,
}


def page_routes() -> set[str]:
    """Every GET route of the web app: its own (probes, metrics) and each of its routers'."""
    settings = WebSettings(web_secret_key="page-table-secret-key-0123456789abcdef")
    app = build_app(build_context(settings))
    routes = [*app.routes, *(route for router in ROUTERS for route in router.routes)]
    return {route.path for route in routes if isinstance(route, APIRoute) and "GET" in (route.methods or ())}


def page_templates() -> set[str]:
    """Every template that is a whole page (the partials and components extend nothing)."""
    return {
        path.relative_to(TEMPLATES_DIR).as_posix()
        for path in TEMPLATES_DIR.rglob("*.html")
        if '{% extends "base.html" %}' in path.read_text(encoding="utf-8")
    }


def calls_check_page(reference: str) -> bool:
    """Whether ``module.py::test_name`` exists under tests/browser and calls ``check_page``."""
    module, _, name = reference.partition("::")
    path = BROWSER_TESTS / module
    if not path.is_file():
        return False
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.AsyncFunctionDef) and node.name == name:
            calls = (call for call in ast.walk(node) if isinstance(call, ast.Call))
            return any(isinstance(call.func, ast.Name) and call.func.id == "check_page" for call in calls)
    return False
