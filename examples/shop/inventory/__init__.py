"""The inventory provider: stock levels and reservations (holds) against them.

Run with ``python -m uvicorn examples.shop.inventory:app``.
"""

from examples.shop.inventory.app import app, create_app

__all__ = ["app", "create_app"]
