"""The plan's per-scene stock footage switch (read, validated, round-tripped) and the size limit a refused plan names."""

from __future__ import annotations

import pytest

from conftest import tiny_plan_data
from renders.pipeline.plan import Limits, PlanError, parse_plan


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


def _scenes(count: int, duration: float) -> list[dict]:
    return [{"image_prompt": "a lamp", "narration": "", "duration_sec": duration}] * count


@pytest.mark.parametrize(
    ("scenes", "limit"),
    [
        (_scenes(4, 2), "MAX_SCENES"),
        (_scenes(1, 9), "MAX_SCENE_DURATION_SEC"),
        (_scenes(3, 5), "MAX_TOTAL_DURATION_SEC"),
        # The scene's own length is named before the total it also breaks.
        (_scenes(2, 9), "MAX_SCENE_DURATION_SEC"),
        (_scenes(2, 0.5), None),  # too short is invalid, but no size limit
    ],
)
def test_it_names_the_size_limit_a_plan_is_over(scenes, limit):
    limits = Limits(max_scenes=3, max_scene_duration_sec=8, max_total_duration_sec=12)
    with pytest.raises(PlanError) as refused:
        parse_plan(tiny_plan_data(scenes=scenes), limits)
    assert refused.value.limit == limit
