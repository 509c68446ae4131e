"""A Taurus scenario's logic → incarne rules, templates and session steps (docs/taurus.md
"Scenario logic"; the rules, captures and templates: docs/scenario.md).

bzt-free like logic.py. What bzt's JMeter executor builds from these keys (bzt/jmx/tools.py:
ResponseAssertion, JSONPathAssertion, RegexExtractor, JSONPostProcessor, ConstantTimer,
CookieManager, the variables of the test plan) is what the mapping keeps:

    assert            status (subject http-code), body (subject body), headers ("Name: value"
                      patterns, subject headers); `regexp: false` quotes the text; `not` on a
                      status becomes the complement of the codes; several `contains` all must hold
    assert-jsonpath   the path must exist (a capture into a variable of its own)
    extract-regexp    capture { regex } over the body, group 1
    extract-jsonpath  capture { json }
    think-time        every request a step of one session, with the pause before it
    store-cookie      true (written) → [scenario] cookies = true
    variables         constants written into the requests
    ${__UUID()} ${__Random(a,b)} ${__time()}   → ${uuid} ${random(a,b)} ${now_ms}

Everything else inside these keys is named in a warning and left out (the run goes on).
"""

import json
import re
from collections import namedtuple

ScenarioLogic = namedtuple("ScenarioLogic", "rules scenario_keys sleeps_ms requests warnings")
ScenarioLogic.__doc__ = """What map_scenario found.

rules          [{"tag": regex, "status": [...], "body": regex, "headers": {...},
                 "capture": {var: {"json"|"regex": ...}}}] in plan order
scenario_keys  [(key, value)] for the plan's [scenario] table (cookies, on_fail)
sleeps_ms      None (no think-time: one record per request, as before) or a pause in ms
               before each request: the requests are the steps of one session
requests       the RequestSpecs with variables and JMeter functions rewritten
warnings       one line each, for bzt's log
"""

_JSON_PATH = re.compile(r"""^\$(?:\.[A-Za-z0-9_$\-\x80-\U0010ffff]+|\[\d+\]|\['[^']*'\]|\["[^"]*"\])*$""")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_HEADER_PATTERN = re.compile(r"^([A-Za-z0-9!#$%&'*+.^_`|~-]+):\s*(.*)$", re.S)
_BUILTINS = ("instance", "iteration", "now_ms", "uuid")


def quote_meta(text):
    """RE2::QuoteMeta: every ASCII byte but letters, digits and _ escaped."""
    out = []
    for ch in str(text):
        if ch == "\0":
            out.append("\\x00")
        elif ord(ch) < 0x80 and not (ch.isalnum() or ch == "_"):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# Java regex constructs RE2 (linear time) does not have: JMeter's patterns may use them.
_NOT_RE2 = (("(?=", "lookahead"), ("(?!", "negative lookahead"), ("(?<=", "lookbehind"),
            ("(?<!", "negative lookbehind"), ("(?>", "atomic group"), ("*+", "possessive *+"),
            ("++", "possessive ++"), ("?+", "possessive ?+"))


def not_re2(pattern):
    """The first Java-only construct in `pattern` (RE2 refuses it), else None."""
    for text, name in _NOT_RE2:
        if text in pattern:
            return name
    if re.search(r"(?<!\\)\\[1-9]", pattern):
        return "a backreference"
    return None


def think_time_ms(value):
    """bzt's constant think-time ("500ms", "1s", 2) in ms; None for a distribution."""
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(round(float(value) * 1000))
    match = _DURATION.match(str(value))
    if not match:
        return None
    scale = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}[match.group(2) or "s"]
    return int(round(float(match.group(1)) * scale))


def status_complement(codes):
    """Every status 100..999 but `codes`, in incarne's status syntax (classes where whole)."""
    codes = set(codes)
    out = []
    for h in range(1, 10):
        if not any(h * 100 <= c < h * 100 + 100 for c in codes):
            out.append("%dxx" % h)
            continue
        for t in range(10):
            base = h * 100 + t * 10
            if not any(base <= c < base + 10 for c in codes):
                out.append("%d%dx" % (h, t))
            else:
                out.extend(base + u for u in range(10) if base + u not in codes)
    return out


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _bool(value, default):
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


