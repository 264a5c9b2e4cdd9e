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
          retry_after: honoured              # never retries sooner than a Retry-After (optional)
          auth: bearer                       # sends Bearer tokens, renews an expired one (optional)
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
from interlock.stages.chaos.experiment import Probe, load_experiment


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
    #: ``honoured``: no retry comes sooner than the provider's ``Retry-After`` (catalogue: ``retry-after``).
    retry_after: Literal["honoured"] | None = None
    #: ``bearer``: the consumer sends Bearer tokens and renews an expired one once (catalogue: ``expired-token``).
    auth: Literal["bearer"] | None = None
    #: The consumer keeps a bulkhead per dependency: a slow sibling integration (another provider
    #: of the same consumer) leaves calls through this one unharmed. The probe must then be a
    #: consumer call that reaches only this integration's provider.
    bulkhead: bool = False
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


def sibling_probes(
    manifest: Manifest, integration: Integration, policy: ResiliencePolicy
) -> dict[str, Probe]:
    """For ``bulkhead: true``: each sibling integration (same consumer, another provider) and the
    request that sends traffic through it (its policy's probe, else its experiment's); ``{}`` without
    a bulkhead promise. ConfigError when there is no sibling, or a sibling has no probe."""
    if not policy.bulkhead:
        return {}
    siblings = [
        other
        for other in manifest.integrations
        if other.consumer == integration.consumer and other.provider != integration.provider
    ]
    if not siblings:
        raise ConfigError(
            f"integration '{integration.name}': resilience.bulkhead needs another integration of"
            f" the consumer '{integration.consumer}' (a slow one is what the bulkhead is tested against)",
            manifest.path,
        )
    found: dict[str, Probe] = {}
    for sibling in siblings:
        sibling_policy = load_policy(manifest, sibling)
        probe = sibling_policy.probe if sibling_policy is not None else None
        if probe is None and sibling.chaos:
            probe = load_experiment(manifest.resolve(sibling.chaos)).probe
        if probe is None:
            raise ConfigError(
                f"integration '{integration.name}': resilience.bulkhead needs traffic through"
                f" '{sibling.name}': give it resilience.probe or a chaos experiment file",
                manifest.path,
            )
        found[sibling.name] = probe
    return found
