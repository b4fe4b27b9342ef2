"""The NIP (Nomor Induk Pegawai): an employee's 18 digits, each group checked for what it encodes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from shared.refusals import Refusal

_NIP_LENGTH = 18
# UU ASN: applicants must be at least 18 when appointed; a NIP claiming otherwise is mistyped.
_MIN_APPOINTMENT_AGE = 18
_MIN_YEAR = 1900


class Sex(Enum):
    """Sex digit of a NIP (jenis kelamin): 1 male, 2 female."""

    MALE = "1"
    FEMALE = "2"


def nip_problem(text: str, field: str = "nip") -> Refusal | None:
    """Say precisely why `text` is not a valid 18-digit NIP, or None when it is valid."""

    if len(text) != _NIP_LENGTH or not text.isascii() or not text.isdigit():
        for index, char in enumerate(text, start=1):
            if not ("0" <= char <= "9"):
                return Refusal(
                    "nip_not_digits",
                    "NIP must contain only digits; %(char)s at position %(index)s",
                    field=field,
                    params={"char": repr(char), "index": index},
                )
        return Refusal(
            "nip_length", "NIP must have 18 digits, got %(count)s", field=field, params={"count": len(text)}
        )
    birth_part, appointment_part, sex_digit, sequence = text[:8], text[8:14], text[14], text[15:]
    try:
        birth = date(int(birth_part[:4]), int(birth_part[4:6]), int(birth_part[6:]))
    except ValueError:
        birth = None
    if birth is None or birth.year < _MIN_YEAR:
        return Refusal(
            "nip_birth_date",
            "NIP digits 1-8 must be a birth date yyyymmdd; %(birth_part)s is not a valid date",
            field=field,
            params={"birth_part": repr(birth_part)},
        )
    year, month = int(appointment_part[:4]), int(appointment_part[4:])
    if year < _MIN_YEAR or not 1 <= month <= 12:
        return Refusal(
            "nip_appointment",
            "NIP digits 9-14 must be an appointment month yyyymm; %(appointment_part)s is not valid",
            field=field,
            params={"appointment_part": repr(appointment_part)},
        )
    if (year, month) < (birth.year + _MIN_APPOINTMENT_AGE, birth.month):
        return Refusal(
            "nip_appointment_age",
            "NIP appointment %(appointment_part)s is before the 18th birthday of someone born %(birth)s",
            field=field,
            params={"appointment_part": appointment_part, "birth": birth.isoformat()},
        )
    if sex_digit not in ("1", "2"):
        return Refusal(
            "nip_sex",
            "NIP digit 15 must be 1 (male) or 2 (female), got %(sex_digit)s",
            field=field,
            params={"sex_digit": sex_digit},
        )
    if sequence == "000":
        return Refusal("nip_sequence", "NIP digits 16-18 (sequence number) must not be 000", field=field)
    return None


@dataclass(frozen=True, slots=True, order=True)
class Nip:
    """Nomor Induk Pegawai: birth yyyymmdd + appointment yyyymm + sex digit (1/2) + 3-digit sequence."""

    value: str

    def __post_init__(self) -> None:
        problem = nip_problem(self.value)
        if problem is not None:
            raise problem

    @classmethod
    def parse(cls, text: str, field: str = "nip") -> Nip:
        """Read a NIP as typed by people: spaces between its groups are ignored."""
        compact = "".join(text.split())
        problem = nip_problem(compact, field)
        if problem is not None:
            raise problem
        return cls(compact)

    @property
    def birth_date(self) -> date:
        """Date of birth encoded in digits 1-8."""
        return date(int(self.value[:4]), int(self.value[4:6]), int(self.value[6:8]))

    @property
    def appointment(self) -> tuple[int, int]:
        """Year and month of appointment (TMT CPNS/PPPK) encoded in digits 9-14."""
        return int(self.value[8:12]), int(self.value[12:14])

    @property
    def sex(self) -> Sex:
        """Sex encoded in digit 15."""
        return Sex(self.value[14])

    @property
    def sequence(self) -> int:
        """Sequence number encoded in digits 16-18."""
        return int(self.value[15:])

    def __str__(self) -> str:
        return self.value
