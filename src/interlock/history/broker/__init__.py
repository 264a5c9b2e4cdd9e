"""Working with a Pact Broker: publishing pacts, verifying from it, asking it can-i-deploy.

Active when ``PACT_BROKER_BASE_URL`` is set. Publishing, can-i-deploy and record-deployment go
through the ``pact`` CLI (package pact-python-cli); verification goes through pact-python's
``Verifier.broker_source`` in the contracts stage's worker.
"""
