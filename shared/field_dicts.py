"""A model's fields validated into a plain dict: what the model checks and makes, without its instance.

A pydantic model validated from JSON makes an instance of each value: the object, its ``__dict__``
and the set of the fields it was sent with, all freed again. Where a caller reads only the fields
(the instance's ``__dict__``), ``fields_of(Model)`` validates the value by the model's own core
schema with each model in it read as a typed dict of the same fields: the same checks in the same
order, the same values, the dict the instance's ``__dict__`` would have been. Derived from the
model, so a body is described once (its model), and read either way.

Its errors are not always the model's (a value that is not an object is a ``dict_type`` error, not
a ``model_type`` one): a caller answers a refusal from the model itself.
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, GetPydanticSchema
from pydantic_core import CoreSchema, core_schema

#: A model's fields by name, as validated (its instance's ``__dict__``).
FieldValues = dict[str, Any]

#: Schemas read as given around the schema they hold, which may be a model's.
_AROUND_ONE = {"list": "items_schema", "nullable": "schema", "default": "schema"}


def fields_of(model: type[BaseModel]) -> GetPydanticSchema:
    """A field's schema (``Annotated[FieldValues, fields_of(Model)]``): the value validated as
    ``model`` validates it, into the dict of its fields. ``TypeError`` for a model this cannot read
    alike (its own ``__init__``, a root model, a model validator, ``model_post_init``)."""
    schema = _as_fields(model.__pydantic_core_schema__)
    return GetPydanticSchema(lambda _source, _handler: schema)


def _as_fields(schema: CoreSchema) -> CoreSchema:
    kind = schema["type"]
    if kind == "model":
        return _model_as_fields(cast(core_schema.ModelSchema, schema))
    if kind in _AROUND_ONE:
        key = _AROUND_ONE[kind]
        return cast(CoreSchema, {**schema, key: _as_fields(cast(Any, schema)[key])})
    if _holds_model(schema):
        raise TypeError(f"a model inside a {kind} schema cannot be read as its fields")
    return schema


def _model_as_fields(schema: core_schema.ModelSchema) -> CoreSchema:
    inner = schema["schema"]
    name = schema["cls"].__name__
    if (
        schema.get("custom_init")
        or schema.get("root_model")
        or schema.get("post_init")
        or inner["type"] != "model-fields"
    ):
        raise TypeError(f"{name} does more than validate its fields: it cannot be read as them")
    fields = cast(core_schema.ModelFieldsSchema, inner)
    return core_schema.typed_dict_schema(
        {
            field_name: core_schema.typed_dict_field(
                _as_fields(field["schema"]),
                # A field with a default may be left out; any other is required, as in the model.
                required=field["schema"]["type"] != "default",
                validation_alias=field.get("validation_alias"),
                serialization_alias=field.get("serialization_alias"),
                serialization_exclude=field.get("serialization_exclude"),
                metadata=field.get("metadata"),
            )
            for field_name, field in fields["fields"].items()
        },
        strict=fields.get("strict"),
        extras_schema=fields.get("extras_schema"),
        extra_behavior=fields.get("extra_behavior", schema.get("extra_behavior")),
        config=schema.get("config"),
    )


def _holds_model(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("type") == "model" or any(_holds_model(inner) for inner in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_model(inner) for inner in value)
    return False
