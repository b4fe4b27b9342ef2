"""My work plan (SKP) pages: draft, field errors in the person's language, edit, submit, revise."""

from __future__ import annotations

import pytest

from tests.conftest import auth
from tests.integration.web_employees import signed_in
from tests.integration.web_support import csrf_of, web_stack
from tests.region_clock import year_in

pytestmark = pytest.mark.integration
__all__ = ["web_stack"]


def _plan_form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "results": "1", "r0-indicators": "1", "r0-kind": "main"} | fields


async def test_an_employee_drafts_edits_and_submits_the_years_plan(web_stack) -> None:
    region = (await web_stack.create_region())["region_id"]
    employee = f"{region}-0-1"
    browser = await signed_in(web_stack, region, employee)
    year = year_in()

    empty = await browser.get("/saya/skp")
    assert empty.status_code == 200
    assert f"Anda belum memiliki SKP untuk {year}" in empty.text

    token = await csrf_of(browser, f"/saya/skp/baru?tahun={year}")
    # "Add another" posts back with one more blank block, keeping what was typed.
    grown = await browser.post(
        f"/saya/skp/baru?tahun={year}",
        data=_plan_form(token, **{"r0-text": "Layanan KTP-el", "action": "add-indicator-0"}),
    )
    assert grown.status_code == 200
    assert 'name="r0-i1-name"' in grown.text
    assert "Layanan KTP-el" in grown.text

    typed = _plan_form(
        token,
        **{
            "action": "save",
            "r0-text": "Layanan KTP-el tepat waktu",
            "r0-indicators": "2",
            "r0-i0-name": "KTP-el diterbitkan",
            "r0-i0-target": "1.200",
            "r0-i0-unit": "dokumen",
            "r0-i0-q1": "300",
            "r0-i0-q2": "300,5",
            "r0-i0-q3": "300",
            "r0-i0-q4": "299,5",
            "r0-i1-name": "Waktu tunggu",
            "r0-i1-target": "15",
            "r0-i1-unit": "menit",
            "r0-i1-direction": "lower_is_better",
        },
    )
    saved = await browser.post(f"/saya/skp/baru?tahun={year}", data=typed)
    assert saved.status_code == 303, saved.text[:2000]
    assert saved.headers["location"] == f"/saya/skp?tahun={year}&disimpan=1"

    plans = await web_stack.services["planning"].client.get(
        "/v1/work-plans",
        params={"employee_id": employee},
        headers=auth(web_stack.make_token("employee", region=region, employee=employee)),
    )
    [plan] = plans.json()
    indicators = plan["results"][0]["indicators"]
    assert [i["name"] for i in indicators] == ["KTP-el diterbitkan", "Waktu tunggu"]
    assert float(indicators[0]["target"]) == 1200
    assert {k: float(v) for k, v in indicators[0]["period_targets"].items()} == {
        f"{year}-Q1": 300,
        f"{year}-Q2": 300.5,
        f"{year}-Q3": 300,
        f"{year}-Q4": 299.5,
    }
    assert indicators[1]["direction"] == "lower_is_better"

    # Sent twice (a reload of the post): the first plan stays the only one.
    again = await browser.post(f"/saya/skp/baru?tahun={year}", data=typed)
    assert again.status_code == 303
    assert (
        len(
            (
                await web_stack.services["planning"].client.get(
                    "/v1/work-plans",
                    params={"employee_id": employee},
                    headers=auth(web_stack.make_token("employee", region=region, employee=employee)),
                )
            ).json()
        )
        == 1
    )

    shown = await browser.get(f"/saya/skp?tahun={year}")
    assert "Draf" in shown.text
    assert "1.200 dokumen" in shown.text
    assert "300,5" in shown.text

    edit = await browser.get(f"/saya/skp/{plan['plan_id']}/ubah")
    assert edit.status_code == 200
    assert 'value="1.200"' in edit.text
    assert f'value="{indicators[0]["indicator_id"]}"' in edit.text

    submitted = await browser.post(f"/saya/skp/{plan['plan_id']}/ajukan", data={"csrf_token": token})
    assert submitted.status_code == 303
    page = await browser.get(submitted.headers["location"])
    assert "Menunggu persetujuan" in page.text
    # A second press finds it submitted already: no error, nothing sent.
    twice = await browser.post(f"/saya/skp/{plan['plan_id']}/ajukan", data={"csrf_token": token})
    assert twice.status_code == 303


