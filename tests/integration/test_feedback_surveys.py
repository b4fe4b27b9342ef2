"""Feedback surveys (SKM) against real PostgreSQL and Redis: services, periods, index, sample, report."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from services.feedback.domain.periods import period_at
from services.feedback.domain.satisfaction import ServiceItem
from shared.contracts import Envelope
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityReported
from shared.db import restrict_to_region
from shared.runtime import build_app
from tests.conftest import apply_event, auth, new_region_id, outbox_payloads
from tests.region_clock import year_in

pytestmark = pytest.mark.integration

ALL_ITEMS = tuple(item.value for item in ServiceItem)


def scores(*values: int) -> dict[str, int]:
    """Scores for the nine items in regulation order."""
    return dict(zip(ALL_ITEMS, values, strict=True))


def citizen(service: Any, address: str | None = None) -> httpx.AsyncClient:
    """A client calling from its own address, so rate limits of other tests never interfere."""
    address = address or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    app = build_app(service.definition, service.context)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://test"
    )


async def apply(service: Any, region: str, *events: Any) -> None:
    """Apply planning/reporting events through the service's own handlers in one region transaction."""
    handlers = service.definition.handlers(service.context)
    async with service.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region)
        for event in events:
            envelope = Envelope.wrap(event, producer="test")
            await apply_event(handlers[type(event)], session, service.context.outbox, event, envelope)


async def seed_region(
    service: Any,
    region: str,
    *,
    timezone: str = "Asia/Jakarta",
    units: tuple[str, ...] = ("dukcapil",),
    employees: tuple[tuple[str, str, str | None], ...] = (),
) -> dict[str, str]:
    """A region with units and employees (id, unit, supervisor); returns unit ids by short name."""
    unit_ids = {name: f"{region}-{name}" for name in units}
    events: list[Any] = [RegionRegistered(region_id=region, name="Kota Uji", timezone=timezone)]
    events += [
        UnitUpserted(region_id=region, unit_id=unit_id, code=name, name=f"Dinas {name}", kind="office")
        for name, unit_id in unit_ids.items()
    ]
    events += [
        EmployeeUpserted(
            region_id=region,
            employee_id=employee_id,
            nip=f"19900101201503{index:04d}",
            name=f"Pegawai {employee_id}",
            unit_id=unit_ids[unit],
            position="Petugas",
            job_type="clerk",
            supervisor_id=supervisor,
            effective_from=date(2026, 1, 1),
        )
        for index, (employee_id, unit, supervisor) in enumerate(employees)
    ]
    await apply(service, region, *events)
    return unit_ids


def approved_plan(region: str, employee: str, rater: str, unit_id: str, result_id: str) -> WorkPlanApproved:
    """An approved plan with one planned result."""
    return WorkPlanApproved(
        region_id=region,
        plan_id=f"plan-{employee}",
        employee_id=employee,
        rater_id=rater,
        unit_id=unit_id,
        job_type="clerk",
        year=year_in("Asia/Jakarta"),  # seed_region's default zone
        version=1,
        results=[
            PlannedResultSnapshot(
                result_id=result_id,
                kind="main",
                text="KTP-el diterbitkan tepat waktu",
                indicators=[
                    IndicatorSnapshot(
                        indicator_id=f"ind-{result_id}",
                        name="KTP-el diterbitkan",
                        aspect="quantity",
                        direction="higher_is_better",
                        aggregation="sum",
                        unit_of_measure="dokumen",
                    )
                ],
            )
        ],
    )


def activity(region: str, employee: str, result_id: str, activity_id: str) -> ActivityReported:
    """A reported activity on a planned result."""
    return ActivityReported(
        region_id=region,
        activity_id=activity_id,
        employee_id=employee,
        plan_id=f"plan-{employee}",
        result_id=result_id,
        indicator_id=f"ind-{result_id}",
        occurred_at=datetime.now(UTC),
        quantity=10,
        description="Menerbitkan 10 KTP-el",
    )


