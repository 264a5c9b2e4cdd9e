"""The payments provider: captures card payments and refunds them.

Run with ``python -m uvicorn examples.shop.payments:app``.
"""

from examples.shop.payments.app import app, create_app

__all__ = ["app", "create_app"]
