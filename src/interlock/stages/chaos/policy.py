"""A declared resilience policy: what the consumer promises about its calls to one provider.

Declared per integration in the manifest, so the fault catalogue can test an integration before
anyone writes an experiment::

    integrations:
      - name: checkout-payments
        resilience:
          probe: {method: POST, path: /orders, json: {sku: SKU-1, qty: 1}}
          budget: 1s                         # a consumer call gives up within this
          retries: 2                         # at most 2 retries per provider request (3 attempts)
          backoff: 50ms                      # the first retry waits about this long (optional)
          breaker: {failures: 5, reset: 1s}  # opens after 5 failed attempts, half-opens after 1 s
          trace: traceparent                 # passes each call's trace id on (optional)

The core manifest keeps the block as a plain mapping (core knows nothing of stages); it is
validated here, with the manifest's file:line, before any service starts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from interlock.core.config import Strict, validate_model
from interlock.core.durations import Duration
from interlock.core.errors import ConfigError
from interlock.core.manifest import Integration, Manifest
from interlock.core.yamlfile import load_yaml
from interlock.faults.model import MAX_CALLS
from interlock.stages.chaos.experiment import Probe


class BreakerPolicy(Strict):
    failures: int = Field(ge=1, le=1000)
    reset: Duration = Field(gt=0, le=300)


class ResiliencePolicy(Strict):
    probe: Probe | None = None
    budget: Duration = Field(gt=0, le=120)
    retries: int = Field(default=0, ge=0, le=20)
    backoff: Duration | None = Field(default=None, gt=0, le=60)
    breaker: BreakerPolicy | None = None
    #: Probe calls per catalogue fault.
    calls: int = Field(default=6, ge=1, le=MAX_CALLS)
    #: The consumer propagates the W3C trace context of each call to this provider.
    trace: Literal["traceparent"] | None = None

    @property
    def attempts(self) -> int:
        return self.retries + 1


def load_policy(manifest: Manifest, integration: Integration) -> ResiliencePolicy | None:
    """The integration's validated policy, or None when it declares none."""
    raw = getattr(integration, "resilience", None)
    if raw is None:
        return None
    doc = load_yaml(manifest.path)
    index = manifest.integrations.index(integration)
    prefix = ("integrations", index, "resilience")
    if not isinstance(raw, dict):
        raise doc.error(prefix, "resilience must be a mapping (budget, retries, backoff, breaker, probe)")
    policy: ResiliencePolicy = validate_model(ResiliencePolicy, raw, doc, prefix)
    return policy


def require_probe(
    policy: ResiliencePolicy, fallback: Probe | None, manifest: Manifest, integration: str
) -> Probe:
    """The catalogue's probe: the policy's own, else the experiment's; ConfigError when neither exists."""
    probe = policy.probe or fallback
    if probe is None:
        raise ConfigError(
            f"integration '{integration}': the fault catalogue needs a probe: add"
            " resilience.probe (the request that makes the consumer call the provider)",
            manifest.path,
        )
    return probe
