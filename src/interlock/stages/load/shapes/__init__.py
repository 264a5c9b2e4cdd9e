"""interlock's load shapes: one module per shape, one class each, holding its schedule arithmetic.

Like a Locust ``LoadTestShape``, a shape says how many users run when; unlike it, a shape here is
plain arithmetic with no Locust import, so interlock's process can read the same schedule (the
phases SLOs are scoped to, when to apply a fault) that the Locust process runs
(:mod:`interlock.stages.load.locust_shape` wraps it in a LoadTestShape there).

A new shape is one module here with a :class:`Shape` subclass decorated with
:func:`register_shape`, plus one import line below; the profile's ``shape: {type: NAME}``
accepts every registered name.
"""

from __future__ import annotations

# The import order is the order shapes are listed in.
# isort: off
from interlock.stages.load.shapes import ramp  # noqa: F401
from interlock.stages.load.shapes import step  # noqa: F401
from interlock.stages.load.shapes import spike  # noqa: F401
from interlock.stages.load.shapes import soak  # noqa: F401

# isort: on
from interlock.stages.load.shapes.base import SHAPES, Shape, Step, register_shape

__all__ = ["SHAPES", "Shape", "Step", "register_shape"]
