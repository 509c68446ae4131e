"""bzt.requests_model stand-in: HTTPRequest and the flat RequestParser's behaviour."""

from . import TaurusConfigError


class HTTPRequest(object):
    NAME = "request"

    def __init__(self, config, scenario, engine):
        self.config = config
        if "url" not in config:
            raise TaurusConfigError("Option 'url' is mandatory for request but not found in %s"
                                    % config)
        self.url = config["url"]
        self.label = str(config.get("label", self.url))
        self.method = str(config.get("method", "GET")).upper()
        self.headers = config.get("headers", {})
        self.body = config.get("body", None)


def _expand_transactions(requests):
    out = []
    for req in requests:
        if isinstance(req, dict) and "transaction" in req:
            out.extend(_expand_transactions(req.get("do")))
        else:
            out.append(req)
    return out


def extract_requests(scenario, engine):
    """bzt's RequestParser.extract_requests: transactions flattened, then every item must be
    an HTTP request; anything else is "Wrong request"."""
    out = []
    for req in _expand_transactions(scenario.get("requests", [])):
        if isinstance(req, str):
            req = {"url": req}
        try:
            out.append(HTTPRequest(req, scenario, engine))
        except BaseException:
            raise TaurusConfigError("Wrong request:\n %s" % req)
    return out
