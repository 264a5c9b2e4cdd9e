"""The load shape registry: a shape is one class; registering it makes profiles accept its name
and gives the run its schedule and phases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.core.errors import ConfigError
from interlock.stages.load import schedule
from interlock.stages.load.profile import LoadShape, load_profile
from interlock.stages.load.shapes import SHAPES, Shape, Step, register_shape


@pytest.fixture
def sawtooth() -> Iterator[str]:
    """A shape registered by this test module, unregistered afterwards."""

    @register_shape
    class Sawtooth(Shape):
        """``steps`` teeth: each climbs to ``users`` and drops back to one user."""

        name = "sawtooth"

        def check(self, spec: LoadShape) -> None:
            if spec.steps < 2:
                raise ValueError("a sawtooth needs at least 2 teeth (steps)")

        def steps(self, spec: LoadShape) -> list[Step]:
            tooth = spec.duration / spec.steps
            out = []
            for i in range(spec.steps):
                out += [
                    Step(tooth * i + tooth / 2, spec.users, spec.spawn_rate, f"tooth-{i + 1}"),
                    Step(tooth * (i + 1), 1, spec.spawn_rate, f"drop-{i + 1}"),
                ]
            return out

    yield "sawtooth"
    SHAPES.pop("sawtooth", None)


def write(tmp_path: Path, shape: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(f"target: checkout-payments\nlocustfile: load/checkout.py\nshape: {shape}\n")
    return path


def test_the_built_in_shapes_are_registered_in_order() -> None:
    assert list(SHAPES) == ["ramp", "step", "spike", "soak"]
    assert all(isinstance(shape, Shape) for shape in SHAPES.values())


def test_a_registered_shape_is_a_profile_type_with_its_schedule(sawtooth: str, tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "{type: sawtooth, users: 8, steps: 2, duration: 20s}"))
    shape = profile.shape
    assert shape.type == sawtooth
    assert [(p.name, p.start, p.end) for p in schedule.phases(shape)] == [
        ("tooth-1", 0, 5),
        ("drop-1", 5, 10),
        ("tooth-2", 10, 15),
        ("drop-2", 15, 20),
    ]
    assert [schedule.tick(shape, t) for t in (0, 7, 12, 19, 20)] == [
        (8, 10.0),
        (1, 10.0),
        (8, 10.0),
        (1, 10.0),
        None,
    ]
    with pytest.raises(ConfigError, match=r"profile.yaml:3: .*a sawtooth needs at least 2 teeth"):
        load_profile(write(tmp_path, "{type: sawtooth, users: 8, steps: 1, duration: 20s}"))
    with pytest.raises(ValueError, match="already registered"):
        register_shape(type("Sawtooth2", (Shape,), {"name": "sawtooth"}))


def test_an_unknown_shape_names_the_registered_ones(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"shape.type: unknown shape 'sawtooth' \(shapes: ramp, step, spike, soak\)"
    ):
        load_profile(write(tmp_path, "{type: sawtooth, users: 8, duration: 20s}"))
