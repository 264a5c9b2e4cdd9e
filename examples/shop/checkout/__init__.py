"""The checkout service: the consumer of payments and inventory.

Run with ``PAYMENTS_URL=... INVENTORY_URL=... python -m uvicorn examples.shop.checkout:app``.
Its outbound clients (:mod:`.clients`, :mod:`.resilience`) are the part worth studying.
"""

from examples.shop.checkout.app import create_app

app = create_app()

__all__ = ["app", "create_app"]
