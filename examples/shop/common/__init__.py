"""Building blocks shared by the shop's services.

Kept deliberately small: the error body, the health route, and for the providers
(payments, inventory) idempotency keys and the test-only provider-state hook.
Each service owns its own domain models and store.
"""