@pytest.mark.parametrize(
    ("language", "expected"),
    [("id", "Masukkan target sebagai angka"), ("en", "Enter the target as a number")],
)
async def test_bad_input_shows_each_fields_error_in_the_persons_language_and_keeps_what_was_typed(
    web_stack, language, expected
) -> None:
    region = (await web_stack.create_region())["region_id"]
    browser = await signed_in(web_stack, region, f"{region}-0-1")
    await browser.get(f"/bahasa/{language}?next=/")
    year = year_in()
    token = await csrf_of(browser, f"/saya/skp/baru?tahun={year}")
    refused = await browser.post(
        f"/saya/skp/baru?tahun={year}",
        data=_plan_form(
            token,
            **{"action": "save", "r0-text": "Layanan <b>", "r0-i0-name": "KTP-el", "r0-i0-target": "banyak"},
        ),
    )
    assert refused.status_code == 422
    assert expected in refused.text
    assert 'href="#r0-i0-target"' in refused.text  # the summary links to the field
    assert 'id="r0-i0-target-error"' in refused.text
    assert 'value="banyak"' in refused.text  # what was typed is kept
    assert "Layanan &lt;b&gt;" in refused.text
    plans = await web_stack.services["planning"].client.get(
        "/v1/work-plans",
        params={"employee_id": f"{region}-0-1"},
        headers=auth(web_stack.make_token("employee", region=region, employee=f"{region}-0-1")),
    )
    assert plans.json() == []

    # Without the visitor's CSRF token the form is refused.
    forged = await browser.post(f"/saya/skp/baru?tahun={year}", data={"csrf_token": "x", "results": "1"})
    assert forged.status_code == 403


RETURN_REASON = "Target terlalu rendah untuk loket ini.\nNaikkan menjadi 500."


async def test_a_returned_plan_shows_the_raters_reason_and_can_be_revised(web_stack) -> None:
    region = (await web_stack.create_region())["region_id"]
    employee, head = f"{region}-0-1", f"{region}-0-kepala"
    planning = web_stack.services["planning"].client
    staff = auth(web_stack.make_token("employee", region=region, employee=employee))
    plan = (
        await planning.post(
            "/v1/work-plans",
            headers=staff,
            json={
                "year": year_in(),
                "results": [
                    {
                        "text": "Layanan KTP-el",
                        "indicators": [{"name": "KTP-el", "target": 10, "unit_of_measure": "dokumen"}],
                    }
                ],
            },
        )
    ).json()
    await planning.post(f"/v1/work-plans/{plan['plan_id']}/submit", headers=staff)
    rejected = await planning.post(
        f"/v1/work-plans/{plan['plan_id']}/reject",
        json={"reason": RETURN_REASON},
        headers=auth(web_stack.make_token("employee,rater", region=region, employee=head)),
    )
    assert rejected.status_code == 200, rejected.text

    browser = await signed_in(web_stack, region, employee)
    page = await browser.get("/saya/skp")
    assert "Dikembalikan untuk diperbaiki" in page.text
    # The reason as the rater typed it: its line break kept by the page's style, not by markup.
    assert f'<span class="typed-text">{RETURN_REASON}</span>' in page.text
    token = await csrf_of(browser, "/saya/skp")
    revised = await browser.post(f"/saya/skp/{plan['plan_id']}/revisi", data={"csrf_token": token})
    assert revised.status_code == 303
    edit = await browser.get(revised.headers["location"])
    assert edit.status_code == 200
    assert "Layanan KTP-el" in edit.text


async def test_the_plan_pages_need_a_signed_in_employee(web_stack) -> None:
    answer = await web_stack.browser().get("/saya/skp")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/masuk?next=%2Fsaya%2Fskp"