class _Mapper(object):
    def __init__(self, scenario_name):
        self.where = "scenario %r" % scenario_name if scenario_name else "scenario"
        self.warnings = []
        self.rules = []
        self.captured = set()
        self.assert_vars = 0

    def warn(self, index, key, what):
        self.warnings.append("%s, requests[%d] %s: %s not mapped (docs/taurus.md \"Scenario "
                             "logic\")" % (self.where, index, key, what))

    def asserts(self, index, tag_re, items):
        for n, item in enumerate(_as_list(items)):
            key = "assert[%d]" % n
            if not isinstance(item, dict):
                item = {"contains": item}
            unknown = sorted(set(item) - {"contains", "subject", "regexp", "not",
                                          "assume-success"})
            for extra in unknown:
                self.warn(index, key, "key %r" % extra)
            if _bool(item.get("assume-success"), False):
                self.warn(index, key, "assume-success (incarne keeps the hit's own outcome)")
            patterns = [str(p) for p in _as_list(item.get("contains"))]
            subject = str(item.get("subject", "body"))
            regexp = _bool(item.get("regexp"), True)
            invert = _bool(item.get("not"), False)
            if not patterns:
                continue
            if subject == "http-code":
                codes = []
                for p in patterns:
                    literal = p if regexp is False or re.match(r"^\d{3}$", p) else None
                    if literal is None or not re.match(r"^[1-9]\d\d$", literal):
                        self.warn(index, key, "http-code pattern %r (a 3-digit code is)" % p)
                        codes = None
                        break
                    codes.append(int(literal))
                if not codes:
                    continue
                if invert:
                    self.rules.append({"tag": tag_re, "status": status_complement(codes)})
                elif len(set(codes)) == 1:
                    self.rules.append({"tag": tag_re, "status": codes[:1]})
                else:
                    # JMeter's patterns must all hold: two different codes never do.
                    self.rules.append({"tag": tag_re, "status": [codes[0]]})
                    self.rules.append({"tag": tag_re, "status": [codes[1]]})
                continue
            if invert:
                self.warn(index, key, "not: true on %s (incarne's rules have no negation of "
                          "a regex)" % subject)
                continue
            if subject == "body":
                for p in patterns:
                    if regexp and not_re2(p):
                        self.warn(index, key, "pattern %r: %s (incarne's regexes are RE2)"
                                  % (p, not_re2(p)))
                        continue
                    self.rules.append({"tag": tag_re, "body": p if regexp else quote_meta(p)})
            elif subject == "headers":
                for p in patterns:
                    m = _HEADER_PATTERN.match(p)
                    if not m:
                        self.warn(index, key, "headers pattern %r (incarne checks a header by "
                                  "name: write 'Name: value')" % p)
                        continue
                    if regexp and not_re2(m.group(2)):
                        self.warn(index, key, "pattern %r: %s (incarne's regexes are RE2)"
                                  % (p, not_re2(m.group(2))))
                        continue
                    value = m.group(2) if regexp else quote_meta(m.group(2))
                    self.rules.append({"tag": tag_re, "headers": {m.group(1): value}})
            else:
                self.warn(index, key, "subject %r" % subject)

    def capture(self, index, key, tag_re, var, spec):
        if not _VAR_NAME.match(var) or var in _BUILTINS:
            self.warn(index, key, "variable name %r (letters, digits, _; not a built-in)" % var)
            return
        self.captured.add(var)
        self.rules.append({"tag": tag_re, "capture": {var: spec}})

    def json_path(self, index, key, path):
        path = str(path)
        if not _JSON_PATH.match(path):
            self.warn(index, key, "JSON path %r (incarne's are $, .name, ['name'], [N])" % path)
            return None
        return path

    def assert_jsonpath(self, index, tag_re, items):
        for n, item in enumerate(_as_list(items)):
            key = "assert-jsonpath[%d]" % n
            if not isinstance(item, dict):
                item = {"jsonpath": item}
            checks = [k for k in ("validate", "expect-null", "invert")
                      if _bool(item.get(k), False)]
            if checks:
                self.warn(index, key, "%s: true (incarne checks only that the path exists)"
                          % checks[0])
                continue
            path = self.json_path(index, key, item.get("jsonpath", ""))
            if path:
                self.assert_vars += 1
                self.capture(index, key, tag_re, "_assert_jsonpath_%d" % self.assert_vars,
                             {"json": path})

    def extracts(self, index, tag_re, kind, items):
        if not isinstance(items, dict):
            self.warn(index, kind, "a value that is not a map of variable → extractor")
            return
        for var, cfg in items.items():
            key = "%s.%s" % (kind, var)
            if not isinstance(cfg, dict):
                cfg = {"regexp" if kind == "extract-regexp" else "jsonpath": cfg}
            if "default" in cfg:
                self.warn(index, key, "default %r (a reply without a match fails with net "
                          "code 314 instead)" % (cfg.get("default"),))
            for extra in ("from-variable", "scope", "concat"):
                if cfg.get(extra) not in (None, False, "", "all"):
                    self.warn(index, key, "%s" % extra)
            if kind == "extract-regexp":
                if str(cfg.get("subject", "body")) != "body":
                    self.warn(index, key, "subject %r (incarne's regex captures read the body)"
                              % cfg.get("subject"))
                    continue
                if str(cfg.get("template", 1)).strip("$") != "1":
                    self.warn(index, key, "template %r (incarne takes group 1)"
                              % cfg.get("template"))
                    continue
                if str(cfg.get("match-no", 1)) != "1":
                    self.warn(index, key, "match-no %r (incarne takes the first match)"
                              % cfg.get("match-no"))
                    continue
                if not_re2(str(cfg.get("regexp"))):
                    self.warn(index, key, "regexp %r: %s (incarne's regexes are RE2)"
                              % (cfg.get("regexp"), not_re2(str(cfg.get("regexp")))))
                    continue
                self.capture(index, key, tag_re, str(var), {"regex": str(cfg.get("regexp"))})
            else:
                if str(cfg.get("match-no", "0")) not in ("0", "1"):
                    self.warn(index, key, "match-no %r" % cfg.get("match-no"))
                    continue
                path = self.json_path(index, key, cfg.get("jsonpath", ""))
                if path:
                    self.capture(index, key, tag_re, str(var), {"json": path})


