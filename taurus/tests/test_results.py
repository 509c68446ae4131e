"""stats.jsonl and phout lines → what bzt's aggregator gets (taurus.md §4), exit codes,
diagnostics."""

import errno
import json
import math

import pytest

from incarne_bzt import logic


# --- phout (docs/results.md §7.1) → bzt 10-tuples ---------------------------------------------

def test_phout_success_line():
    # Tank's aggregator/tests/phout2927 sample, proto 404 made 200
    line = "1502376597.698\t#3\t669\t146\t9\t410\t104\t581\t18\t315\t0\t200\n"
    t, label, conc, rt, ct, lt, rc, error, trname, nbytes = logic.phout_sample(line)
    assert t == 1502376597            # completion second: int(1502376597.698 + 0.000669)
    assert label == "#3"
    assert conc == 0
    assert rt == pytest.approx(669e-6) and ct == pytest.approx(146e-6)
    assert lt == pytest.approx(410e-6)  # column 5: first byte − sent
    assert (rc, error, trname, nbytes) == ("200", None, "", 315)


def test_phout_completion_second_rolls_over():
    line = "1000.900\tx\t200000\t0\t0\t0\t0\t0\t0\t0\t0\t200"
    assert logic.phout_sample(line)[0] == 1001


def test_phout_net_error_is_error_and_rc_strerror():
    line = "1482159938.776\t#0\t11001029\t11001029\t0\t0\t0\t11000000\t0\t0\t110\t0"
    sample = logic.phout_sample(line)
    assert sample[0] == 1482159949
    assert sample[6] == sample[7] == "Connection timed out"
    assert sample[9] == 0


@pytest.mark.parametrize("code, text", [
    (111, "Connection refused"), (71, "Protocol error"), (104, "Connection reset by peer"),
    (777, "Shot dropped (overload: no free instance)"), (314, "Assertion failed"),
])
def test_net_error_messages(code, text):
    assert logic.net_error_message(code) == text


def test_phout_http_errors_are_failures_unless_disabled():
    line = "1502376597.698\t#3\t669\t146\t9\t410\t104\t581\t18\t315\t0\t404"
    assert logic.phout_sample(line)[6:8] == ("404", "Response code: 404")
    assert logic.phout_sample(line, http_errors=False)[6:8] == ("404", None)


def test_phout_empty_tag_and_blank_lines():
    assert logic.phout_sample("1.5\t\t1\t0\t0\t0\t0\t0\t0\t0\t0\t200")[1] == ""
    assert logic.phout_sample("\n") is None


@pytest.mark.parametrize("line", [
    "1.5\ttag\t1\t2", "x\ttag\t1\t0\t0\t0\t0\t0\t0\t0\t0\t200",
    "1.5\ttag\t1\t0\t0\t0\t0\t0\t0\t0\t0\t200\textra",
])
def test_phout_malformed_lines_raise(line):
    with pytest.raises(ValueError):
        logic.phout_sample(line)


# --- stats.jsonl → per-second records ---------------------------------------------------------

def percentiles(p50, p75, p90, p95, p99, p999, mx, mn, mean, count):
    return {"p50": p50, "p75": p75, "p90": p90, "p95": p95, "p99": p99, "p99.9": p999,
            "max": mx, "min": mn, "mean": mean, "count": count}


