"""The organisation import over HTTP: its file format as the OpenAPI document states it (built from the
domain's lists), and the file read from the body or from a browser form."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from services.planning.domain.csv_import import COLUMNS, OPTIONAL_COLUMNS
from services.planning.domain.organisation import JobType, UnitKind
from shared.refusals import Refusal

_COLUMN_HELP: dict[str, str] = {
    "nip": "NIP, 18 digits",
    "name": "the employee's name",
    "unit_code": "code of the employee's unit, e.g. DISDIK-B1",
    "unit_name": "name of that unit",
    "unit_kind": f"one of {', '.join(kind.value for kind in UnitKind)}; without it a unit with no parent "
    "is an agency, else a section",
    "parent_unit_code": "code of the unit above (empty for an agency)",
    "position": "jabatan, e.g. Guru Ahli Pertama",
    "job_type": f"jenis jabatan, one of {', '.join(job.value for job in JobType)} (common Indonesian names "
    "such as guru are read as their code)",
    "supervisor_nip": "NIP of the direct supervisor (atasan langsung), in the file or already stored; "
    "empty for none",
    "effective_date": "the date the assignment holds from, YYYY-MM-DD",
}

_EXAMPLE = (
    f"{','.join(COLUMNS)}\n"
    "198209192012102676,Wulan Siregar,DISDIK-U001,SD Negeri 001,service_point,DISDIK,"
    "Guru Ahli Pertama,teacher,197503081995041415,2026-01-02\n"
)


def _description() -> str:
    lines = [
        "A BKPSDM export: one row per employee, a header row naming the columns in any order "
        "(unknown columns are ignored); ',', ';' or tab separated; UTF-8 or Windows-1252. "
        "Send it as the body (text/csv) or as the `file` field of a form (multipart/form-data).",
        "",
    ]
    for column in COLUMNS:
        optional = " (optional)" if column in OPTIONAL_COLUMNS else ""
        lines.append(f"- `{column}`{optional}: {_COLUMN_HELP[column]}")
    return "\n".join(lines)


#: The request body of ``POST /v1/imports/organisation`` in the OpenAPI document.
IMPORT_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": _description(),
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


async def uploaded_csv(request: Request) -> bytes:
    """The file: the body itself (text/csv), or the ``file`` field of a browser form (multipart)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Refusal("missing_file", "Send the CSV file as the form's 'file' field.", field="file")
        return await upload.read()
