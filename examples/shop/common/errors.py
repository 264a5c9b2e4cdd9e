"""One error shape for every non-2xx answer, so clients can branch on a stable code.

Every service answers errors as ``{"error": <machine code>, "detail": <human text>}``.
FastAPI's default validation body (``{"detail": [...]}``) and Starlette's HTTP errors
are rewritten into the same shape so that the OpenAPI document, which declares
:class:`ErrorBody` for every error status, is true for *all* responses.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body could not be parsed",
    402: "Payment required: the payment was declined",
    404: "Not found",
    409: "Conflict with the current state (or the idempotency key is still in flight)",
    422: "Invalid request (or an Idempotency-Key reused for a different request)",
}


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: str


class ApiError(Exception):
    """A domain error that maps one-to-one onto an HTTP error response."""

    def __init__(self, status_code: int, error: str, detail: str) -> None:
        super().__init__(f"{status_code} {error}: {detail}")
        self.status_code = status_code
        self.body = ErrorBody(error=error, detail=detail)

    def to_response(self) -> JSONResponse:
        return JSONResponse(self.body.model_dump(), status_code=self.status_code)


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """Build the ``responses=`` mapping that documents error statuses with :class:`ErrorBody`."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in status_codes}


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        location = ".".join(str(item) for item in err.get("loc", ()))
        parts.append(f"{location}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Render domain, validation and routing errors as :class:`ErrorBody`."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return exc.to_response()

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return ApiError(422, "invalid_request", _validation_detail(exc)).to_response()

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = str(exc.detail).lower().replace(" ", "_")
        body = ErrorBody(error=code, detail=str(exc.detail))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