def stats_obj(hits, errors=0, net_errors=0, proto=None, net=None, latency=None, service=None,
              phases=None, bytes_in=0, **extra):
    obj = {"hits": hits, "errors": errors, "net_errors": net_errors, "duration_s": 1.0,
           "rps": float(hits), "bytes_out": 100 * hits, "bytes_in": bytes_in,
           "latency_us": latency or percentiles(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
           "service_us": service or percentiles(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
           "lag_us": percentiles(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
           "phases_mean_us": phases or {"connect": 0, "send": 0, "latency": 0, "receive": 0},
           "proto_codes": dict((str(k), v) for k, v in (proto or {}).items()),
           "net_codes": dict((str(k), v) for k, v in (net or {}).items()),
           "net_code_names": {}}
    obj.update(extra)
    return obj


def stats_line(ts, overall, tags=None, inflight=7):
    return json.dumps({"second": 3, "ts": ts, "planned": 10, "sent": 10,
                       "inflight_max": inflight, "ring_dropped": 0, "late": 0,
                       "overall": overall, "tags": tags or {}}) + "\n"


def value_at_percentile(hist, pct):
    """HdrHistogram's rule: the smallest value whose cumulative count ≥ pct% of the total."""
    total = sum(c for _, c in hist)
    need = max(1, int(math.ceil(total * pct / 100.0)))
    seen = 0
    for value, count in sorted(hist):
        seen += count
        if seen >= need:
            return value
    raise AssertionError("empty")


def test_tagged_second():
    lat_a = percentiles(1000, 1500, 2000, 2500, 4000, 9000, 12000, 500, 1200.5, 1000)
    lat_b = percentiles(3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 10)
    a = stats_obj(1000, errors=5, net_errors=2, proto={0: 2, 200: 995, 503: 3},
                  net={0: 998, 111: 2}, latency=lat_a,
                  phases={"connect": 100, "send": 5, "latency": 800, "receive": 50},
                  bytes_in=9000)
    b = stats_obj(10, proto={200: 10}, net={0: 10}, latency=lat_b, bytes_in=1000)
    overall = stats_obj(1010, errors=5, net_errors=2)
    rec = logic.parse_stats_line(stats_line(1732640003.437, overall, {"get_a": a, "post": b}))
    assert rec.ts == 1732640003
    assert rec.concurrency == 7
    assert set(rec.labels) == {"get_a", "post"}
    ka = rec.labels["get_a"]
    assert (ka.count, ka.succ, ka.fail, ka.bytes) == (1000, 995, 5, 9000)
    assert ka.sum_rt == pytest.approx(1200.5e-6 * 1000)
    assert ka.sum_ct == pytest.approx(100e-6 * 1000)
    assert ka.sum_lt == pytest.approx(800e-6 * 1000)
    assert ka.rc == {"Connection refused": 2, "200": 995, "503": 3}
    assert ka.errors == [("Connection refused", "Connection refused", 2),
                         ("Response code: 503", "503", 3)]
    assert sum(c for _, c in ka.hist) == 1000
    for key, pct in (("p50", 50), ("p75", 75), ("p90", 90), ("p95", 95), ("p99", 99),
                     ("p99.9", 99.9), ("max", 100)):
        assert value_at_percentile(ka.hist, pct) == pytest.approx(lat_a[key] / 1e6)
    assert min(v for v, _ in ka.hist) == pytest.approx(500e-6)
    kb = rec.labels["post"]
    assert (kb.count, kb.succ, kb.fail, kb.rc, kb.errors) == (10, 10, 0, {"200": 10}, [])
    assert kb.hist == [(0.003, 10)]


def test_untagged_run_uses_overall_under_the_empty_tag():
    overall = stats_obj(4, proto={200: 4}, net={0: 4},
                        latency=percentiles(10, 10, 10, 10, 10, 10, 10, 10, 10, 4))
    rec = logic.parse_stats_line(stats_line(1000.0, overall))
    assert list(rec.labels) == [""]
    assert rec.labels[""].count == 4


def test_http_errors_off_counts_net_errors_only():
    s = stats_obj(10, errors=4, net_errors=1, proto={0: 1, 200: 6, 500: 3}, net={0: 9, 104: 1})
    ls = logic.label_stats(s, http_errors=False)
    assert (ls.succ, ls.fail) == (9, 1)
    assert ls.errors == [("Connection reset by peer", "Connection reset by peer", 1)]
    assert ls.rc == {"Connection reset by peer": 1, "200": 6, "500": 3}


def test_response_time_can_be_service_time():
    s = stats_obj(2, latency=percentiles(9, 9, 9, 9, 9, 9, 9, 9, 9, 2),
                  service=percentiles(4, 4, 4, 4, 4, 4, 4, 4, 4, 2))
    assert logic.label_stats(s, response_time="service").hist == [(4e-6, 2)]
    assert logic.label_stats(s).hist == [(9e-6, 2)]
    with pytest.raises(logic.ConfigError):
        logic.label_stats(s, response_time="lag")


def test_dropped_shots_have_no_times():
    # 3 hits, one dropped (net 777): the histogram has 2 timed hits, the mean is over 2
    s = stats_obj(3, errors=1, net_errors=1, proto={0: 3}, net={0: 2, 777: 1},
                  latency=percentiles(100, 100, 100, 100, 100, 100, 100, 100, 100, 2))
    ls = logic.label_stats(s)
    assert (ls.count, ls.fail) == (3, 1)
    assert sum(c for _, c in ls.hist) == 2
    assert ls.sum_rt == pytest.approx(200e-6)
    assert ls.rc == {"Shot dropped (overload: no free instance)": 1, "0": 2}


def test_a_histogram_in_the_line_is_used_exactly():
    s = stats_obj(5, latency=percentiles(1, 1, 1, 1, 1, 1, 1, 1, 1, 5),
                  latency_hist_us={"250": 2, "1000": 3})
    assert logic.label_stats(s).hist == [(250e-6, 2), (1000e-6, 3)]
    s = stats_obj(5, latency_hist_us=[[250, 2], [1000, 3]])
    assert logic.label_stats(s).hist == [(250e-6, 2), (1000e-6, 3)]


def test_seconds_without_hits_and_blank_lines_give_nothing():
    assert logic.parse_stats_line(stats_line(5.0, stats_obj(0))) is None
    assert logic.parse_stats_line("   \n") is None


@pytest.mark.parametrize("line", ["{not json", "[1, 2]", '{"ts": 1}', '{"overall": {}}'])
def test_bad_stats_lines_raise(line):
    with pytest.raises(ValueError):
        logic.parse_stats_line(line)


def test_histogram_from_percentiles_keeps_the_count_and_each_percentile():
    summary = percentiles(200, 300, 400, 500, 900, 1500, 3000, 100, 260, 1000)
    hist = logic.histogram_from_percentiles(summary)
    assert sum(c for _, c in hist) == 1000
    assert hist[0] == (100.0, 1) and hist[-1] == (3000.0, 1)
    for key, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)):
        assert value_at_percentile(hist, pct) == summary[key]
    assert logic.histogram_from_percentiles(dict(summary, count=0)) == []
    assert logic.histogram_from_percentiles(percentiles(7, 7, 7, 7, 7, 7, 7, 7, 7, 1)) == [
        (7.0, 1)]


def test_concurrency_track():
    track = logic.ConcurrencyTrack()
    track.add_line(stats_line(100.2, stats_obj(1), inflight=5))
    track.add_line(stats_line(102.2, stats_obj(1), inflight=9))
    assert (track.at(99), track.at(100), track.at(101), track.at(102), track.at(200)) == (
        0, 5, 5, 9, 9)


def test_stats_file_has_hits(tmp_path):
    path = tmp_path / "stats.jsonl"
    assert not logic.stats_file_has_hits(str(path))
    path.write_text(stats_line(1.0, stats_obj(0)))
    assert not logic.stats_file_has_hits(str(path))
    with open(str(path), "a") as fds:
        fds.write(stats_line(2.0, stats_obj(3))[:-5])  # half-written line
    assert not logic.stats_file_has_hits(str(path))
    path.write_text(stats_line(1.0, stats_obj(0)) + stats_line(2.0, stats_obj(3)))
    assert logic.stats_file_has_hits(str(path))


def test_file_has_line(tmp_path):
    path = tmp_path / "phout.log"
    assert not logic.file_has_line(str(path))
    path.write_text("\n\n")
    assert not logic.file_has_line(str(path))
    path.write_text("1.0\tx\t1\t0\t0\t0\t0\t0\t0\t0\t0\t200\n")
    assert logic.file_has_line(str(path))


# --- whole lines from an incremental reader ---------------------------------------------------

def test_line_assembler_holds_back_a_partial_line():
    asm = logic.LineAssembler()
    assert list(asm.feed(["a\nb", "c\n", "d"])) == ["a", "bc"]
    assert asm.pending == "d"
    assert list(asm.feed(["e\n"])) == ["de"]
    assert list(asm.feed(["f"])) == []
    assert list(asm.feed([], final=True)) == ["f"]
    assert asm.pending == ""


# --- exit codes and diagnostics ---------------------------------------------------------------

@pytest.mark.parametrize("rc, kind", [
    (0, "ok"), (1, "failed"), (2, "bad-input"), (3, "autostop"), (-9, "killed"), (42, "failed"),
])
def test_exit_status(rc, kind):
    assert logic.exit_status(rc)[0] == kind


def test_diagnostics_are_tails_of_the_non_empty_files(tmp_path):
    out = tmp_path / "incarne.out"
    err = tmp_path / "incarne.err"
    out.write_text("")
    err.write_text("".join("line %d\n" % i for i in range(100)))
    diags = logic.diagnostics([("incarne STDOUT", str(out)), ("incarne STDERR", str(err)),
                               ("incarne.log", str(tmp_path / "missing")), ("x", None)],
                              max_lines=3)
    assert diags == ["incarne STDERR:\nline 97\nline 98\nline 99"]


def test_tail_of_a_big_file_drops_the_cut_line(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"x" * 100 + b"\nlast\n")
    assert logic.tail_lines(str(path), max_lines=5, max_bytes=20) == "last"
    assert errno.ENOENT  # the module uses os.strerror, which must know Linux errnos


@pytest.mark.parametrize("seed", range(20))
def test_histogram_from_percentiles_reproduces_incarne_percentiles(seed):
    # incarne's ValueAtPercentile: the ceil(p/100 · count)-th smallest value (at least the
    # 1st); the rebuilt histogram must give the same value under bzt's HDR rule.
    import random
    rnd = random.Random(seed)
    samples = sorted(rnd.choice([rnd.randint(1, 50), rnd.randint(100, 10**6)])
                     for _ in range(rnd.randint(1, 3000)))
    n = len(samples)

    def pct(p):
        return samples[max(1, int(math.ceil(n * p / 100.0))) - 1]
    summary = percentiles(pct(50), pct(75), pct(90), pct(95), pct(99), pct(99.9), samples[-1],
                          samples[0], sum(samples) / float(n), n)
    hist = logic.histogram_from_percentiles(summary)
    assert sum(c for _, c in hist) == n
    assert hist[0][0] == samples[0] and hist[-1][0] == samples[-1]
    for key, p in (("p50", 50), ("p75", 75), ("p90", 90), ("p95", 95), ("p99", 99),
                   ("p99.9", 99.9), ("max", 100)):
        assert value_at_percentile(hist, p) == summary[key], key


# --- closed-model concurrency from the schedule -----------------------------------------------

def test_instances_timeline_tank_examples():
    # Tank's instance_plan (docs/schedule.md): line(1,9,4s) starts at 0, 500, …, 4000 ms
    line = logic.InstancesTimeline("line(1, 9, 4s)")
    assert [line.at(t) for t in (0, 0.49, 0.5, 1.0, 3.99, 4.0, 100)] == [1, 1, 2, 3, 8, 9, 9]
    # step(2,10,2,3s): 0,0,3000,3000,…,12000,12000
    step = logic.InstancesTimeline("step(2, 10, 2, 3s)")
    assert [step.at(t) for t in (0, 2.9, 3, 6, 9, 12, 15, 99)] == [2, 2, 4, 6, 8, 10, 10, 10]
    assert step.final == 10


def test_instances_timeline_of_the_mapped_schedules():
    tl = logic.InstancesTimeline("line(1, 10, 30s) const(10, 60s)")
    assert (tl.at(0), tl.at(10), tl.at(30), tl.at(89)) == (1, 4, 10, 10)
    tl = logic.InstancesTimeline("const(4, 10s) const(7, 10s) const(10, 10s) const(10, 60s)")
    assert (tl.at(0), tl.at(9.9), tl.at(10), tl.at(25), tl.at(80)) == (4, 4, 7, 10, 10)
    assert logic.InstancesTimeline("const(1, 30s) const(1, 60s)").at(50) == 1


def test_closed_model_concurrency_is_at_least_the_running_instances():
    tl = logic.InstancesTimeline("line(1, 10, 30s) const(10, 60s)")
    obj = json.loads(stats_line(1000.5, stats_obj(5), inflight=0))
    obj["second"] = 9  # end of second 9 = 10 s: 1 + floor(10 · 9 / 30) = 4 instances
    line = json.dumps(obj)
    assert logic.parse_stats_line(line).concurrency == 0
    assert logic.parse_stats_line(line, timeline=tl).concurrency == 4
    obj["inflight_max"] = 7
    assert logic.parse_stats_line(json.dumps(obj), timeline=tl).concurrency == 7
    track = logic.ConcurrencyTrack(tl)
    obj["inflight_max"] = 0
    track.add_line(json.dumps(obj))
    assert track.at(1000) == 4