def _rewrite(text, constants, captured, refs):
    """`${...}` in one request text: variables → their value, JMeter functions → built-ins."""
    def sub(match):
        inner = match.group(1).strip()
        if inner in constants and inner not in captured:
            return constants[inner]
        if re.match(r"^__UUID\(\s*\)$", inner):
            refs.add("uuid")
            return "${uuid}"
        if re.match(r"^__time\(\s*\)$", inner):
            refs.add("now_ms")
            return "${now_ms}"
        m = re.match(r"^__Random\(\s*(-?\d+)\s*,\s*(-?\d+)\s*(?:,\s*)?\)$", inner)
        if m:
            refs.add("random")
            return "${random(%s,%s)}" % (m.group(1), m.group(2))
        refs.add(inner)
        return match.group(0)
    return _REFERENCE.sub(sub, text)


def _rewrite_value(value, constants, captured, refs):
    if isinstance(value, str):
        return _rewrite(value, constants, captured, refs)
    if isinstance(value, dict):
        return dict((k, _rewrite_value(v, constants, captured, refs)) for k, v in value.items())
    if isinstance(value, list):
        return [_rewrite_value(v, constants, captured, refs) for v in value]
    return value


def map_scenario(scenario, raw_requests, requests, tags, scenario_name=None):
    """Maps the scenario's logic keys.

    scenario      the scenario as written (a dict: think-time, variables, store-cookie)
    raw_requests  its `requests` as written, one per RequestSpec (strings allowed)
    requests      logic.RequestSpec list (what bzt parsed), in the same order
    tags          the ammo tag of each request
    Returns ScenarioLogic; nothing here raises for a key it cannot map (a warning says so).
    """
    from .logic import RequestSpec  # the one place this module needs logic's types

    mapper = _Mapper(scenario_name)
    scenario = scenario or {}
    raw = [r if isinstance(r, dict) else {"url": r} for r in (raw_requests or [])]
    if len(raw) != len(requests):
        mapper.warnings.append("%s: the requests as written and as bzt parsed them differ in "
                               "number: assert, extract-* and think-time not mapped"
                               % mapper.where)
        return ScenarioLogic([], [], None, list(requests), mapper.warnings)

    for index, (item, tag) in enumerate(zip(raw, tags)):
        tag_re = quote_meta(tag)
        if "assert" in item:
            mapper.asserts(index, tag_re, item["assert"])
        if "assert-jsonpath" in item:
            mapper.assert_jsonpath(index, tag_re, item["assert-jsonpath"])
        for kind in ("extract-regexp", "extract-jsonpath"):
            if kind in item:
                mapper.extracts(index, tag_re, kind, item[kind])

    # Requests that share a tag share its rules (incarne's rules go by tag).
    owners = {}
    for index, (item, tag) in enumerate(zip(raw, tags)):
        if any(k in item for k in ("assert", "assert-jsonpath", "extract-regexp",
                                   "extract-jsonpath")):
            owners.setdefault(tag, []).append(index)
    for tag, indexes in owners.items():
        others = [i for i, t in enumerate(tags) if t == tag and i not in indexes]
        if others:
            mapper.warnings.append("%s: requests[%d] and requests[%d] have one label (%r): "
                                   "the asserts and extracts of one apply to both"
                                   % (mapper.where, indexes[0], others[0], tag))

    # variables: constants written into the requests (a name an extract also sets stays a
    # reference: its value comes from the reply).
    constants = {}
    variables = scenario.get("variables", None) or {}
    if isinstance(variables, dict):
        for name, value in variables.items():
            constants[str(name)] = str(value)
            if str(name) in mapper.captured:
                mapper.warnings.append("%s: variables.%s is also extracted: incarne sends "
                                       "${%s} only after the extract set it (its first value "
                                       "is not used)" % (mapper.where, name, name))
    elif variables:
        mapper.warnings.append("%s: variables: expected a map of name → value, not mapped"
                               % mapper.where)
    refs = set()
    rewritten = []
    for req in requests:
        rewritten.append(RequestSpec(
            _rewrite(req.url, constants, mapper.captured, refs), req.method,
            _rewrite_value(req.headers, constants, mapper.captured, refs),
            _rewrite_value(req.body, constants, mapper.captured, refs), req.label))
    unknown = sorted(r for r in refs if r not in mapper.captured
                     and r not in ("uuid", "now_ms", "random"))
    templated = bool(mapper.captured)
    if unknown and templated:
        mapper.warnings.append("%s: ${%s} is set by no variables or extract: incarne refuses "
                               "an unknown variable at start" % (mapper.where, unknown[0]))
    if not templated and (refs & {"uuid", "now_ms", "random"}):
        mapper.warnings.append("%s: JMeter functions became incarne built-ins, but incarne "
                               "reads templates only in a plan that captures something: they "
                               "are sent as written" % mapper.where)

    # think-time → one session whose steps are the requests, each paused before (JMeter's
    # timers run before their sampler).
    sleeps = []
    for index, item in enumerate(raw):
        value = item.get("think-time", scenario.get("think-time", None))
        ms = think_time_ms(value)
        if ms is None:
            mapper.warnings.append("%s, requests[%d] think-time %r: only a constant time is "
                                   "mapped (distributions are not)" % (mapper.where, index,
                                                                      value))
            ms = 0
        sleeps.append(ms)
    scenario_keys = []
    if _bool(scenario.get("store-cookie", None), False):
        scenario_keys.append(("cookies", True))
    elif scenario.get("store-cookie", None) is None:
        pass  # JMeter's default keeps cookies; incarne only when the config says so
    sleeps_ms = sleeps if any(sleeps) else None
    if sleeps_ms is not None:
        # JMeter's thread group goes on after a failed sample.
        scenario_keys.append(("on_fail", "continue"))
    return ScenarioLogic(mapper.rules, scenario_keys, sleeps_ms, rewritten, mapper.warnings)


