"""Taurus LoadSpec → incarne [load]/[ammo] (docs/taurus.md, the mapping table)."""

import pytest

from incarne_bzt import logic
from incarne_bzt.logic import LoadSpec, map_load


def bzt_load(concurrency=0, throughput=0, ramp_up=None, hold=0, iterations=None, steps=None):
    """What ScenarioExecutor.get_load() returns for these execution keys (bzt/engine/modules.py:
    duration = hold + ramp-up; iterations default to 0 = unlimited with a duration, else 1)."""
    duration = hold + (ramp_up or 0)
    if not iterations:
        iterations = 0 if duration else 1
    return LoadSpec(concurrency=concurrency, throughput=throughput, ramp_up=ramp_up, hold=hold,
                    iterations=iterations, duration=duration, steps=steps)


def test_readme_example_is_the_verified_loadspec():
    # taurus.md §3: the README example gives exactly this LoadSpec under real bzt.
    assert bzt_load(concurrency=10, ramp_up=30.0, hold=60.0) == LoadSpec(
        concurrency=10, throughput=0, ramp_up=30.0, hold=60.0, iterations=0, duration=90.0,
        steps=None)


def test_readme_example_ramps_instances_then_holds():
    m = map_load(bzt_load(concurrency=10, ramp_up=30.0, hold=60.0))
    assert m.model == "instances"
    assert m.schedule == "line(1, 10, 30s) const(10, 60s)"
    assert m.instances == 10
    assert m.duration_ns == 90 * 10**9
    assert (m.limit, m.loop) == (0, 0)
    assert m.warnings == []


@pytest.mark.parametrize("load, model, schedule, instances, duration_s", [
    # closed model (throughput 0)
    (bzt_load(concurrency=5, hold=60), "instances", "const(5, 60s)", 5, 60),
    (bzt_load(concurrency=5, ramp_up=20), "instances", "line(1, 5, 20s)", 5, 20),
    (bzt_load(concurrency=1, ramp_up=30, hold=60), "instances",
     "const(1, 30s) const(1, 60s)", 1, 90),
    (bzt_load(hold=10), "instances", "const(1, 10s)", 1, 10),
    (bzt_load(concurrency=10, ramp_up=30, hold=60, steps=5), "instances",
     "step(2, 10, 2, 6s) const(10, 60s)", 10, 90),
    # 10 over 3 steps: ceil(i·10/3) instances after step i (pbench's floor(k·S/C) rule)
    (bzt_load(concurrency=10, ramp_up=30, hold=60, steps=3), "instances",
     "const(4, 10s) const(7, 10s) const(10, 10s) const(10, 60s)", 10, 90),
    (bzt_load(concurrency=2, ramp_up=9, steps=4), "instances",
     "const(1, 2.25s) const(1, 2.25s) const(2, 2.25s) const(2, 2.25s)", 2, 9),
    (bzt_load(concurrency=3, ramp_up=1.5, hold=0.25), "instances",
     "line(1, 3, 1.5s) const(3, 0.25s)", 3, 1.75),
    # open model (throughput > 0); instances = concurrency or default-instances
    (bzt_load(throughput=100, hold=60), "rps", "const(100, 60s)", 1000, 60),
    (bzt_load(throughput=100, concurrency=50, ramp_up=30, hold=60), "rps",
     "line(0, 100, 30s) const(100, 60s)", 50, 90),
    (bzt_load(throughput=100, ramp_up=30), "rps", "line(0, 100, 30s)", 1000, 30),
    (bzt_load(throughput=100, ramp_up=30, hold=60, steps=4), "rps",
     "step(25, 100, 25, 7.5s) const(100, 60s)", 1000, 90),
    (bzt_load(throughput=100, ramp_up=30, hold=60, steps=3), "rps",
     "const(33.333333333, 10s) const(66.666666667, 10s) const(100, 10s) const(100, 60s)",
     1000, 90),
    # a ramp that does not divide evenly: whole-ms steps (incarne and Tank count steps in
    # ms) that still add up to the ramp exactly
    (bzt_load(throughput=6, ramp_up=10, steps=3), "rps",
     "const(2, 3.333s) const(4, 3.334s) const(6, 3.333s)", 1000, 10),
    (bzt_load(concurrency=3, ramp_up=0.0005, steps=2), "instances",
     "const(2, 0.00025s) const(3, 0.00025s)", 3, 0.0005),
])
def test_schedule(load, model, schedule, instances, duration_s):
    m = map_load(load)
    assert (m.model, m.schedule, m.instances) == (model, schedule, instances)
    assert m.duration_ns == int(round(duration_s * 10**9))
    assert (m.limit, m.loop) == (0, 0)


def test_default_instances_setting_caps_rps_without_concurrency():
    assert map_load(bzt_load(throughput=10, hold=5), default_instances=64).instances == 64
    assert map_load(bzt_load(throughput=10, hold=5, concurrency=3),
                    default_instances=64).instances == 3


