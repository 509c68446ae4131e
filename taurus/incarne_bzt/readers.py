"""Result readers that feed incarne's output into bzt's aggregator (docs/taurus.md
"Results").

IncarneStatsReader (default, `results: stats`): a ResultsProvider that turns each line of the
run's stats.jsonl (one per finished second, all tags, with histograms) into a ready DataPoint.
Costs the same at 100 or 1 000 000 rps.

IncarnePhoutReader (`results: phout`): a ResultsReader that yields one sample per phout line
(the run's phout.log, Tank's 12 columns) and lets bzt aggregate; about 60k samples/s is the
most bzt keeps up with. Concurrency comes from stats.jsonl (phout has no such column).

Both name in bzt's log, as warnings, the raw records a second of stats.jsonl lost to full
result rings (`ring_dropped`) and its unsent shots (`unsent`).

All parsing is in logic.py (no bzt); this file only builds bzt objects.
"""

from collections import Counter

from bzt.modules.aggregator import DataPoint, KPISet, ResultsProvider, ResultsReader
from bzt.utils import FileReader

from . import logic

CHUNK = 1024 * 1024
CONCURRENCY_SOURCE = "incarne"


def _log_losses(log, losses):
    """Lost records and unsent shots are warnings in bzt's log, as they are read."""
    for text in losses.pop_warnings():
        log.warning("%s", text)


class _LineFile(object):
    """An incrementally read text file that hands out whole lines only."""

    def __init__(self, filename, log):
        self.filename = filename
        self.file = FileReader(filename=filename, parent_logger=log)
        self.assembler = logic.LineAssembler()

    def lines(self, final_pass=False):
        return self.assembler.feed(self.file.get_lines(size=CHUNK, last_pass=final_pass),
                                   final=final_pass)


class IncarneStatsReader(ResultsProvider):
    """stats.jsonl → one DataPoint per second (labels = ammo tags, '' = overall)."""

    def __init__(self, filename, parent_logger, http_errors=True, response_time="latency",
                 labels=None, timeline=None):
        super(IncarneStatsReader, self).__init__()
        self.labels = labels or {}
        self.timeline = timeline
        self.log = parent_logger.getChild(self.__class__.__name__)
        self.filename = filename
        self.http_errors = http_errors
        self.response_time = response_time
        self.source = _LineFile(filename, self.log)
        self.points = 0
        self.samples = 0
        self.losses = logic.LossCounter()

    def _ramp_up_exclude(self):
        return False

    def _calculate_datapoints(self, final_pass=False):
        for line in self.source.lines(final_pass):
            try:
                record = logic.parse_stats_line(line, http_errors=self.http_errors,
                                                response_time=self.response_time,
                                                timeline=self.timeline, losses=self.losses)
            except ValueError as exc:
                self.log.warning("Skipping a bad line of %s: %s", self.filename, exc)
                continue
            finally:
                _log_losses(self.log, self.losses)
            if record is None:
                continue
            self.points += 1
            self.samples += sum(s.count for s in record.labels.values())
            yield self._datapoint(record)

    def _kpiset(self):
        return KPISet(self.track_percentiles, 1000.0 * self.histogram_max,
                      ext_aggregation=self._redundant_aggregation)

    def _datapoint(self, record):
        point = DataPoint(record.ts, self.track_percentiles)
        point[DataPoint.SOURCE_ID] = id(self)
        current = point[DataPoint.CURRENT]
        for raw_label, stats in record.labels.items():
            label = self.labels.get(raw_label, raw_label) or logic.EMPTY_LABEL
            if self.generalize_labels:
                label = self._generalize_label(label)
            kpis = self._kpiset()
            kpis[KPISet.SAMPLE_COUNT] = stats.count
            kpis[KPISet.SUCCESSES] = stats.succ
            kpis[KPISet.FAILURES] = stats.fail
            kpis[KPISet.BYTE_COUNT] = stats.bytes
            kpis.sum_rt = stats.sum_rt
            kpis.sum_cn = stats.sum_ct
            kpis.sum_lt = stats.sum_lt
            for value, count in stats.hist:
                kpis[KPISet.RESP_TIMES].add(value, count)
            kpis[KPISet.RESP_CODES].update(stats.rc)
            for msg, r_code, count in stats.errors:
                msg = self._fold_error(msg)
                item = KPISet.error_item_skel(msg, r_code, count, KPISet.ERRTYPE_ERROR,
                                              Counter(), None)
                KPISet.inc_list(kpis[KPISet.ERRORS], ("msg", msg), item)
            if record.concurrency:
                kpis.add_concurrency(record.concurrency, CONCURRENCY_SOURCE)
            kpis.recalculate()
            if label in current:  # two tags folded into one label
                current[label].merge_kpis(kpis, CONCURRENCY_SOURCE)
                current[label].recalculate()
            else:
                current[label] = kpis
        overall = self._kpiset()
        for kpis in current.values():
            overall.merge_kpis(kpis, CONCURRENCY_SOURCE)
        current[""] = overall
        point.recalculate()
        return point

    def has_results(self):
        """True once a second with hits was read, or is waiting in the file (the executor's
        has_results runs before the aggregator's final pass)."""
        return self.samples > 0 or logic.stats_file_has_hits(self.filename)


class IncarnePhoutReader(ResultsReader):
    """phout.log → one bzt sample per hit; concurrency per second from stats.jsonl."""

    def __init__(self, filename, parent_logger, stats_filename=None, http_errors=True,
                 labels=None, timeline=None):
        super(IncarnePhoutReader, self).__init__()
        self.labels = labels or {}
        self.log = parent_logger.getChild(self.__class__.__name__)
        self.filename = filename
        self.http_errors = http_errors
        self.source = _LineFile(filename, self.log)
        self.stats_source = _LineFile(stats_filename, self.log) if stats_filename else None
        self.losses = logic.LossCounter()
        self.concurrency = logic.ConcurrencyTrack(timeline, self.losses)
        self.samples = 0
        self.bad_lines = 0

    def _read_concurrency(self, final_pass):
        if self.stats_source is None:
            return
        for line in self.stats_source.lines(final_pass):
            try:
                self.concurrency.add_line(line)
            except ValueError as exc:
                self.log.debug("Skipping a bad stats line: %s", exc)
            _log_losses(self.log, self.losses)

    def _read(self, final_pass=False):
        self._read_concurrency(final_pass)
        for line in self.source.lines(final_pass):
            try:
                sample = logic.phout_sample(line, http_errors=self.http_errors)
            except ValueError as exc:
                self.bad_lines += 1
                if self.bad_lines <= 10:
                    self.log.warning("Skipping a bad line of %s: %s", self.filename, exc)
                continue
            if sample is not None:
                self.samples += 1
                if sample[1] in self.labels:
                    sample = (sample[0], self.labels[sample[1]]) + sample[2:]
                yield sample

    def _calculate_datapoints(self, final_pass=False):
        for point in super(IncarnePhoutReader, self)._calculate_datapoints(final_pass):
            active = self.concurrency.at(point[DataPoint.TIMESTAMP])
            if active:
                for kpis in point[DataPoint.CURRENT].values():
                    kpis.add_concurrency(active, CONCURRENCY_SOURCE)
                    kpis.recalculate()
            yield point

    def has_results(self):
        return self.samples > 0 or bool(self.buffer) or logic.file_has_line(self.filename)