def _toml(value):
    from .logic import toml_string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join("%s = %s" % (toml_string(k), _toml(v))
                                for k, v in value.items()) + " }"
    return toml_string(value)


def render(logic_map):
    """The plan's [scenario] table and [[rules]] tables (appended after the other sections)."""
    if logic_map is None:
        return ""
    lines = []
    captures = sum(len(r.get("capture", {})) for r in logic_map.rules)
    keys = list(logic_map.scenario_keys)
    if captures > 16:
        keys.append(("max_vars", captures))
    if keys:
        lines += ["", "[scenario]"] + ["%s = %s" % (k, _toml(v)) for k, v in keys]
    for rule in logic_map.rules:
        lines += ["", "[[rules]]"] + ["%s = %s" % (k, _toml(v)) for k, v in rule.items()]
    return "\n".join(lines) + ("\n" if lines else "")


def build_session_ammo(requests, tags, sleeps_ms, session, target, headers_of, body_of, path_of):
    """jsonline ammo (docs/ammo.md "jsonline"): the requests as the steps of one session
    `session`, a pause before a step as its "sleep". headers_of/body_of/path_of give each
    request's headers (without Host), body text and path as logic.py builds them."""
    lines = []
    for index, (req, tag) in enumerate(zip(requests, tags)):
        record = {"tag": tag, "method": req.method, "uri": path_of(req), "host": target,
                  "headers": dict(headers_of(req))}
        body = body_of(req)
        if body:
            record["body"] = body
        record["scenario"] = session
        record["step"] = index + 1
        if sleeps_ms[index]:
            record["sleep"] = "%dms" % sleeps_ms[index]
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8")
