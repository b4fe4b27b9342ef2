"""Enums whose members carry an Indonesian and an English label for the people who read them.

A member is declared as ``CODE = "code", "Label dalam bahasa Indonesia", "English label"``: its
value is the stable code (stored, and sent in events and answers), its labels are for pages,
reports and refusals.
"""

from enum import StrEnum
from typing import Self

from shared.refusals import Label


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

    @property
    def label(self) -> Label:
        """The member's name in both languages (for a refusal's message)."""
        return Label(en=self.label_en, id=self.label_id)
