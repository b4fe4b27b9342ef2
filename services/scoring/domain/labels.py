"""Enums whose members carry an Indonesian and an English label for user-facing text."""

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """String enum: the value is a stable code, the labels are for people."""

    label_id: str
    label_en: str

    def __new__(cls, value: str, label_id: str = "", label_en: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_id = label_id or value
        member.label_en = label_en or value
        return member
