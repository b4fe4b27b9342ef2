"""The work plan (SKP) form without JavaScript: flat field names for nested results and indicators.

A plan is results (RHK) each with indicators (IKI). The form names each field by position
(``r0-text``, ``r0-i1-target``, ``r0-i1-q3``) and carries how many results and indicators it shows;
"add a result" and "add an indicator" post the form back with one more blank block (GOV.UK's "add
another" pattern), so nothing needs a script. Blank blocks are ignored when the plan is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.web.entrypoints.employees.common import parse_number

#: The period split offered in the form: the national default (quarters) of PermenPANRB 6/2022.
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
MAX_RESULTS = 50
MAX_INDICATORS = 20
INDICATOR_FIELDS = (
    "id",
    "name",
    "unit",
    "target",
    "qualitative",
    "direction",
    *[q.lower() for q in QUARTERS],
)
Translate = Callable[[str], str]


@dataclass
class IndicatorRow:
    """One indicator's fields as typed (strings), keyed by the short names of ``INDICATOR_FIELDS``."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """A field's typed value ('' when absent)."""
        return self.values.get(name, "")

    @property
    def blank(self) -> bool:
        """Nothing typed in (the id and the default direction do not count)."""
        return not any(self.get(name).strip() for name in INDICATOR_FIELDS if name not in ("id", "direction"))


@dataclass
class ResultRow:
    """One planned result (RHK) as typed, with its indicators."""

    result_id: str = ""
    kind: str = "main"
    text: str = ""
    indicators: list[IndicatorRow] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        """No text and no indicator typed in."""
        return not self.text.strip() and all(indicator.blank for indicator in self.indicators)


def _count(form: Mapping[str, Any], name: str, default: int, ceiling: int) -> int:
    try:
        return max(1, min(int(str(form.get(name, default))), ceiling))
    except ValueError:
        return default


def rows_from_form(form: Mapping[str, Any]) -> list[ResultRow]:
    """The results and indicators as typed, in the form's order."""
    rows = []
    for r in range(_count(form, "results", 1, MAX_RESULTS)):
        prefix = f"r{r}-"
        indicators = [
            IndicatorRow({name: str(form.get(f"{prefix}i{i}-{name}", "")) for name in INDICATOR_FIELDS})
            for i in range(_count(form, f"{prefix}indicators", 1, MAX_INDICATORS))
        ]
        rows.append(
            ResultRow(
                result_id=str(form.get(f"{prefix}id", "")),
                kind=str(form.get(f"{prefix}kind", "main")),
                text=str(form.get(f"{prefix}text", "")),
                indicators=indicators,
            )
        )
    return rows


def rows_from_plan(plan: Mapping[str, Any], number: Callable[[Any], str]) -> list[ResultRow]:
    """A stored plan's results as form rows (numbers shown in the person's locale)."""
    rows = []
    for result in plan["results"]:
        indicators = []
        for indicator in result["indicators"]:
            split = indicator.get("period_targets") or {}
            values = {
                "id": indicator["indicator_id"],
                "name": indicator["name"],
                "unit": indicator.get("unit_of_measure") or "",
                "target": number(indicator["target"]) if indicator.get("target") is not None else "",
                "qualitative": indicator.get("qualitative_target") or "",
                "direction": indicator.get("direction") or "higher_is_better",
            }
            for quarter in QUARTERS:
                value = split.get(f"{plan['year']}-{quarter}")
                values[quarter.lower()] = number(value) if value is not None else ""
            indicators.append(IndicatorRow(values))
        rows.append(ResultRow(result["result_id"], result["kind"], result["text"], indicators))
    return rows


def blank_rows() -> list[ResultRow]:
    """A new plan's form: one main result with one indicator."""
    return [ResultRow(indicators=[IndicatorRow({"direction": "higher_is_better"})])]


