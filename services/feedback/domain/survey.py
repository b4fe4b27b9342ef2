"""Who answered a survey and about what: survey kinds and the respondent profile of the SKM form.

The respondent profile follows the questionnaire of PermenPANRB 14/2017 (umur, jenis kelamin,
pendidikan, pekerjaan); every part of it is optional, because the survey is anonymous and a
citizen may leave any of it blank.
"""

from __future__ import annotations

from enum import StrEnum

from shared.labels import LabelledEnum


class SurveyKind(LabelledEnum):
    """What kind of service a survey asks about, and so who answers it."""

    PUBLIC_SERVICE = "public_service", "Survei kepuasan layanan publik"  # a counter, an office
    SCHOOL_PARENTS = "school_parents", "Survei kepuasan orang tua/wali murid"  # about a school
    CLINIC_PATIENTS = "clinic_patients", "Survei kepuasan pasien"  # about a puskesmas or clinic


class AgeBand(StrEnum):
    """Umur responden."""

    UNDER_20 = "under_20"
    FROM_20_TO_29 = "20_29"
    FROM_30_TO_39 = "30_39"
    FROM_40_TO_49 = "40_49"
    FROM_50_TO_59 = "50_59"
    SIXTY_AND_OVER = "60_plus"


class Sex(StrEnum):
    """Jenis kelamin (L/P)."""

    MALE = "male"
    FEMALE = "female"


class Education(StrEnum):
    """Pendidikan terakhir, in the bands of the regulation's form."""

    PRIMARY_OR_LESS = "primary_or_less"  # SD ke bawah
    JUNIOR_SECONDARY = "junior_secondary"  # SMP
    SENIOR_SECONDARY = "senior_secondary"  # SMA
    DIPLOMA = "diploma"  # D1-D3
    BACHELOR = "bachelor"  # D4/S1
    POSTGRADUATE = "postgraduate"  # S2 ke atas


class Occupation(StrEnum):
    """Pekerjaan utama."""

    CIVIL_SERVANT = "civil_servant"  # PNS
    MILITARY = "military"  # TNI
    POLICE = "police"  # POLRI
    PRIVATE_EMPLOYEE = "private_employee"  # pegawai swasta
    ENTREPRENEUR = "entrepreneur"  # wirausaha
    STUDENT = "student"  # pelajar/mahasiswa
    OTHER = "other"  # lainnya
