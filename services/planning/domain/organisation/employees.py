"""Employees (ASN) of a region, the positions they hold and the job types that pick their indicators."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from services.planning.domain.organisation.names import require_text, validate_region_id
from services.planning.domain.organisation.nip import Nip
from shared.refusals import Refusal


class JobType(StrEnum):
    """Kind of job (jenis jabatan) that decides which indicator templates apply."""

    TEACHER = "teacher"
    SCHOOL_SUPERVISOR = "school_supervisor"
    HEALTH_WORKER = "health_worker"
    FRONT_OFFICE_CLERK = "front_office_clerk"
    ID_CARD_REGISTRAR = "id_card_registrar"
    PERMIT_OFFICER = "permit_officer"
    STRUCTURAL_HEAD = "structural_head"
    GENERAL_STAFF = "general_staff"

    @property
    def name_id(self) -> str:
        """Indonesian name of the job type."""
        return _JOB_TYPE_NAMES_ID[self]

    @classmethod
    def parse(cls, text: str, field: str = "job_type") -> JobType:
        """Read a job type from its English code or a common Indonesian name ("guru", "kepala")."""
        key = re.sub(r"[\s\-]+", "_", text.strip().lower())
        try:
            return cls(key)
        except ValueError:
            pass
        found = _JOB_TYPE_ALIASES.get(key)
        if found is None:
            raise Refusal(
                "unknown_job_type",
                "unknown job type %(text)s; expected one of %(choices)s",
                field=field,
                params={"text": repr(text), "choices": ", ".join(t.value for t in cls)},
            )
        return found


_JOB_TYPE_NAMES_ID: dict[JobType, str] = {
    JobType.TEACHER: "Guru",
    JobType.SCHOOL_SUPERVISOR: "Pengawas Sekolah",
    JobType.HEALTH_WORKER: "Tenaga Kesehatan",
    JobType.FRONT_OFFICE_CLERK: "Petugas Pelayanan (Front Office)",
    JobType.ID_CARD_REGISTRAR: "Petugas Registrasi KTP-el",
    JobType.PERMIT_OFFICER: "Petugas Perizinan",
    JobType.STRUCTURAL_HEAD: "Kepala / Pejabat Struktural",
    JobType.GENERAL_STAFF: "Pelaksana / Staf Umum",
}

_JOB_TYPE_ALIASES: dict[str, JobType] = {
    "guru": JobType.TEACHER,
    "pengawas_sekolah": JobType.SCHOOL_SUPERVISOR,
    "tenaga_kesehatan": JobType.HEALTH_WORKER,
    "nakes": JobType.HEALTH_WORKER,
    "petugas_pelayanan": JobType.FRONT_OFFICE_CLERK,
    "front_office": JobType.FRONT_OFFICE_CLERK,
    "petugas_registrasi_ktp_el": JobType.ID_CARD_REGISTRAR,
    "petugas_registrasi_ktp": JobType.ID_CARD_REGISTRAR,
    "petugas_perizinan": JobType.PERMIT_OFFICER,
    "kepala": JobType.STRUCTURAL_HEAD,
    "head": JobType.STRUCTURAL_HEAD,
    "pejabat_struktural": JobType.STRUCTURAL_HEAD,
    "pelaksana": JobType.GENERAL_STAFF,
    "staf": JobType.GENERAL_STAFF,
    "staf_umum": JobType.GENERAL_STAFF,
}


@dataclass(frozen=True, slots=True)
class Position:
    """A position (jabatan) held by an employee; its job type selects the indicator templates."""

    title: str
    job_type: JobType

    def __post_init__(self) -> None:
        require_text(self.title, "position")


@dataclass(frozen=True, slots=True)
class Employee:
    """A civil servant (ASN / pegawai) of one region."""

    nip: Nip
    name: str
    region_id: str

    def __post_init__(self) -> None:
        require_text(self.name, "name")
        validate_region_id(self.region_id)
