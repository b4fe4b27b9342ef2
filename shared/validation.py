"""Validation errors in both languages: pydantic's own messages, and the platform's checks.

Pydantic words its messages in English only. Every error the platform answers carries an
Indonesian message too, so each of pydantic's error types the services can meet is worded here
from the error's context (the limit, the pattern, the choices), and the platform's own checks
raise ``invalid(english, indonesian)`` instead of a bare ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import PydanticCustomError

#: The error type of the platform's own checks; their Indonesian text travels in the context.
OWN_CHECK = "invalid_value"

_DATE = "harus berupa tanggal (YYYY-MM-DD)"
_DATETIME = "harus berupa waktu ISO 8601 (mis. 2026-07-01T08:30:00+07:00)"
_INTEGER = "harus berupa bilangan bulat"
_NUMBER = "harus berupa angka"
_OBJECT = "harus berupa objek JSON"

#: Indonesian wording per pydantic error type; ``{name}`` takes the error's context value.
INDONESIAN: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "tidak dikenal; hapus kolom ini",
    "json_invalid": "bukan JSON yang sah",
    "json_type": "harus berupa teks JSON",
    "string_type": "harus berupa teks",
    "string_unicode": "harus berupa teks Unicode yang sah",
    "string_too_short": "minimal {min_length} karakter",
    "string_too_long": "maksimal {max_length} karakter",
    "string_pattern_mismatch": "tidak sesuai pola {pattern}",
    "string_not_ascii": "hanya boleh berisi karakter ASCII",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_parsing_size": "bilangan terlalu besar",
    "int_from_float": "harus berupa bilangan bulat, bukan pecahan",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": "harus berupa angka terhingga",
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_max_digits": "paling banyak {max_digits} digit",
    "decimal_max_places": "paling banyak {decimal_places} angka di belakang koma",
    "decimal_whole_digits": "paling banyak {whole_digits} digit di depan koma",
    "bool_type": "harus bernilai true atau false",
    "bool_parsing": "harus bernilai true atau false",
    "greater_than": "harus lebih besar dari {gt}",
    "greater_than_equal": "harus paling sedikit {ge}",
    "less_than": "harus lebih kecil dari {lt}",
    "less_than_equal": "harus paling banyak {le}",
    "multiple_of": "harus kelipatan {multiple_of}",
    "too_short": "harus berisi paling sedikit {min_length} butir",
    "too_long": "harus berisi paling banyak {max_length} butir",
    "list_type": "harus berupa daftar",
    "tuple_type": "harus berupa daftar",
    "set_type": "harus berupa daftar tanpa duplikat",
    "frozen_set_type": "harus berupa daftar tanpa duplikat",
    "set_item_not_hashable": "berisi butir yang tidak dapat dibandingkan",
    "iterable_type": "harus berupa daftar",
    "dict_type": _OBJECT,
    "mapping_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
    "enum": "harus salah satu dari {expected}",
    "literal_error": "harus salah satu dari {expected}",
    "none_required": "harus kosong (null)",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "harus berupa tanggal tanpa jam",
    "date_past": "harus tanggal yang sudah lewat",
    "date_future": "harus tanggal yang akan datang",
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_past": "harus waktu yang sudah lewat",
    "datetime_future": "harus waktu yang akan datang",
    "timezone_naive": "harus tanpa zona waktu",
    "timezone_aware": "harus menyertakan zona waktu (mis. +07:00)",
    "timezone_offset": "zona waktunya harus {tz_expected}",
    "time_type": "harus berupa jam (HH:MM)",
    "time_parsing": "harus berupa jam (HH:MM)",
    "time_delta_type": "harus berupa durasi",
    "time_delta_parsing": "harus berupa durasi",
    "uuid_type": "harus berupa UUID",
    "uuid_parsing": "harus berupa UUID",
    "uuid_version": "harus berupa UUID versi {expected_version}",
    "url_type": "harus berupa URL",
    "url_parsing": "harus berupa URL yang sah",
    "url_syntax_violation": "harus berupa URL yang sah",
    "url_too_long": "URL paling panjang {max_length} karakter",
    "url_scheme": "URL harus diawali {expected_schemes}",
    "bytes_type": "harus berupa data biner",
    "bytes_too_short": "minimal {min_length} bita",
    "bytes_too_long": "maksimal {max_length} bita",
    "union_tag_invalid": "jenis {tag} tidak dikenal; harus salah satu dari {expected_tags}",
    "union_tag_not_found": "kolom {discriminator} wajib diisi",
    "recursion_loop": "berisi rujukan yang berputar",
    "recursion_depth_exceeded": "terlalu dalam bersarang",
}
FALLBACK = "nilai tidak sah"


def invalid(message_en: str, message_id: str) -> PydanticCustomError:
    """A validator's refusal in both languages (raise it where a validator would raise ValueError)."""
    return PydanticCustomError(OWN_CHECK, "{message}", {"message": message_en, "message_id": message_id})


def contains_nul(value: Any) -> bool:
    """Whether a text, or any key or item of a JSON object or list, holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def nul_refused() -> PydanticCustomError:
    """The refusal of a text holding a NUL character (a field's, a path's or a query's parameter's)."""
    return invalid("text must not contain NUL characters", "teks tidak boleh berisi karakter NUL")


def without_nul(value: Any) -> Any:
    """The value unchanged, refused if it holds a NUL character anywhere (a validator's check).

    PostgreSQL text cannot hold NUL: refused here it is a clear 422 naming the field instead of
    the database's error.
    """
    if contains_nul(value):
        raise nul_refused()
    return value


class _KeepUnknown(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def indonesian(error: dict[str, Any]) -> str:
    """The Indonesian wording of one pydantic error."""
    context = error.get("ctx") or {}
    if error.get("type") == OWN_CHECK and "message_id" in context:
        return str(context["message_id"])
    template = INDONESIAN.get(str(error.get("type")), FALLBACK)
    return template.format_map(_KeepUnknown(context))


def field_of(error: dict[str, Any], *, skip: int = 0) -> str | None:
    """The dotted field an error names (``skip`` drops leading parts such as ``body``)."""
    return ".".join(str(part) for part in error.get("loc", ())[skip:]) or None


def describe(
    errors: Sequence[Any], *, skip: int = 0, subject: tuple[str, str] = ("request", "permintaan")
) -> dict[str, Any]:
    """The platform's error body for validation errors: the first one worded, up to 20 in details.

    ``subject`` names, in English and Indonesian, what is invalid when the error names no field.
    """
    first = errors[0] if errors else {"msg": "invalid input", "type": ""}
    field = field_of(first, skip=skip)
    return {
        "code": "invalid_input",
        "field": field,
        "message": f"{field or subject[0]}: {first.get('msg', 'invalid input')}",
        "message_id": f"{field or subject[1]}: {indonesian(first)}",
        "details": [
            {"field": field_of(error), "message": error.get("msg"), "message_id": indonesian(error)}
            for error in errors[:20]
        ],
    }