@dataclass
class PlanDraft:
    """The API body of the typed plan, the field errors, and where each sent row sits in the form."""

    body: dict[str, Any]
    errors: dict[str, str]
    #: (form result index, [form indicator indexes]) of each result sent, in the body's order.
    positions: list[tuple[int, list[int]]]

    def field_of(self, api_field: str | None) -> str | None:
        """The form field an API error names (``results.0.indicators.1.target`` → ``r0-i1-target``)."""
        parts = (api_field or "").split(".")
        try:
            r, indicators = self.positions[int(parts[1])] if parts[0] == "results" else (None, [])
        except (IndexError, ValueError):
            return None
        if r is None:
            return None
        if (
            len(parts) >= 4
            and parts[2] == "indicators"
            and parts[3].isdigit()
            and int(parts[3]) < len(indicators)
        ):
            rest = parts[4:]
            named = "name"
            if "unit" in rest or "unit_of_measure" in rest:
                named = "unit"
            elif "split" in rest or "period_targets" in rest:
                named = "q1"
            elif "qualitative_target" in rest:
                named = "qualitative"
            elif "target" in rest:
                named = "target"
            return f"r{r}-i{indicators[int(parts[3])]}-{named}"
        return f"r{r}-{'kind' if parts[-1] == 'kind' else 'text'}"


def plan_body(rows: list[ResultRow], year: int, locale: str, _: Translate) -> PlanDraft:
    """The API body of the typed plan, or the field errors (field id → message in the page's language)."""
    # `_` translates into the page's language (named so `make web-messages` extracts the texts).
    errors: dict[str, str] = {}
    results = []
    positions: list[tuple[int, list[int]]] = []
    for r, row in enumerate(rows):
        if row.blank:
            continue
        prefix = f"r{r}-"
        if len(row.text.strip()) < 3:
            errors[f"{prefix}text"] = _("Describe the planned result in at least 3 characters")
        indicators = []
        sent: list[int] = []
        for i, indicator in enumerate(row.indicators):
            if indicator.blank:
                continue
            sent.append(i)
            name = f"{prefix}i{i}-"
            body: dict[str, Any] = {
                "name": indicator.get("name").strip(),
                "direction": "lower_is_better"
                if indicator.get("direction") == "lower_is_better"
                else "higher_is_better",
            }
            if indicator.get("id"):
                body["indicator_id"] = indicator.get("id")
            if len(body["name"]) < 2:
                errors[f"{name}name"] = _("Enter the indicator's name")
            if indicator.get("unit").strip():
                body["unit_of_measure"] = indicator.get("unit").strip()[:64]
            if indicator.get("target").strip():
                target = parse_number(indicator.get("target"), locale)
                if target is None:
                    errors[f"{name}target"] = _("Enter the target as a number, like 400 or 12.5")
                else:
                    body["target"] = str(target)
            if indicator.get("qualitative").strip():
                body["qualitative_target"] = indicator.get("qualitative").strip()
            if not indicator.get("target").strip() and not indicator.get("qualitative").strip():
                errors[f"{name}target"] = _("Enter a target number, or describe a qualitative target")
            split = {}
            for quarter in QUARTERS:
                typed = indicator.get(quarter.lower()).strip()
                if not typed:
                    continue
                value = parse_number(typed, locale)
                if value is None:
                    errors[f"{name}{quarter.lower()}"] = _(
                        "Enter the period's target as a number, or leave it empty"
                    )
                split[f"{year}-{quarter}"] = str(value)
            if split and len(split) < len(QUARTERS):
                missing = next(q for q in QUARTERS if f"{year}-{q}" not in split)
                errors.setdefault(f"{name}{missing.lower()}", _("Give every quarter a target, or none"))
            elif split and "target" in body and not any(key.startswith(name) for key in errors):
                total = sum((Decimal(value) for value in split.values()), Decimal(0))
                if total != Decimal(body["target"]):
                    errors.setdefault(
                        f"{name}q1", _("The quarters' targets must add up to the target for the year")
                    )
            if split:
                body["period_targets"] = split
            if indicator.get("target").strip() and not body.get("unit_of_measure"):
                errors.setdefault(f"{name}unit", _("Enter the target's unit, e.g. documents"))
            indicators.append(body)
        if not indicators and f"{prefix}text" not in errors:
            errors[f"{prefix}i0-name"] = _("Give the result at least one indicator")
        result: dict[str, Any] = {"kind": "additional" if row.kind == "additional" else "main"}
        result |= {"text": row.text.strip(), "indicators": indicators}
        if row.result_id:
            result["result_id"] = row.result_id
        results.append(result)
        positions.append((r, sent))
    if not results:
        errors["r0-text"] = _("Describe at least one planned result")
    elif not errors and not any(result["kind"] == "main" for result in results):
        errors["r0-kind"] = _("A work plan needs at least one main result")
    return PlanDraft({"year": year, "results": results}, errors, positions)
