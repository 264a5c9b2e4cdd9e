"""Checkout's load: customers place orders and then look at them.

Every user places an order for one SKU-1 (the profile sets its stock high enough for the run)
and checks its orders a few times, as a shopper refreshing the confirmation page would.
"""

from __future__ import annotations

from locust import FastHttpUser, between, task


class Shopper(FastHttpUser):
    wait_time = between(0.2, 0.6)

    def on_start(self) -> None:
        self.order_ids: list[str] = []

    @task(1)
    def place_order(self) -> None:
        with self.client.post("/orders", json={"sku": "SKU-1", "qty": 1}, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
                return
            self.order_ids.append(response.json()["id"])
            self.order_ids = self.order_ids[-20:]

    @task(3)
    def view_order(self) -> None:
        if not self.order_ids:
            return
        order_id = self.order_ids[-1]
        self.client.get(f"/orders/{order_id}", name="/orders/[id]")
