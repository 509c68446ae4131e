"""bzt.modules.aggregator stand-in: the reader base classes, without aggregation (the
readers' DataPoints are checked under the real bzt, tests/test_bzt_e2e.py)."""


class ConsolidatingAggregator(object):
    def __init__(self):
        self.underlings = []

    def add_underling(self, underling):
        self.underlings.append(underling)


class DataPoint(dict):
    pass


class KPISet(dict):
    pass


class ResultsProvider(object):
    def __init__(self):
        self.buffer = []


class ResultsReader(ResultsProvider):
    pass
