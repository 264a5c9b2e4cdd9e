"""The fuzz stage: property-based fuzzing of each provider from its OpenAPI spec (schemathesis).

``engine`` is the only module that touches schemathesis; ``checks`` holds interlock's own checks
as plain functions on an :class:`~interlock.stages.fuzz.checks.exchange.Exchange`; ``stage`` folds the
findings of each provider into every integration whose provider it is.
"""
