"""A model's fields read into a dict (``fields_of``): what the model accepts, with the values its
instance's ``__dict__`` holds, in its order; what it refuses, refused; a model that does more than
validate its fields refused when the reading is declared."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.field_dicts import FieldValues, fields_of


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z]+$")
    weight: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, validation_alias="nama")
    note: str | None = None
    parts: list[_Inner] = Field(default_factory=list, max_length=3)

    @field_validator("note")
    @classmethod
    def _shout(cls, value: str | None) -> str | None:
        return None if value is None else value.upper()


_FIELDS = TypeAdapter(Annotated[FieldValues, fields_of(_Outer)])


def _model_fields(value: Any) -> Any:
    """The model's instance as plain dicts, nested ones too."""
    if isinstance(value, BaseModel):
        return {name: _model_fields(field) for name, field in value.__dict__.items()}
    if isinstance(value, list):
        return [_model_fields(item) for item in value]
    return value


def _read(read: Any) -> tuple[Any, list[tuple[Any, ...]] | None]:
    """What ``read()`` gives, or the locations of its errors."""
    try:
        return read(), None
    except ValidationError as refused:
        return None, [e["loc"] for e in refused.errors()]


@pytest.mark.parametrize(
    "body",
    [
        {"nama": "ab"},
        {"nama": "abc", "note": "x", "parts": [{"code": "q"}, {"code": "r", "weight": "1.5"}]},
        {"nama": "abc", "note": None, "parts": []},
        {"nama": "a"},
        {"name": "abc"},
        {"nama": "abc", "extra": 1},
        {"nama": "abc", "parts": [{"code": "Q"}]},
        {"nama": "abc", "parts": [{"code": "q", "weight": "1.555"}]},
        {"nama": "abc", "parts": [{"code": "q", "more": 1}]},
        {"nama": "abc", "parts": [1]},
        {"nama": "abc", "parts": [{}] * 4},
        {"nama": 5},
        [],
        "abc",
        None,
    ],
)
def test_the_fields_are_what_the_model_holds_and_refusals_the_same(body: Any) -> None:
    text = json.dumps(body).encode()
    for read, read_fields in (
        (lambda: _Outer.model_validate_json(text), lambda: _FIELDS.validate_json(text)),
        (lambda: _Outer.model_validate(body), lambda: _FIELDS.validate_python(body)),
    ):
        model, refused = _read(read)
        fields, also_refused = _read(read_fields)
        # The same fields named when refused (a non-object: dict_type, not model_type).
        assert also_refused == refused
        if refused is None:
            expected = _model_fields(model)
            assert fields == expected
            assert list(fields) == list(expected)  # in the model's order
            assert [type(v) for v in fields.values()] == [type(v) for v in expected.values()]


def test_a_model_doing_more_than_validate_its_fields_is_refused() -> None:
    class Checked(BaseModel):
        a: int

        @model_validator(mode="after")
        def _check(self) -> Checked:
            return self

    class Posted(BaseModel):
        a: int

        def model_post_init(self, context: Any, /) -> None:
            pass

    for model in (Checked, Posted):
        with pytest.raises(TypeError):
            fields_of(model)