async def test_a_school_survey_counts_in_the_regions_period_and_flags_a_small_sample(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(feedback, region, timezone="Asia/Jayapura", units=("sd-negeri-1",))
    unit = units["sd-negeri-1"]
    admin = make_token("region_admin", region=region)
    declared = await feedback.client.post(
        f"/v1/units/{unit}/services",
        json={"service_id": "parents", "name": "Layanan sekolah", "survey_kind": "school_parents"},
        headers=auth(admin),
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["survey_kind_label_id"] == "Survei kepuasan orang tua/wali murid"

    async with citizen(feedback) as client:
        for values in ((4, 4, 3, 3, 4, 3, 4, 3, 2), (3, 3, 3, 4, 4, 3, 4, 3, 2)):
            response = await client.post(
                f"/v1/public/regions/{region}/units/{unit}/survey-responses",
                json={
                    "scores": scores(*values),
                    "service_id": "parents",
                    "respondent": {"age_band": "30_39", "sex": "female", "education": "bachelor"},
                },
            )
            assert response.status_code == 201, response.text
    receipt = response.json()
    expected_period = period_at(datetime.now(UTC), timezone="Asia/Jayapura").key
    assert receipt["period"] == expected_period
    assert receipt["survey_kind"] == "school_parents"

    reported = await feedback.client.put(
        f"/v1/units/{unit}/service-users",
        json={"period": expected_period, "service_id": "parents", "service_users": 100},
        headers=auth(admin),
    )
    assert reported.status_code == 200, reported.text
    index = reported.json()["index"]
    assert index["respondents"] == 2
    assert index["required_sample"] == 80
    assert index["sample_adequate"] is False
    assert index["sample_shortfall"] == 78

    live = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction",
        params={"period": expected_period, "service_id": "parents"},
        headers=auth(make_token("auditor", region=region)),
    )
    assert live.status_code == 200, live.text
    body = live.json()
    assert body["items"][0]["mean"] == "3.50"
    assert body["index"] == index["index"]
    changed = await outbox_payloads(feedback, region, "SatisfactionIndexChanged")
    assert changed[-1]["sample_adequate"] is False
    assert changed[-1]["required_sample"] == 80
    accepted = await outbox_payloads(feedback, region, "SurveyResponseAccepted")
    assert [event["survey_kind"] for event in accepted] == ["school_parents", "school_parents"]


async def test_bad_answers_are_refused_in_both_languages_and_change_nothing(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    url = f"/v1/public/regions/{region}/units/{unit}/survey-responses"
    async with citizen(feedback) as client:
        out_of_range = await client.post(url, json={"scores": scores(4, 4, 4, 4, 4, 4, 4, 4, 5)})
        missing = await client.post(url, json={"scores": dict(list(scores(*[3] * 9).items())[:8])})
        unknown_service = await client.post(url, json={"scores": scores(*[3] * 9), "service_id": "nope"})
        too_long = await client.post(url, json={"scores": scores(*[3] * 9), "comment": "x" * 2001})
        nul = await client.post(url, json={"scores": scores(*[3] * 9), "comment": "a\x00b"})
        other_region = await client.post(
            f"/v1/public/regions/{new_region_id()}/units/{unit}/survey-responses",
            json={"scores": scores(*[3] * 9)},
        )

    assert out_of_range.status_code == 422
    error = out_of_range.json()["error"]
    assert error["field"] == "scores.complaint_handling"
    assert "antara 1 dan 4" in error["message_id"]
    assert "between 1 and 4" in error["message"]
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "missing_items"
    assert "complaint_handling" in missing.json()["error"]["message_id"]
    assert unknown_service.status_code == 404
    assert unknown_service.json()["error"]["field"] == "service_id"
    assert too_long.status_code == 422
    assert nul.status_code == 422
    assert nul.json()["error"]["field"] == "comment"
    assert other_region.status_code == 404
    assert await outbox_payloads(feedback, region, "SurveyResponseAccepted") == []


async def test_the_skm_report_lists_every_respondent_the_item_means_the_index_and_the_comments(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    answers = (
        ((4, 4, 3, 3, 4, 3, 4, 3, 2), "Pelayanan cepat"),
        ((3, 3, 3, 4, 4, 3, 4, 3, 2), '=HYPERLINK("http://evil")'),
        ((4, 3, 3, 4, 4, 4, 4, 3, 3), None),
        ((3, 3, 2, 4, 4, 3, 4, 3, 3), "Antrean terlalu panjang"),
    )
    for values, comment in answers:
        async with citizen(feedback) as client:  # four citizens: one may answer a unit thrice a day
            response = await client.post(
                f"/v1/public/regions/{region}/units/{unit}/survey-responses",
                json={"scores": scores(*values), "comment": comment, "respondent": {"occupation": "student"}},
            )
            assert response.status_code == 201, response.text
    period = response.json()["period"]
    admin = make_token("region_admin", region=region)

    report = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction/report.csv", params={"period": period}, headers=auth(admin)
    )

    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    by_label = {row[0]: row[1:] for row in rows if row}
    assert by_label["Jumlah responden / Respondents"] == ["4"]
    header = rows.index(
        [
            "No",
            "Waktu / Time",
            "Umur / Age",
            "Jenis kelamin / Sex",
            "Pendidikan / Education",
            "Pekerjaan / Occupation",
            "U1",
            "U2",
            "U3",
            "U4",
            "U5",
            "U6",
            "U7",
            "U8",
            "U9",
            "Tiket / Ticket",
        ]
    )
    respondents = rows[header + 1 : header + 5]
    assert [row[6:15] for row in respondents] == [[str(v) for v in values] for values, _ in answers]
    assert all(row[15] == "tidak / no" for row in respondents)
    assert all(row[5] == "student" for row in respondents)
    assert by_label["Jumlah nilai / Sum of scores"] == ["14", "13", "11", "15", "16", "13", "16", "12", "10"]
    assert by_label["NRR per unsur / Mean per item"] == [
        "3.500",
        "3.250",
        "2.750",
        "3.750",
        "4.000",
        "3.250",
        "4.000",
        "3.000",
        "2.500",
    ]
    assert by_label["NRR tertimbang (NRR x 1/9) / Weighted mean"][0] == "0.389"
    # (120 / 4 / 9) x 25 = 83.333... -> 83.33, grade B.
    assert by_label["IKM unit pelayanan / Satisfaction index (x 25)"] == ["83.33"]
    assert by_label["Mutu pelayanan / Grade"] == ["B", "Baik / Good"]
    priorities = rows[rows.index(["Peringkat / Rank", "Unsur / Item", "Uraian / Description", "NRR"]) + 1 :][
        :3
    ]
    assert [row[1] for row in priorities] == ["U9", "U3", "U8"]
    comments = rows[rows.index(["No", "Komentar / Comment"]) + 1 :]
    assert [row[1] for row in comments] == [
        "Pelayanan cepat",
        '\'=HYPERLINK("http://evil")',
        "Antrean terlalu panjang",
    ]

    page = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction/report.html", params={"period": period}, headers=auth(admin)
    )
    assert page.status_code == 200
    assert "LAPORAN SURVEI KEPUASAN MASYARAKAT" in page.text
    assert "83.33" in page.text
    assert "&quot;http://evil&quot;" in page.text


async def test_a_rater_reads_the_satisfaction_and_skm_report_of_their_own_unit_only(
    start_service, make_token
):
    # The rule of scoring's unit dashboards: administrators and auditors every unit, a rater their own.
    feedback = await start_service("feedback")
    region = new_region_id()
    rater = f"{region}-rater"
    units = await seed_region(
        feedback, region, units=("dukcapil", "pelayanan"), employees=((rater, "pelayanan", None),)
    )
    async with citizen(feedback) as client:
        for unit in units.values():
            answered = await client.post(
                f"/v1/public/regions/{region}/units/{unit}/survey-responses",
                json={"scores": scores(4, 4, 3, 3, 4, 3, 4, 3, 2), "comment": "Ramah"},
            )
            assert answered.status_code == 201, answered.text
    period = answered.json()["period"]
    readers = {
        "rater": auth(make_token("employee,rater", region=region, employee=rater)),
        "auditor": auth(make_token("auditor", region=region)),
        "admin": auth(make_token("region_admin", region=region)),
    }
    paths = ("satisfaction", "satisfaction/services", "satisfaction/report.csv", "satisfaction/report.html")
    for path in paths:
        for who, headers in readers.items():
            for name, unit in units.items():
                response = await feedback.client.get(
                    f"/v1/units/{unit}/{path}", params={"period": period}, headers=headers
                )
                if who == "rater" and name == "dukcapil":
                    assert response.status_code == 403, (path, response.text)
                    assert response.json()["error"]["code"] == "not_your_unit"
                    assert "Ramah" not in response.text
                else:
                    assert response.status_code == 200, (who, name, path, response.text)
