"""Refusals raised by the planning domain, each naming the field at fault in English and Indonesian."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input (masalah): where it is, a stable code, and why in both languages."""

    field: str
    code: str
    message_en: str
    message_id: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message_en}"


class DomainError(Exception):
    """Base of every refusal raised by the planning domain; carries one or more problems."""

    def __init__(self, *problems: Problem) -> None:
        if not problems:
            raise ValueError("a DomainError needs at least one problem")
        self.problems: tuple[Problem, ...] = problems
        super().__init__("; ".join(str(problem) for problem in problems))

    @property
    def field(self) -> str:
        """Dotted path of the field named by the first problem."""
        return self.problems[0].field

    @property
    def code(self) -> str:
        """Stable machine-readable code of the first problem."""
        return self.problems[0].code

    @property
    def message_en(self) -> str:
        """English reason of the first problem."""
        return self.problems[0].message_en

    @property
    def message_id(self) -> str:
        """Indonesian reason (alasan) of the first problem."""
        return self.problems[0].message_id


class InvalidValueError(DomainError):
    """A value is malformed, missing or out of range (nilai tidak valid)."""


class InvalidNipError(InvalidValueError):
    """A NIP (Nomor Induk Pegawai) does not follow the 18-digit national format."""


class NotFoundError(DomainError):
    """A referenced employee, unit, result or template does not exist (tidak ditemukan)."""


class ConflictError(DomainError):
    """A new item clashes with an existing one, e.g. a duplicate or shadowing code (konflik)."""


class CrossRegionError(DomainError):
    """An operation would link data of two regions, which never see each other (lintas daerah)."""


class SupervisorCycleError(DomainError):
    """A supervisor assignment would make someone their own (indirect) supervisor (siklus atasan)."""

    def __init__(self, problem: Problem, cycle: tuple[str, ...]) -> None:
        super().__init__(problem)
        self.cycle = cycle


class PermissionDeniedError(DomainError):
    """The actor may not perform this operation (tidak berwenang)."""


class InvalidTransitionError(DomainError):
    """The operation is not allowed in the current status (status tidak mengizinkan)."""
