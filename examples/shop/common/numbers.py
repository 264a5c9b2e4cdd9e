"""JSON integers as the published schema means them.

JSON Schema's ``integer`` accepts any number with a zero fractional part, so ``2.0`` is a valid
quantity by the OpenAPI document, but pydantic's strict mode rejects it. The fuzz stage found
that mismatch (a schema-valid request answered 422); :data:`INTEGRAL` accepts integral numbers
and still rejects ``2.5`` and ``"2"``. Put it after the field's constraints
(``Annotated[int, Field(gt=0), INTEGRAL]``) so the schema keeps them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator


def _integral_to_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


INTEGRAL = BeforeValidator(_integral_to_int)