def test_steps_without_ramp_up_are_ignored_with_a_warning():
    m = map_load(bzt_load(concurrency=4, hold=10, steps=3))
    assert m.schedule == "const(4, 10s)"
    assert len(m.warnings) == 1 and "steps=3 ignored" in m.warnings[0]


# --- iterations → the ammo cap: iterations × max(concurrency, 1) × ammo records -------------

def test_iterations_with_duration_cap_the_hits():
    m = map_load(bzt_load(throughput=10, concurrency=2, hold=60, iterations=5), ammo_records=3)
    assert m.schedule == "const(10, 60s)"
    assert m.limit == 5 * 2 * 3
    assert m.loop == 0


def test_iterations_without_concurrency_count_one_instance():
    m = map_load(bzt_load(throughput=10, hold=60, iterations=7), ammo_records=2)
    assert m.limit == 14


def test_rps_iterations_only_sends_the_cap_at_the_rate():
    m = map_load(bzt_load(throughput=20, iterations=10), ammo_records=1)
    assert m.model == "rps"
    assert m.schedule == "const(20, 0.5s)"
    assert m.limit == 10
    assert m.duration_ns == 500 * 10**6


def test_rps_iterations_only_rounds_the_length_up_to_whole_ms():
    # 10 hits at 3 rps: 3.333… s; Tank counts int(3 · 3334 ms / 1000) = 10 shots
    m = map_load(bzt_load(throughput=3, iterations=10), ammo_records=1)
    assert m.schedule == "const(3, 3.334s)"
    assert m.limit == 10


def test_closed_iterations_only_runs_until_the_cap_with_max_duration_as_safety():
    m = map_load(bzt_load(concurrency=4, iterations=3), ammo_records=2, max_duration=600)
    assert m.model == "instances"
    assert m.schedule == "const(4, 600s)"
    assert m.limit == 3 * 4 * 2
    assert m.duration_ns == 600 * 10**9
    assert m.warnings == []


def test_bare_execution_is_one_pass_of_one_instance():
    # no keys at all: bzt gives iterations = 1 (duration 0)
    m = map_load(bzt_load(), ammo_records=5)
    assert (m.model, m.schedule, m.instances, m.limit) == ("instances", "const(1, 3600s)", 1, 5)


def test_no_ammo_counts_as_one_record():
    m = map_load(bzt_load(concurrency=3, hold=10, iterations=2), ammo_records=0)
    assert m.limit == 6


def test_user_ammo_file_of_unknown_size_caps_by_loop():
    m = map_load(bzt_load(concurrency=2, hold=10, iterations=3), ammo_records=None)
    assert (m.limit, m.loop) == (0, 6)


def test_rps_without_any_length_holds_for_max_duration_and_warns():
    m = map_load(bzt_load(throughput=5, iterations=2), ammo_records=None, max_duration=120)
    assert m.schedule == "const(5, 120s)"
    assert m.loop == 2
    assert m.warnings and "max-duration" in m.warnings[0]


def test_bzt_int_throughput_quirk_and_float_values_pass_through():
    # bzt int()s throughput (1.5 → 1); a float that reaches us is still formatted exactly
    assert map_load(bzt_load(throughput=1, hold=2)).schedule == "const(1, 2s)"
    assert map_load(bzt_load(throughput=2.5, hold=2)).schedule == "const(2.5, 2s)"


@pytest.mark.parametrize("load, message", [
    (bzt_load(concurrency=-1, hold=1), "concurrency"),
    (bzt_load(throughput="fast", hold=1), "throughput"),
    (bzt_load(concurrency=2.5, hold=1), "concurrency must be a whole number"),
    (bzt_load(concurrency=2, hold=1, iterations=1.5), "iterations"),
    (bzt_load(concurrency=2, ramp_up=3, steps=2.5), "steps"),
])
def test_rejects_values_incarne_cannot_run(load, message):
    with pytest.raises(logic.ConfigError, match=message):
        map_load(load)


# --- the formatting the schedule DSL reads ----------------------------------------------------

@pytest.mark.parametrize("ns, text", [
    (0, "0s"), (30 * 10**9, "30s"), (1500 * 10**6, "1.5s"), (4285714286, "4.285714286s"),
    (1, "0.000000001s"), (3600 * 10**9, "3600s"),
])
def test_format_duration_ns(ns, text):
    assert logic.format_duration_ns(ns) == text


@pytest.mark.parametrize("value, text", [
    (10, "10"), (10.0, "10"), (2.5, "2.5"), (1 / 3.0, "0.333333333"), (1e-7, "0.0000001"),
])
def test_format_number(value, text):
    assert logic.format_number(value) == text


def test_split_evenly_adds_up_in_whole_ms_when_it_can():
    parts = logic.split_evenly_ns(10**10, 7)
    assert sum(parts) == 10**10
    assert all(p % 10**6 == 0 for p in parts)
    assert max(parts) - min(parts) <= 10**6
    parts = logic.split_evenly_ns(10**6 + 1, 3)  # not whole ms: ns parts
    assert sum(parts) == 10**6 + 1 and max(parts) - min(parts) <= 1
