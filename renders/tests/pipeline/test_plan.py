"""The plan's per-scene stock footage switch: read, validated, round-tripped."""

from __future__ import annotations

import pytest

from conftest import tiny_plan_data
from renders.pipeline.plan import PlanError, parse_plan


def _plan_data(**scene_fields: object) -> dict:
    data = tiny_plan_data()
    data["scenes"][0].update(scene_fields)
    return data


def test_it_reads_stock_footage_per_scene_and_round_trips_it():
    plan = parse_plan(_plan_data(stock_footage=True))
    assert [scene.stock_footage for scene in plan.scenes] == [True, False]
    data = plan.to_dict()
    assert data["scenes"][0]["stock_footage"] is True
    assert "stock_footage" not in data["scenes"][1]  # off is the default, left out
    assert parse_plan(data) == plan


@pytest.mark.parametrize("value", [None, False])
def test_it_reads_a_missing_or_null_switch_as_off(value):
    assert parse_plan(_plan_data(stock_footage=value)).scenes[0].stock_footage is False


@pytest.mark.parametrize("value", ["yes", 1, "true", [True]])
def test_it_refuses_a_switch_that_is_not_true_or_false(value):
    with pytest.raises(PlanError) as caught:
        parse_plan(_plan_data(stock_footage=value))
    assert caught.value.errors == {"scenes[0].stock_footage": f"must be true or false (got {value!r})"}


def test_it_refuses_stock_footage_on_a_scene_with_its_own_picture():
    with pytest.raises(PlanError) as caught:
        parse_plan(_plan_data(image="uploads/1/river.png", stock_footage=True))
    assert caught.value.errors == {
        "scenes[0].stock_footage": (
            "cannot be used with the scene's own picture: remove the picture or turn stock footage off"
        )
    }
