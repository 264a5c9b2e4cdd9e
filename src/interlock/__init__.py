"""interlock: contract and resilience testing for service integrations.

One verdict per integration (consumer -> provider), folded from four stages:
contracts (Pact), fuzz (schemathesis), chaos (Toxiproxy API) and load (Locust).
"""

__version__ = "0.1.0"
