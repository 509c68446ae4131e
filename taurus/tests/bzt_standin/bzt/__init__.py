"""A stand-in for the parts of bzt (Taurus) that taurus/incarne_bzt imports, so the executor's
prepare/post_process and the readers' wiring run under plain pytest (tests/test_executor.py).

Only the behaviour the module relies on is copied, from bzt's public source
(bzt/engine/modules.py ScenarioExecutor, bzt/requests_model.py RequestParser, bzt/utils.py):
what get_load() returns, that the flat request parser flattens `transaction` blocks and fails
on other blocks with "Wrong request", how RequiredTool calls a binary. The real bzt is
exercised by tests/test_bzt_e2e.py when one is at hand.
"""


class TaurusException(Exception):
    pass


class TaurusConfigError(TaurusException):
    pass


class TaurusInternalException(TaurusException):
    pass


class ToolError(TaurusException):
    def __init__(self, message="", diagnostics=None):
        super(ToolError, self).__init__(message)
        self.diagnostics = diagnostics


class NormalShutdown(KeyboardInterrupt):
    pass


class AutomatedShutdown(NormalShutdown):
    pass
