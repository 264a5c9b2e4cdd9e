"""The provider-side rules the contracts and the client rely on: idempotency and provider states."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from examples.shop.common.errors import ApiError
from examples.shop.common.idempotency import IdempotencyStore, StoredResponse
from examples.shop.inventory import create_app as create_inventory_app
from examples.shop.payments import create_app as create_payments_app

pytestmark = pytest.mark.timeout(10)

CHARGE = {"order_id": "o-1", "amount": 1999, "currency": "EUR"}


def test_a_key_in_flight_is_409_and_a_reused_key_is_422() -> None:
    store = IdempotencyStore()
    assert store.claim("k", "request-a") is None

    with pytest.raises(ApiError) as in_flight:
        store.claim("k", "request-a")
    store.complete("k", StoredResponse(201, {"id": "x"}))
    with pytest.raises(ApiError) as reused:
        store.claim("k", "request-b")

    assert in_flight.value.body.error == "idempotency_key_in_flight"
    assert (in_flight.value.status_code, reused.value.status_code) == (409, 422)
    assert store.claim("k", "request-a") == StoredResponse(201, {"id": "x"})


def test_payments_replays_successes_and_declines_under_their_key() -> None:
    payments = TestClient(create_payments_app(provider_states=False))
    first = payments.post("/payments", json=CHARGE, headers={"Idempotency-Key": "k1"})
    again = payments.post("/payments", json=CHARGE, headers={"Idempotency-Key": "k1"})
    declined = [
        payments.post("/payments", json=CHARGE | {"amount": 2_000_000}, headers={"Idempotency-Key": "k2"})
        for _ in range(2)
    ]

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [r.status_code for r in declined] == [402, 402]
    assert declined[1].headers["Idempotent-Replayed"] == "true"


def test_provider_states_are_a_hidden_opt_in_hook() -> None:
    hidden = TestClient(create_inventory_app(provider_states=False))
    hooked = TestClient(create_inventory_app(provider_states=True))

    assert hidden.post("/_pact/states", json={"state": ""}).status_code == 404
    assert hooked.post("/_pact/states", json={"state": "", "action": "setup"}).json() == {}
    unknown = hooked.post("/_pact/states", json={"state": "the moon is full", "params": None})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "unknown_provider_state"
    assert "/_pact/states" not in hooked.get("/openapi.json").json()["paths"]


def test_inventory_states_set_up_and_teardown_restores_the_seed() -> None:
    inventory = TestClient(create_inventory_app(provider_states=True))

    def change(state: str, action: str = "setup", **params: object) -> None:
        response = inventory.post("/_pact/states", json={"state": state, "params": params, "action": action})
        assert response.status_code == 200, response.text

    change("a SKU is out of stock", sku="SKU-1")
    assert inventory.get("/stock/SKU-1").json()["available"] == 0
    change("a reservation exists", id="res_x", sku="SKU-2", qty=2)
    assert inventory.delete("/reservations/res_x").status_code == 204
    assert inventory.delete("/reservations/res_x").status_code == 204, "releasing is idempotent"

    change("a SKU is out of stock", action="teardown")

    assert inventory.get("/stock/SKU-1").json()["available"] == 100
    assert inventory.delete("/reservations/res_x").status_code == 404
