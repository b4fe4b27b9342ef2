"""The ids and names people type: a region's slug, a unit's code, a name that is not blank."""

from __future__ import annotations

import re

from shared.refusals import Refusal

_REGION_ID = re.compile(r"[a-z][a-z0-9-]{1,31}")
_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")


def validate_region_id(region_id: str, field: str = "region_id") -> None:
    """Refuse a region id that is not a short lowercase slug such as "medan"."""
    if not _REGION_ID.fullmatch(region_id):
        raise Refusal(
            "invalid_region_id",
            "region id %(region_id)s must be a lowercase slug of 2-32 characters (a-z, 0-9, '-')",
            field=field,
            params={"region_id": repr(region_id)},
        )


def is_unit_code(text: str) -> bool:
    """True for 1-40 characters of [A-Za-z0-9._/-] starting with a letter or digit."""
    return _UNIT_CODE.fullmatch(text) is not None


def validate_unit_code(code: str, field: str = "code") -> None:
    """Refuse a unit code that is empty, too long or uses characters outside [A-Za-z0-9._/-]."""
    if not is_unit_code(code):
        raise Refusal(
            "invalid_unit_code",
            "unit code %(code)s must be 1-40 characters of letters, digits, '.', '_', '/', '-'",
            field=field,
            params={"code": repr(code)},
        )


def require_text(value: str, field: str) -> None:
    """Refuse a blank name, naming its field."""
    if not value.strip():
        raise Refusal("missing_value", "%(field)s must not be empty", field=field, params={"field": field})
