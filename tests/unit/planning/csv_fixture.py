"""Deterministic generator of realistic BKPSDM structure-and-employee CSV files, some rows broken."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.planning.domain.csv_import import COLUMNS
from services.planning.domain.organisation import Nip

_MALE_NAMES = ("Budi", "Agus", "Ahmad", "Rudi", "Hendra", "Fajar", "Dedi", "Rizky", "Andi", "Bambang", "Joko")
_FEMALE_NAMES = ("Siti", "Dewi", "Sri", "Ratna", "Nur", "Putri", "Rina", "Yuni", "Lestari", "Indah", "Wulan")
_FAMILY_NAMES = (
    "Santoso", "Siregar", "Nasution", "Lubis", "Harahap", "Simanjuntak", "Hasibuan", "Rahmawati",
    "Pratama", "Wibowo", "Saragih", "Ginting", "Tarigan", "Hutagalung", "Sembiring", "Kusuma",
)  # fmt: skip
_DEGREES = ("", "", "", ", S.Pd.", ", S.Kep.", ", S.E.", ", S.H.", ", A.Md.", ", S.Sos.")
_KECAMATAN = ("Medan Kota", "Medan Baru", "Medan Johor", "Medan Deli", "Medan Belawan", "Medan Tuntungan")


@dataclass(frozen=True)
class _Agency:
    code: str
    name: str
    sections: tuple[str, ...]
    service_point: str
    staff_job_types: tuple[str, ...]
    staff_position: str


_AGENCIES = (
    _Agency(
        "DISDIK", "Dinas Pendidikan", ("Bidang Pembinaan SD", "Bidang Pembinaan SMP"),
        "SD Negeri {n:03d}", ("teacher", "teacher", "teacher", "general_staff"), "Guru Ahli Pertama",
    ),
    _Agency(
        "DINKES", "Dinas Kesehatan", ("Bidang Pelayanan Kesehatan", "Bidang Kesehatan Masyarakat"),
        "Puskesmas {kecamatan}", ("health_worker", "health_worker", "front_office_clerk"), "Perawat Terampil",
    ),
    _Agency(
        "DISDUKCAPIL", "Dinas Kependudukan dan Catatan Sipil", ("Bidang Pelayanan Pendaftaran Penduduk",),
        "UPT Dukcapil Kecamatan {kecamatan}", ("id_card_registrar", "front_office_clerk"),
        "Pengadministrasi Registrasi",
    ),
    _Agency(
        "DPMPTSP", "Dinas Penanaman Modal dan PTSP", ("Bidang Perizinan", "Bidang Pengaduan"),
        "Loket Perizinan {n:02d}", ("permit_officer", "front_office_clerk"), "Analis Perizinan",
    ),
    _Agency(
        "DISPU", "Dinas Pelayanan Umum", ("Bidang Pelayanan Administrasi",),
        "Loket Kelurahan {n:02d}", ("front_office_clerk", "general_staff"), "Petugas Pelayanan",
    ),
)  # fmt: skip

BREAKAGES: tuple[str, ...] = (
    "invalid_nip",
    "unknown_job_type",
    "duplicate_nip",
    "unknown_supervisor",
    "supervisor_cycle",
    "unknown_parent_unit",
    "invalid_date",
    "missing_value",
)
"""Kinds of broken rows, used round-robin; duplicate_nip and supervisor_cycle each break two rows."""


@dataclass(frozen=True)
class GeneratedCsv:
    """A generated file with the rejections a correct validator must report."""

    text: str
    region_id: str
    row_count: int
    expected_rejections: dict[int, frozenset[str]] = field(default_factory=dict)
    """Row number (header is row 1) to the problem codes expected on that row."""
    existing_employees: dict[Nip, Nip | None] = field(default_factory=dict)


class _NipFactory:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def __call__(self) -> str:
        while True:
            birth = date(1965, 1, 1) + timedelta(days=self._rng.randrange(35 * 365))
            year = min(birth.year + self._rng.randint(20, 32), 2024)
            value = (
                f"{birth:%Y%m%d}{year}{self._rng.randint(1, 12):02d}"
                f"{self._rng.choice('12')}{self._rng.randint(1, 999):03d}"
            )
            if value not in self._seen:
                self._seen.add(value)
                return value


def generate_structure_csv(
    n_rows: int, *, broken_fraction: float = 0.0, seed: int = 0, region_id: str = "medan"
) -> GeneratedCsv:
    """A shuffled CSV of `n_rows` employees of a region; about `broken_fraction` of them broken."""
    if n_rows < 40:
        raise ValueError("need at least 40 rows to build a realistic structure")
    rng = random.Random(seed)
    new_nip = _NipFactory(rng)
    secretary = new_nip()  # Sekretaris Daerah: already in the platform, heads the agency heads.
    rows: list[dict[str, str]] = []

    def person(job_type: str) -> tuple[str, str]:
        nip = new_nip()
        first = rng.choice(_FEMALE_NAMES if nip[14] == "2" else _MALE_NAMES)
        degree = rng.choice(_DEGREES) if job_type != "structural_head" else ", M.Si."
        return nip, f"{first} {rng.choice(_FAMILY_NAMES)}{degree}"

    def add(unit: tuple[str, str, str, str], position: str, job_type: str, supervisor: str) -> dict[str, str]:
        nip, name = person(job_type)
        code, unit_name, kind, parent = unit
        row = {
            "nip": nip,
            "name": name,
            "unit_code": code,
            "unit_name": unit_name,
            "unit_kind": kind,
            "parent_unit_code": parent,
            "position": position,
            "job_type": job_type,
            "supervisor_nip": supervisor,
            "effective_date": (date(2025, 1, 2) + timedelta(days=rng.randrange(60))).isoformat(),
        }
        rows.append(row)
        return row

    section_heads: list[tuple[_Agency, tuple[str, str, str, str], str]] = []
    for agency in _AGENCIES:
        agency_unit = (agency.code, agency.name, "agency", "")
        head = add(agency_unit, f"Kepala {agency.name}", "structural_head", secretary)
        for number, section_name in enumerate(agency.sections, start=1):
            section_unit = (f"{agency.code}-B{number}", section_name, "section", agency.code)
            section_head = add(section_unit, f"Kepala {section_name}", "structural_head", head["nip"])
            section_heads.append((agency, section_unit, section_head["nip"]))

    staff: list[dict[str, str]] = []
    point_number = 0
    while len(rows) < n_rows:
        agency, section, section_head_nip = section_heads[point_number % len(section_heads)]
        point_number += 1
        name = agency.service_point.format(
            n=point_number, kecamatan=_KECAMATAN[point_number % len(_KECAMATAN)]
        )
        unit = (f"{agency.code}-U{point_number:03d}", name, "service_point", section[0])
        point_head = add(unit, f"Kepala {name}", "structural_head", section_head_nip)
        for _ in range(rng.randint(6, 15)):
            if len(rows) >= n_rows:
                break
            staff.append(
                add(unit, agency.staff_position, rng.choice(agency.staff_job_types), point_head["nip"])
            )

    expected = _break_rows(rng, staff, round(n_rows * broken_fraction), new_nip)
    rng.shuffle(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row[column] for column in COLUMNS] for row in rows)
    by_identity = {id(row): number for number, row in enumerate(rows, start=2)}
    return GeneratedCsv(
        text=buffer.getvalue(),
        region_id=region_id,
        row_count=len(rows),
        expected_rejections={by_identity[key]: codes for key, codes in expected.items()},
        existing_employees={Nip(secretary): None},
    )


def _break_rows(
    rng: random.Random, staff: list[dict[str, str]], events: int, new_nip: _NipFactory
) -> dict[int, frozenset[str]]:
    """Break `events` groups of leaf rows in place; returns id(row) to the expected problem codes."""
    kinds = [BREAKAGES[i % len(BREAKAGES)] for i in range(events)]
    needed = sum(2 if kind in ("duplicate_nip", "supervisor_cycle") else 1 for kind in kinds)
    # Staff rows supervise nobody, so breaking them never cascades to other rows.
    victims = iter(rng.sample(staff, needed))
    expected: dict[int, frozenset[str]] = {}
    for number, kind in enumerate(kinds):
        row = next(victims)
        if kind == "invalid_nip":
            nip = row["nip"]
            variant = number % 3
            if variant == 0:
                row["nip"], code = nip[:4] + "13" + nip[6:], "nip_birth_date"
            elif variant == 1:
                row["nip"], code = nip[:-1], "nip_length"
            else:
                row["nip"], code = nip[:14] + "3" + nip[15:], "nip_sex"
            expected[id(row)] = frozenset({code})
        elif kind == "unknown_job_type":
            row["job_type"] = "astronot"
            expected[id(row)] = frozenset({"unknown_job_type"})
        elif kind == "duplicate_nip":
            twin = next(victims)
            twin["nip"] = row["nip"]
            expected[id(row)] = expected[id(twin)] = frozenset({"duplicate_nip"})
        elif kind == "unknown_supervisor":
            row["supervisor_nip"] = new_nip()
            expected[id(row)] = frozenset({"unknown_supervisor"})
        elif kind == "supervisor_cycle":
            partner = next(victims)
            row["supervisor_nip"], partner["supervisor_nip"] = partner["nip"], row["nip"]
            expected[id(row)] = expected[id(partner)] = frozenset({"supervisor_cycle"})
        elif kind == "unknown_parent_unit":
            row.update(
                unit_code=f"ORPHAN-{number}",
                unit_name=f"Unit Tanpa Induk {number}",
                unit_kind="service_point",
                parent_unit_code=f"HILANG-{number}",
            )
            expected[id(row)] = frozenset({"unknown_parent_unit"})
        elif kind == "invalid_date":
            row["effective_date"] = "2025-02-30"
            expected[id(row)] = frozenset({"invalid_date"})
        else:
            row["name"] = "  "
            expected[id(row)] = frozenset({"missing_value"})
    return expected
