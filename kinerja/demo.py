"""Demo data for ``make up``: the four regions of the seeds, with units, people and approved plans.

Loaded through the public HTTP APIs with development tokens, exactly as real clients would; a
second ``make up`` finds the regions already there and leaves them alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from shared.auth import Role, mint_dev_token
from shared.settings import ServiceSettings

REGIONS = {
    "belawan": ("Kecamatan Belawan", "Asia/Jakarta"),
    "gerunggang": ("Kecamatan Gerunggang", "Asia/Jakarta"),
    "medan": ("Kota Medan", "Asia/Jakarta"),
    "wanggar": ("Distrik Wanggar", "Asia/Jayapura"),
}

#: (unit code, unit name, job type, position, indicator name, unit of measure, annual target)
UNITS = [
    (
        "disdik",
        "Dinas Pendidikan",
        "school_supervisor",
        "Pengawas Sekolah",
        "Sekolah dikunjungi",
        "sekolah",
        48,
    ),
    (
        "dukcapil",
        "Dinas Kependudukan dan Catatan Sipil",
        "id_card_registrar",
        "Petugas Registrasi KTP-el",
        "KTP-el diterbitkan",
        "dokumen",
        2400,
    ),
    (
        "dpu",
        "Dinas Pelayanan Umum",
        "front_office_clerk",
        "Petugas Loket",
        "Berkas layanan diselesaikan",
        "berkas",
        1800,
    ),
]
STAFF_PER_UNIT = 3


def _nip(region_index: int, unit_index: int, person: int) -> str:
    """A well-formed 18-digit NIP (birth date, appointment month, sex, sequence)."""
    birth = f"19{80 + person:02d}0{1 + unit_index}1{region_index}"
    return f"{birth}2010{1 + person % 9:02d}{1 + person % 2}{100 + region_index * 10 + unit_index:03d}"


def load_demo(*, data_dir: Path, ports: dict[str, int]) -> str:
    """Create the demo regions (skipping any that exist); returns a one-line summary."""
    settings = ServiceSettings(data_dir=data_dir)
    year = datetime.now(UTC).year
    planning = f"http://127.0.0.1:{ports['planning']}"
    created = 0

    def token(roles: list[Role], region: str | None, employee: str | None = None) -> dict[str, str]:
        minted = mint_dev_token(
            settings, subject=employee or roles[0].value, roles=roles, region_id=region, employee_id=employee
        )
        return {"Authorization": f"Bearer {minted}"}

    with httpx.Client(base_url=planning, timeout=15) as http:
        for region_index, (region, (name, timezone)) in enumerate(REGIONS.items()):
            response = http.post(
                "/v1/regions",
                json={"region_id": region, "name": name, "timezone": timezone},
                headers=token([Role.PLATFORM_ADMIN], None),
            )
            if response.status_code == 409:
                continue
            response.raise_for_status()
            created += 1
            admin = token([Role.REGION_ADMIN], region)
            for unit_index, (code, unit_name, job_type, position, indicator, uom, target) in enumerate(UNITS):
                unit = http.post("/v1/units", json={"code": code, "name": unit_name}, headers=admin)
                unit.raise_for_status()
                unit_id = unit.json()["unit_id"]
                head = f"{region}-{code}-kepala"
                http.post(
                    "/v1/employees",
                    json={
                        "employee_id": head,
                        "nip": _nip(region_index, unit_index, 0),
                        "name": f"Kepala {unit_name}",
                        "unit_id": unit_id,
                        "position": f"Kepala {unit_name}",
                        "job_type": "head",
                        "effective_from": f"{year}-01-01",
                    },
                    headers=admin,
                ).raise_for_status()
                for person in range(1, STAFF_PER_UNIT + 1):
                    staff = f"{region}-{code}-{person}"
                    http.post(
                        "/v1/employees",
                        json={
                            "employee_id": staff,
                            "nip": _nip(region_index, unit_index, person),
                            "name": f"{position} {person}",
                            "unit_id": unit_id,
                            "position": position,
                            "job_type": job_type,
                            "supervisor_id": head,
                            "effective_from": f"{year}-01-01",
                        },
                        headers=admin,
                    ).raise_for_status()
                    quarter = target // 4
                    plan = http.post(
                        "/v1/work-plans",
                        json={
                            "year": year,
                            "results": [
                                {
                                    "text": f"{indicator} sesuai standar pelayanan",
                                    "indicators": [
                                        {
                                            "name": indicator,
                                            "unit_of_measure": uom,
                                            "target": target,
                                            "period_targets": {f"{year}-Q{q}": quarter for q in range(1, 5)},
                                        }
                                    ],
                                }
                            ],
                        },
                        headers=token([Role.EMPLOYEE], region, staff),
                    )
                    plan.raise_for_status()
                    plan_id = plan.json()["plan_id"]
                    http.post(
                        f"/v1/work-plans/{plan_id}/submit", headers=token([Role.EMPLOYEE], region, staff)
                    )
                    http.post(
                        f"/v1/work-plans/{plan_id}/approve",
                        headers=token([Role.EMPLOYEE, Role.RATER], region, head),
                    ).raise_for_status()
    people = len(UNITS) * (STAFF_PER_UNIT + 1)
    return (
        f"demo data: {created} region(s) created ({len(REGIONS) - created} already there); "
        f"each has {len(UNITS)} units and {people} employees with approved plans. "
        f"Try: kinerja token --role employee --region medan --employee medan-dukcapil-1"
    )
