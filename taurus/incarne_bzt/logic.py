"""The bzt-free half of the incarne Taurus module: load mapping, ammo, plan and result parsing.

Nothing here imports bzt, so it is tested with plain pytest (taurus/tests). The bzt glue
(executor.py, readers.py) only moves values between bzt objects and these functions.

    python3 -m pytest -q taurus

Decisions the spec left open are written down in docs/taurus.md (the mapping table).
"""

import json
import math
import re
import os
import shlex
from collections import namedtuple
from urllib.parse import quote, urlencode, urlsplit

from . import scenario_map

# What `ScenarioExecutor.get_load()` returns (same field order); tests build it directly.
LoadSpec = namedtuple("LoadSpec", "concurrency throughput ramp_up hold iterations duration steps")

DEFAULT_INSTANCES = 1000       # modules.incarne.default-instances (rps model, no concurrency)
DEFAULT_MAX_DURATION = 3600.0  # modules.incarne.max-duration: iterations-only closed runs
EMPTY_LABEL = "[empty]"        # what bzt's own readers call an untagged sample

NS_PER_S = 1000 * 1000 * 1000
NS_PER_MS = 1000 * 1000


class ConfigError(ValueError):
    """A Taurus config that cannot be turned into an incarne plan (the glue raises
    TaurusConfigError with the same message)."""


# ---------------------------------------------------------------------------------------------
# Numbers and durations in the schedule DSL (docs/design.md §7, docs/schedule.md)


def format_number(x):
    """A rate or count as the schedule DSL reads it: `10`, `2.5`, `3.333333333` (fixed point,
    at most 9 decimals, no exponent)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ConfigError("not a finite number: %r" % (x,))
    if float(x) == int(x):
        return str(int(x))
    text = "%.9f" % x
    return text.rstrip("0").rstrip(".")


def seconds_to_ns(seconds):
    return int(round(float(seconds) * NS_PER_S))


def format_duration_ns(ns):
    """Nanoseconds as decimal seconds, exact and Tank-compatible: `30s`, `1.5s`,
    `4.285714286s`, `0s`."""
    ns = int(ns)
    if ns < 0:
        raise ConfigError("negative duration: %dns" % ns)
    whole, frac = divmod(ns, NS_PER_S)
    if not frac:
        return "%ds" % whole
    return "%d.%ss" % (whole, ("%09d" % frac).rstrip("0"))


def format_duration(seconds):
    return format_duration_ns(seconds_to_ns(seconds))


def split_evenly_ns(total_ns, parts):
    """`parts` durations that add up to exactly `total_ns`. When the total is whole
    milliseconds so is every part: incarne, like Tank's stepper, counts each schedule step in
    whole ms (`const(2, 3.333333333s)` is 3333 ms long), so ns-exact parts would lose time."""
    total_ns = int(total_ns)
    unit = NS_PER_MS if total_ns % NS_PER_MS == 0 else 1
    total = total_ns // unit
    # round(total · i / parts), halves up, in integers
    bounds = [(2 * total * i + parts) // (2 * parts) for i in range(parts + 1)]
    return [(bounds[i + 1] - bounds[i]) * unit for i in range(parts)]


# ---------------------------------------------------------------------------------------------
# Load: Taurus LoadSpec → incarne [load] + the ammo cap

LoadMapping = namedtuple("LoadMapping", "model schedule instances duration_ns limit loop warnings")
LoadMapping.__doc__ = """What goes into the plan's [load] and [ammo] sections.

model       "rps" (throughput > 0, open model) or "instances" (closed model)
schedule    the DSL text
instances   [load] instances: the in-flight cap (rps) or the final instance count
duration_ns [load] duration, the hard stop
limit       [ammo] limit (total hits), 0 = none
loop        [ammo] loop (passes over a user ammo file), 0 = endless
warnings    human-readable notes the glue logs
"""


def _num(value, name):
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError("%s must be a number, got %r" % (name, value))
    if value < 0:
        raise ConfigError("%s must not be negative, got %r" % (name, value))
    return value


def _rps_ramp(throughput, ramp_ns, steps):
    """Schedule steps that take the rate from 0 to `throughput` over `ramp_ns`."""
    if not steps:
        return ["line(0, %s, %s)" % (format_number(throughput), format_duration_ns(ramp_ns))]
    durations = split_evenly_ns(ramp_ns, steps)
    level = throughput / steps
    if float(level).is_integer() and len(set(durations)) == 1:
        # step(A, B, S, D) with an integral S is exact in Tank's stepper: levels A, A+S, …, B.
        return ["step(%s, %s, %s, %s)" % (format_number(level), format_number(throughput),
                                          format_number(level), format_duration_ns(durations[0]))]
    # Fractional levels: explicit const() blocks, so float rounding cannot add a level.
    return ["const(%s, %s)" % (format_number(throughput * i / steps), format_duration_ns(d))
            for i, d in zip(range(1, steps + 1), durations)]


def _instances_ramp(concurrency, ramp_ns, steps):
    """Schedule steps that start `concurrency` instances over `ramp_ns` (from none)."""
    if not steps:
        if concurrency == 1:
            # Tank's line(1, 1, D) divides by zero (ramp of one instance); one instance
            # started at once and held is the same load.
            return ["const(1, %s)" % format_duration_ns(ramp_ns)]
        # line(a, b, d) = start(a − current − 1) + ramp(b − a + 1, d): from none, line(1, C, D)
        # starts C instances evenly, the first at 0 and the last at D (docs/schedule.md,
        # instances model).
        return ["line(1, %d, %s)" % (concurrency, format_duration_ns(ramp_ns))]
    durations = split_evenly_ns(ramp_ns, steps)
    if concurrency % steps == 0 and len(set(durations)) == 1:
        level = concurrency // steps
        return ["step(%d, %d, %d, %s)" % (level, concurrency, level,
                                          format_duration_ns(durations[0]))]
    # pbench: instance k starts in step floor(k·S/C), so after step i (1-based) ceil(i·C/S)
    # instances run.
    return ["const(%d, %s)" % (-(-i * concurrency // steps), format_duration_ns(d))
            for i, d in zip(range(1, steps + 1), durations)]


def map_load(load, ammo_records=1, default_instances=DEFAULT_INSTANCES,
             max_duration=DEFAULT_MAX_DURATION):
    """Maps a Taurus LoadSpec onto the incarne plan (docs/taurus.md has the table).

    load          LoadSpec(concurrency, throughput, ramp_up, hold, iterations, duration, steps)
                  as ScenarioExecutor.get_load() returns it (ramp_up None when unset).
    ammo_records  records in the generated ammo (0 or 1 when there is none), or None for a
                  user ammo file of unknown size (the cap is then expressed as [ammo] loop).
    Raises ConfigError for values incarne cannot run.
    """
    concurrency = _num(load.concurrency, "concurrency")
    throughput = _num(load.throughput, "throughput")
    hold = float(_num(load.hold, "hold-for"))
    ramp = float(_num(load.ramp_up, "ramp-up"))
    iterations = _num(load.iterations, "iterations")
    steps = _num(load.steps, "steps")
    if concurrency != int(concurrency):
        raise ConfigError("concurrency must be a whole number, got %r" % (load.concurrency,))
    if iterations != int(iterations):
        raise ConfigError("iterations must be a whole number, got %r" % (load.iterations,))
    if steps != int(steps):
        raise ConfigError("steps must be a whole number, got %r" % (load.steps,))
    concurrency, iterations, steps = int(concurrency), int(iterations), int(steps)
    warnings = []

    ramp_ns = seconds_to_ns(ramp)
    hold_ns = seconds_to_ns(hold)
    if steps and not ramp_ns:
        warnings.append("steps=%d ignored: it shapes ramp-up, and there is no ramp-up" % steps)
        steps = 0

    # The cap: `iterations` passes of every instance over the scenario's requests (JMeter's
    # loops per thread; ab/k6 use iterations × concurrency too). Concurrency 0 counts as 1.
    per_pass = max(concurrency, 1)
    limit = loop = 0
    if iterations:
        if ammo_records is None:
            loop = iterations * per_pass
        else:
            limit = iterations * per_pass * max(int(ammo_records), 1)

    max_duration_ns = seconds_to_ns(max_duration)
    if throughput > 0:
        model = "rps"
        instances = concurrency or int(default_instances)
        schedule = []
        if ramp_ns:
            schedule += _rps_ramp(throughput, ramp_ns, steps)
        if hold_ns:
            schedule.append("const(%s, %s)" % (format_number(throughput),
                                               format_duration_ns(hold_ns)))
        if not schedule:
            # Neither hold-for nor ramp-up: send the capped number of hits at the rate.
            if limit:
                # limit / rate, rounded up to whole ms: Tank counts int(rate · D_ms / 1000)
                # shots, so a length cut below the last shot would lose it.
                run_ms = -(-int(limit) * 1000 // throughput) if isinstance(throughput, int) \
                    else int(math.ceil(limit * 1000.0 / throughput))
                run_ns = int(run_ms) * 1000 * 1000
            else:
                run_ns = max_duration_ns
                warnings.append("no hold-for, ramp-up or known hit count: rate held for "
                                "max-duration %s" % format_duration_ns(run_ns))
            schedule.append("const(%s, %s)" % (format_number(throughput),
                                               format_duration_ns(run_ns)))
    else:
        model = "instances"
        instances = concurrency or 1
        schedule = []
        if ramp_ns:
            schedule += _instances_ramp(instances, ramp_ns, steps)
        if hold_ns:
            schedule.append("const(%d, %s)" % (instances, format_duration_ns(hold_ns)))
        if not schedule:
            # Closed model with only an iteration count: the instances loop until the cap
            # is used up; max-duration is the safety stop.
            schedule.append("const(%d, %s)" % (instances, format_duration_ns(max_duration_ns)))
            if not (limit or loop):
                warnings.append("no hold-for, ramp-up or iterations: load held for "
                                "max-duration %s" % format_duration_ns(max_duration_ns))
    duration_ns = ramp_ns + hold_ns
    if not duration_ns:
        duration_ns = _schedule_length_ns(schedule)
    return LoadMapping(model, " ".join(schedule), int(instances), duration_ns, limit, loop,
                       warnings)


def duration_text_ns(text):
    """Inverse of format_duration_ns: "<seconds>[.<fraction>]s" → ns."""
    text = text.strip()
    if not text.endswith("s"):
        raise ValueError("expected a duration in seconds such as 1.5s, got %r" % text)
    whole, _, frac = text[:-1].partition(".")
    return int(whole) * NS_PER_S + (int(frac[:9].ljust(9, "0")) if frac else 0)


def _schedule_length_ns(schedule):
    """Length of the schedules map_load builds (their last argument is always a duration)."""
    return sum(duration_text_ns(step[step.rindex(",") + 1:step.rindex(")")])
               for step in schedule)


# ---------------------------------------------------------------------------------------------
# Requests → target, nib and ammo (phantom request-style, docs/ammo.md "phantom")

class RequestSpec(object):
    """One scenario request as plain values (the glue copies them out of bzt's HTTPRequest).

    url      absolute, or a path joined to the scenario's default-address
    method   e.g. "GET"
    headers  dict or list of (name, value), request-level (override scenario headers)
    body     None, str, bytes, or dict (form fields; JSON when Content-Type says json)
    label    Taurus label → ammo tag (whitespace becomes "_")
    """

    def __init__(self, url, method="GET", headers=None, body=None, label=None):
        self.url = url
        self.method = (method or "GET").upper()
        self.headers = headers or {}
        self.body = body
        self.label = url if label is None else label

    def __repr__(self):
        return "RequestSpec(%r, %r, label=%r)" % (self.url, self.method, self.label)


Target = namedtuple("Target", "scheme host port")

_DEFAULT_PORTS = {"http": 80, "https": 443}
BUILTIN_NIBS = ("dummy", "http", "https", "udp")


def _split_url(url, default_address):
    """(scheme, host, port, path-with-query) of a request URL."""
    parts = urlsplit(url)
    if not parts.netloc:
        if not default_address:
            raise ConfigError("request url %r has no host and the scenario has no "
                              "default-address" % url)
        base = urlsplit(default_address if "//" in default_address
                        else "http://" + default_address)
        scheme, netloc, base_path = base.scheme, base.netloc, base.path.rstrip("/")
        path = url if url.startswith("/") else "/" + url
        parts = urlsplit("%s://%s%s%s" % (scheme, netloc, base_path, path))
    scheme = (parts.scheme or "http").lower()
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("request url %r has a bad port" % url)
    host = parts.hostname
    if not host:
        raise ConfigError("request url %r has no host" % url)
    if port is None:
        if scheme not in _DEFAULT_PORTS:
            raise ConfigError("request url %r: no port, and scheme %r has no default port"
                              % (url, scheme))
        port = _DEFAULT_PORTS[scheme]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def target_of(requests, default_address=None):
    """The one scheme/host/port all requests go to. incarne (like phantom) shoots one target
    per execution: requests to different hosts raise ConfigError."""
    target = None
    for req in requests:
        scheme, host, port, _ = _split_url(req.url, default_address)
        current = Target(scheme, host, port)
        if target is None:
            target = current
        elif current != target:
            raise ConfigError("all requests of an incarne execution must go to one "
                              "scheme://host:port; %s://%s:%d differs from %s://%s:%d (%r)"
                              % (current + target + (req.url,)))
    if target is None and default_address:
        scheme, host, port, _ = _split_url("/", default_address)
        target = Target(scheme, host, port)
    return target


def address_of(target):
    """[target] address: host:port, [v6]:port."""
    host = target.host
    if ":" in host:
        host = "[%s]" % host
    return "%s:%d" % (host, target.port)


def host_header(target):
    host = target.host
    if ":" in host:
        host = "[%s]" % host
    if _DEFAULT_PORTS.get(target.scheme) == target.port:
        return host
    return "%s:%d" % (host, target.port)


def nib_for(protocol, target):
    """[target] nib from the scenario's `protocol` (dummy, http, https, udp, or a nib .so),
    else from the URL scheme."""
    if protocol:
        protocol = str(protocol)
        if protocol in BUILTIN_NIBS or (len(protocol) > 3 and protocol.endswith(".so")):
            return protocol
        raise ConfigError("protocol %r: expected one of %s or a path to a nib .so"
                          % (protocol, ", ".join(BUILTIN_NIBS)))
    if target is None:
        raise ConfigError("the scenario has neither requests nor default-address nor "
                          "protocol: nothing tells incarne what to shoot at")
    if target.scheme in ("http", "https", "udp"):
        return target.scheme
    raise ConfigError("url scheme %r: set the scenario's protocol to a nib" % target.scheme)


def tag_of(label):
    """An ammo tag: one whitespace-free token (Tank splits the header line on whitespace)."""
    return "_".join(str(label).split())


_PATH_SAFE = "/?&=%:@!$'()*+,;-._~#[]"


def quote_path(path):
    """Percent-encodes what a request line cannot carry, leaving `${name}` references whole
    (incarne's templates, docs/scenario.md)."""
    parts = re.split(r"(\$\{[^}\s]*\})", path)
    return "".join(p if i % 2 else quote(p, safe=_PATH_SAFE) for i, p in enumerate(parts))


def _headers_list(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def merge_headers(*layers):
    """Later layers override earlier ones by case-insensitive name; order of first use kept."""
    merged = []
    index = {}
    for layer in layers:
        for name, value in _headers_list(layer):
            key = name.lower()
            if key in index:
                merged[index[key]] = (name, value)
            else:
                index[key] = len(merged)
                merged.append((name, value))
    return merged


def _body_bytes(req, headers):
    """(body bytes, path suffix) of a request."""
    body = req.body
    if body is None or body == "" or body == {}:
        return b"", ""
    if isinstance(body, bytes):
        return body, ""
    if isinstance(body, str):
        return body.encode("utf-8"), ""
    if isinstance(body, dict):
        ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "")
        if "json" in ctype.lower():
            return json.dumps(body, separators=(",", ":")).encode("utf-8"), ""
        encoded = urlencode([(str(k), str(v)) for k, v in body.items()])
        if req.method == "GET":
            return b"", encoded  # GET form fields go into the query string (JMeter, pbench)
        return encoded.encode("ascii"), ""
    if isinstance(body, (list, int, float)) and not isinstance(body, bool):
        return json.dumps(body).encode("utf-8"), ""
    raise ConfigError("request %r: cannot send a body of type %s" % (req.url, type(body).__name__))


def build_http_request(req, target, scenario_headers=None, default_address=None, keepalive=True):
    """The request bytes exactly as they go on the wire (HTTP/1.1, Host from the URL)."""
    _, _, _, path = _split_url(req.url, default_address)
    headers = merge_headers([("Host", host_header(target))], scenario_headers, req.headers)
    body, query = _body_bytes(req, headers)
    if query:
        path += ("&" if "?" in path else "?") + query
    path = quote_path(path)  # spaces, controls and non-ASCII only
    names = set(name.lower() for name, _ in headers)
    if "content-length" not in names and (body or req.method in ("POST", "PUT", "PATCH")):
        headers.append(("Content-Length", str(len(body))))
    if not keepalive and "connection" not in names:
        headers.append(("Connection", "close"))
    head = "%s %s HTTP/1.1\r\n" % (req.method, path)
    head += "".join("%s: %s\r\n" % (name, value) for name, value in headers)
    head += "\r\n"
    return head.encode("utf-8") + body


def phantom_record(payload, tag):
    """One request-style ammo record: `<size> <tag>\\n<payload>\\n` (the trailing newline is a
    separator, not sent: Tank skips blank header lines)."""
    header = "%d %s\n" % (len(payload), tag) if tag else "%d\n" % len(payload)
    return header.encode("utf-8") + payload + b"\n"


Ammo = namedtuple("Ammo", "data records tags")


def label_map(requests):
    """{ammo tag: Taurus label} for labels that had to change to become tags ("list items" →
    "list_items"), so reports show the label the user wrote. A tag that two different labels
    map to is left as it is."""
    seen = {}
    for req in requests:
        label = "" if req.label is None else str(req.label)
        seen.setdefault(tag_of(label), set()).add(label)
    return dict((tag, labels.pop()) for tag, labels in seen.items()
                if len(labels) == 1 and tag not in labels)


def build_ammo(requests, target, nib, scenario_headers=None, default_address=None,
               keepalive=True):
    """Phantom request-style ammo for `requests` (one record each, tag = label).

    For the udp nib a record is the request body alone (the datagram)."""
    chunks = []
    tags = []
    for req in requests:
        tag = tag_of(req.label)
        if nib == "udp":
            payload, _ = _body_bytes(req, [])
        else:
            payload = build_http_request(req, target, scenario_headers, default_address,
                                         keepalive)
        chunks.append(phantom_record(payload, tag))
        tags.append(tag)
    return Ammo(b"".join(chunks), len(chunks), tags)


# ---------------------------------------------------------------------------------------------
# The keys of an execution item, a scenario and a request that incarne maps (docs/taurus.md
# "Execution → incarne"), and what it says about the others. One table per level, one entry
# per key: None = mapped (or read by bzt itself), a text = why incarne ignores it.

_MAPPED = None

EXECUTION_KEYS = {
    "executor": _MAPPED, "scenario": _MAPPED, "concurrency": _MAPPED, "throughput": _MAPPED,
    "ramp-up": _MAPPED, "hold-for": _MAPPED, "iterations": _MAPPED, "steps": _MAPPED,
    "worker-threads": _MAPPED, "results": _MAPPED,
    # read by bzt itself, not by the executor: environment, resource files, local
    # provisioning's start delay, pass/fail criteria of this execution, cloud locations
    "env": _MAPPED, "files": _MAPPED, "delay": _MAPPED, "start-at": _MAPPED,
    "criteria": _MAPPED, "locations": _MAPPED, "locations-weighted": _MAPPED,
    # shards on Kubernetes (k8s_config below, docs/taurus.md "Shards on Kubernetes")
    "incarne": _MAPPED,
}

_NO_ASSERT = ("incarne's rules check status, body and headers by regex and that a JSON path "
              "exists (assert, assert-jsonpath); other assertions are not mapped")
_NO_EXTRACT = ("incarne captures by regex and JSON path (extract-regexp, extract-jsonpath); "
               "other extractors are not mapped")

SCENARIO_KEYS = {
    "requests": _MAPPED, "default-address": _MAPPED, "headers": _MAPPED, "keepalive": _MAPPED,
    "script": _MAPPED, "ammo-format": _MAPPED, "timeout": _MAPPED, "protocol": _MAPPED,
    "set": _MAPPED,
    # scenario logic (scenario_map.py): what cannot be mapped inside them is warned there
    "think-time": _MAPPED, "variables": _MAPPED, "store-cookie": _MAPPED,
    "data-sources": ("requests are not parameterized from bzt's data sources: give an ammo "
                     "file (script) with one record per variant"),
}

REQUEST_KEYS = {
    "url": _MAPPED, "method": _MAPPED, "label": _MAPPED, "headers": _MAPPED, "body": _MAPPED,
    "body-file": _MAPPED,
    "think-time": _MAPPED, "assert": _MAPPED, "assert-jsonpath": _MAPPED,
    "extract-regexp": _MAPPED, "extract-jsonpath": _MAPPED,
    "timeout": "incarne has one timeout per execution: set the scenario's timeout",
    "keepalive": "incarne keeps or closes connections per execution: set the scenario's "
                 "keepalive",
    "upload-files": "multipart uploads are not generated: give the body, or an ammo file",
}

# Prefixes of key families (assert-xpath, extract-boundary, …), at either level.
_KEY_FAMILIES = (("assert", _NO_ASSERT), ("extract-", _NO_EXTRACT))

# Logic blocks of bzt's request list (bzt/requests_model.py HierarchicRequestParser). bzt's
# flat parser, which the executor uses, flattens `transaction` and fails on the others with
# a raw "Wrong request"; incarne sends one fixed list and refuses them all by name.
LOGIC_BLOCKS = ("if", "once", "loop", "while", "foreach", "transaction", "include-scenario",
                "action", "set-variables", "setup", "teardown")


def _why_unmapped(key, table):
    """None for a key incarne maps, else the reason it is ignored."""
    key = str(key)
    if key in table:
        return table[key]
    for prefix, why in _KEY_FAMILIES:
        if key.startswith(prefix):
            return why
    return "incarne does not use it (docs/taurus.md lists the keys it maps)"


def check_request_blocks(raw_requests, scenario_name=None):
    """Raises ConfigError naming the first logic block among a scenario's raw `requests` (as
    written in the config, before bzt parses them). Strings (bare URLs) and plain requests
    pass."""
    where = "scenario %r" % scenario_name if scenario_name else "the scenario"
    for index, item in enumerate(raw_requests or []):
        if not isinstance(item, dict):
            continue
        blocks = [name for name in LOGIC_BLOCKS if name in item]
        if blocks:
            raise ConfigError(
                "%s, requests[%d]: %r is a logic block (%s); incarne sends one fixed list of "
                "requests and supports no logic blocks (%s): write the requests out, or give "
                "an ammo file (script)"
                % (where, index, blocks[0], _block_summary(blocks[0], item),
                   ", ".join(LOGIC_BLOCKS)))


def _block_summary(name, item):
    value = item.get(name)
    text = "%s: %s" % (name, value if isinstance(value, (str, int, float)) else "…")
    return text if len(text) <= 60 else text[:57] + "..."


def unmapped_key_warnings(execution_keys=(), scenario_keys=(), raw_requests=(),
                          scenario_name=None):
    """One warning per key incarne ignores: of the execution item, of the scenario and of its
    requests (a request key is named once, with how many requests have it and the first).
    Call check_request_blocks first: logic blocks are errors, not warnings."""
    warnings = []
    for key in execution_keys:
        why = _why_unmapped(key, EXECUTION_KEYS)
        if why:
            warnings.append("execution key %r ignored: %s" % (str(key), why))
    where = "scenario %r" % scenario_name if scenario_name else "scenario"
    for key in scenario_keys:
        why = _why_unmapped(key, SCENARIO_KEYS)
        if why:
            warnings.append("%s key %r ignored: %s" % (where, str(key), why))
    seen = {}  # key → [count, first index]
    order = []
    for index, item in enumerate(raw_requests or []):
        if not isinstance(item, dict):
            continue
        for key in item:
            if _why_unmapped(key, REQUEST_KEYS) is None:
                continue
            if key not in seen:
                seen[key] = [0, index]
                order.append(key)
            seen[key][0] += 1
    for key in order:
        count, first = seen[key]
        warnings.append("%s request key %r ignored (in %d request%s, first requests[%d]): %s"
                        % (where, str(key), count, "" if count == 1 else "s", first,
                           _why_unmapped(key, REQUEST_KEYS)))
    return warnings


# ---------------------------------------------------------------------------------------------
# The plan (docs/design.md §6) and the command line (§5)

def toml_string(value):
    """A TOML basic string."""
    out = ['"']
    for ch in str(value):
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append("\\u%04X" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return toml_string(value)


def render_plan(sections, comment=None):
    """TOML text of {section: {key: value}} in the given order; None values are left out.
    Nested sections use dotted names ("target.dummy")."""
    lines = []
    if comment:
        lines += ["# " + line for line in comment.splitlines()]
    for section, keys in sections:
        items = [(k, v) for k, v in keys if v is not None]
        if not items:
            continue
        if lines:
            lines.append("")
        lines.append("[%s]" % section)
        for key, value in items:
            lines.append("%s = %s" % (key, _toml_value(value)))
    return "\n".join(lines) + "\n"


RunConfig = namedtuple("RunConfig", "plan ammo load nib target labels")


def build_run_config(load, requests=(), scenario_headers=None, default_address=None,
                     protocol=None, timeout=None, keepalive=True, ammo_file=None,
                     ammo_path=None, ammo_format=None, run_dir=None, phout=False,
                     default_instances=DEFAULT_INSTANCES, max_duration=DEFAULT_MAX_DURATION,
                     threads=None, label=None, hits=None, scenario_logic=None):
    """Everything the executor writes before starting incarne.

    requests     RequestSpec list (generated ammo), or empty
    ammo_file    a user ammo file (scenario `script`), used as is; excludes `requests`
    ammo_path    where the generated ammo will be written (goes into the plan)
    hits         [results] hits: raw records kept (all | errors | sample:N), None = incarne's
    scenario_logic  scenario_map.ScenarioLogic of the requests (asserts, extracts, think-time,
                 cookies, variables): its requests replace `requests`, its rules and
                 [scenario] keys go into the plan, think-time makes the ammo jsonline steps
    Returns RunConfig(plan TOML text, Ammo or None, LoadMapping, nib, Target or None,
    {ammo tag: Taurus label} for the readers).
    """
    requests = list(requests)
    if requests and ammo_file:
        raise ConfigError("the scenario has both `script` (an ammo file) and `requests`; "
                          "keep one")
    target = target_of(requests, default_address)
    nib = nib_for(protocol, target)

    ammo = None
    generated_format = "phantom"
    if scenario_logic is not None and requests:
        requests = list(scenario_logic.requests)
    if requests:
        ammo = build_ammo(requests, target, nib, scenario_headers, default_address, keepalive)
        if ammo_path is None:
            raise ConfigError("internal: no path for the generated ammo")
        if scenario_logic is not None and scenario_logic.sleeps_ms is not None:
            ammo = _session_ammo(requests, ammo, target, scenario_headers, default_address,
                                 keepalive, scenario_logic.sleeps_ms, label)
            generated_format = "jsonline"
    elif not ammo_file and nib != "dummy":
        # Only the dummy nib runs without ammo. An http(s)/udp scenario with just a
        # default-address shoots `GET /` (an empty datagram for udp).
        if target is None or nib.endswith(".so"):
            raise ConfigError("protocol %r needs ammo: give the scenario `requests` or a "
                              "`script` (an ammo file)" % nib)
        requests_for_default = [RequestSpec("/", label="")]
        ammo = build_ammo(requests_for_default, target, nib, scenario_headers,
                          default_address, keepalive)
        if ammo_path is None:
            raise ConfigError("internal: no path for the generated ammo")

    if ammo is not None:
        records = ammo.records
    elif ammo_file:
        records = None
    else:
        records = 1
    mapping = map_load(load, records, default_instances, max_duration)

    target_keys = []
    if target is not None:
        target_keys.append(("address", address_of(target)))
    target_keys.append(("nib", nib))
    if timeout:
        target_keys.append(("timeout", format_duration(timeout)))

    ammo_keys = []
    if ammo is not None:
        ammo_keys += [("file", ammo_path), ("format", generated_format)]
    elif ammo_file:
        ammo_keys += [("file", ammo_file), ("format", ammo_format or "auto")]
        if scenario_headers:
            ammo_keys.append(("headers", ["%s: %s" % h for h in _headers_list(scenario_headers)]))
    if ammo is not None or ammo_file:
        ammo_keys.append(("http_version", "1.1"))
    if mapping.loop:
        ammo_keys.append(("loop", mapping.loop))
    if mapping.limit:
        ammo_keys.append(("limit", mapping.limit))

    load_keys = [
        ("model", mapping.model),
        ("schedule", mapping.schedule),
        ("instances", mapping.instances),
        ("duration", format_duration_ns(mapping.duration_ns)),
    ]
    workers_keys = [("threads", int(threads))] if threads else []
    results_keys = [("dir", run_dir), ("phout", True if phout else None),
                    ("hits", str(hits) if hits else None)]

    plan = render_plan(
        [("target", target_keys), ("ammo", ammo_keys), ("load", load_keys),
         ("workers", workers_keys), ("results", results_keys)],
        comment="Generated by the incarne Taurus module%s; edit the Taurus config instead."
                % (" for scenario %s" % label if label else ""))
    plan += scenario_map.render(scenario_logic)
    return RunConfig(plan, ammo, mapping, nib, target, label_map(requests))


def _session_ammo(requests, ammo, target, scenario_headers, default_address, keepalive,
                  sleeps_ms, label):
    """The requests as jsonline steps of one session (think-time as each step's sleep)."""
    def headers_of(req):
        headers = merge_headers(scenario_headers, req.headers)
        names = set(name.lower() for name, _ in headers)
        if not keepalive and "connection" not in names:
            headers.append(("Connection", "close"))
        return [(n, v) for n, v in headers if n.lower() not in ("host", "content-length")]

    def body_of(req):
        body, _ = _body_bytes(req, merge_headers(scenario_headers, req.headers))
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("request %r: think-time makes the requests jsonline steps, "
                              "whose body must be UTF-8 text" % req.url)

    def path_of(req):
        _, _, _, path = _split_url(req.url, default_address)
        _, query = _body_bytes(req, merge_headers(scenario_headers, req.headers))
        if query:
            path += ("&" if "?" in path else "?") + query
        return quote_path(path)

    data = scenario_map.build_session_ammo(requests, ammo.tags, sleeps_ms, label or "session",
                                           host_header(target), headers_of, body_of, path_of)
    return Ammo(data, ammo.records, ammo.tags)


def run_command(tool_path, plan_path, run_dir, overrides=None, cmdline=None):
    """argv of `incarne run PLAN.toml [--set KEY=VALUE]... --out DIR [extra]`."""
    argv = [tool_path, "run", plan_path]
    for key, value in overrides_list(overrides):
        argv += ["--set", "%s=%s" % (key, value)]
    argv += ["--out", run_dir]
    if cmdline:
        argv += shlex.split(cmdline) if isinstance(cmdline, str) else [str(a) for a in cmdline]
    return argv


def overrides_list(overrides):
    if not overrides:
        return []
    if isinstance(overrides, dict):
        items = overrides.items()
    else:
        items = (str(o).split("=", 1) for o in overrides)
    out = []
    for key, value in items:
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append((str(key), str(value)))
    return out


# ---------------------------------------------------------------------------------------------
# Shards on Kubernetes: `execution[].incarne.shards: N` (docs/taurus.md, docs/k8s.md)

K8sConfig = namedtuple("K8sConfig", "shards name image namespace start_in node_selector "
                                    "host_network seccomp_unconfined cpus memory kubectl "
                                    "dry_run wait")

# key → (field, kind); kinds: int (≥ 1), str, bool, dict (of str), duration (seconds)
_K8S_KEYS = {
    "shards": ("shards", "int"), "name": ("name", "str"), "image": ("image", "str"),
    "namespace": ("namespace", "str"), "start-in": ("start_in", "duration"),
    "node-selector": ("node_selector", "dict"), "host-network": ("host_network", "bool"),
    "seccomp-unconfined": ("seccomp_unconfined", "bool"),
    "cpus": ("cpus", "int"), "memory": ("memory", "str"), "kubectl": ("kubectl", "str"),
    "dry-run": ("dry_run", "bool"), "wait": ("wait", "duration"),
}


def _k8s_name(label):
    """incarne-<label> as a DNS label (≤ 52, what `incarne k8s render --name` takes)."""
    out = "incarne-"
    for ch in str(label or "bzt").lower():
        ok = ch.isascii() and ch.isalnum()
        if ok or not out.endswith("-"):
            out += ch if ok else "-"
    return out[:52].rstrip("-") or "incarne"


def k8s_config(raw, label=None, dehumanize=None):
    """The execution item's `incarne:` block → K8sConfig, or None without `shards`.
    `dehumanize` turns "30s" into seconds (bzt's dehumanize_time; default: whole seconds)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError("execution key 'incarne' must be a map (shards: N, image: ...), "
                          "got %r" % (raw,))
    values = {"shards": None, "name": _k8s_name(label), "image": None, "namespace": None,
              "start_in": 60.0, "node_selector": {}, "host_network": False,
              "seccomp_unconfined": False, "cpus": None,
              "memory": None, "kubectl": "kubectl", "dry_run": False, "wait": None}
    for key, value in raw.items():
        if key not in _K8S_KEYS:
            raise ConfigError("execution key 'incarne': unknown key %r (known: %s)"
                              % (key, ", ".join(sorted(_K8S_KEYS))))
        field, kind = _K8S_KEYS[key]
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError("incarne.%s: expected a whole number >= 1, got %r"
                                  % (key, value))
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError("incarne.%s: expected true or false, got %r" % (key, value))
        elif kind == "dict":
            if not isinstance(value, dict):
                raise ConfigError("incarne.%s: expected a map of labels, got %r" % (key, value))
            value = {str(k): str(v) for k, v in value.items()}
        elif kind == "duration":
            value = float(dehumanize(value) if dehumanize else value)
            if value <= 0:
                raise ConfigError("incarne.%s: expected a duration > 0, got %r" % (key, value))
        else:
            value = str(value)
        values[field] = value
    if values["shards"] is None:
        if raw:
            raise ConfigError("execution key 'incarne': 'shards' is required (the pods of "
                              "the Indexed Job)")
        return None
    return K8sConfig(**values)


def k8s_steps(tool_path, plan_path, manifest_path, out_dir, cfg, overrides=None,
              run_length_s=0.0):
    """The commands of a sharded execution, in order, as (step, argv, stdout_path or None):
    render (its stdout is the manifest), apply, wait for the Job to complete, collect (unpacks
    every shard and merges them into out_dir/merged)."""
    ns = ["--namespace", cfg.namespace] if cfg.namespace else []
    render = [tool_path, "k8s", "render", plan_path, "--shards", str(cfg.shards), "--name",
              cfg.name, "--start-in", format_duration(cfg.start_in)]
    if cfg.image:
        render += ["--image", cfg.image]
    render += ns
    for key, value in sorted(cfg.node_selector.items()):
        render += ["--node-selector", "%s=%s" % (key, value)]
    if cfg.host_network:
        render.append("--host-network")
    if cfg.seccomp_unconfined:
        render.append("--seccomp-unconfined")
    if cfg.cpus:
        render += ["--cpus", str(cfg.cpus)]
    if cfg.memory:
        render += ["--memory", cfg.memory]
    for key, value in overrides_list(overrides):
        render += ["--set", "%s=%s" % (key, value)]
    # Long enough for the start delay, the run, the graceful stop and the upload.
    wait = cfg.wait if cfg.wait else cfg.start_in + run_length_s + 600
    return [
        ("render", render, manifest_path),
        ("apply", [cfg.kubectl] + ns + ["apply", "-f", manifest_path], None),
        ("wait", [cfg.kubectl] + ns + ["wait", "--for=condition=complete", "job/" + cfg.name,
                                       "--timeout=%ds" % math.ceil(wait)], None),
        ("collect", [tool_path, "k8s", "collect", cfg.name] + ns +
         ["--kubectl", cfg.kubectl, "-o", out_dir], None),
    ]


def k8s_merged_dir(out_dir):
    return os.path.join(out_dir, "merged")


# ---------------------------------------------------------------------------------------------
# Exit codes (docs/design.md §5) and diagnostics

EXIT_DONE, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_AUTOSTOP = 0, 1, 2, 3


def exit_status(rc):
    """(kind, message) for incarne's exit code: kind is ok | autostop | failed | bad-input |
    killed."""
    if rc == EXIT_DONE:
        return "ok", "incarne finished"
    if rc == EXIT_AUTOSTOP:
        return "autostop", "incarne stopped the test by autostop (exit code 3)"
    if rc == EXIT_BAD_INPUT:
        return "bad-input", ("incarne rejected its input (exit code 2: plan, ammo or schedule); "
                             "nothing was started")
    if rc is not None and rc < 0:
        return "killed", "incarne was killed by signal %d" % -rc
    return "failed", "incarne failed (exit code %s)" % rc


def tail_lines(path, max_lines=40, max_bytes=64 * 1024):
    """The last lines of a text file ('' when it is missing)."""
    try:
        with open(path, "rb") as fds:
            fds.seek(0, os.SEEK_END)
            size = fds.tell()
            fds.seek(max(0, size - max_bytes))
            data = fds.read()
    except (IOError, OSError):
        return ""
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    if size > max_bytes and lines:
        lines = lines[1:]  # the first one is probably cut
    return "\n".join(lines[-max_lines:]).strip()


def diagnostics(named_files, max_lines=40):
    """["incarne STDERR:\\n<tail>", ...] for the non-empty ones of [(name, path)]."""
    out = []
    for name, path in named_files:
        if not path:
            continue
        tail = tail_lines(path, max_lines)
        if tail:
            out.append("%s:\n%s" % (name, tail))
    return out


# ---------------------------------------------------------------------------------------------
# Reading results

class LineAssembler(object):
    """Whole lines from chunks that may end mid-line (bzt's FileReader hands out a partial
    last line as it is). A partial line is held back until its newline arrives, or handed out
    at the final pass."""

    def __init__(self):
        self._tail = ""

    def feed(self, chunks, final=False):
        for chunk in chunks:
            if not chunk:
                continue
            text = self._tail + chunk
            self._tail = ""
            if not text.endswith("\n"):
                cut = text.rfind("\n") + 1
                text, self._tail = text[:cut], text[cut:]
            for line in text.splitlines():
                yield line
        if final and self._tail:
            tail, self._tail = self._tail, ""
            yield tail

    @property
    def pending(self):
        return self._tail


def net_error_message(net_code):
    """The text of a phout net_code: strerror, plus the ecosystem codes (docs/results.md §7.1)."""
    code = int(net_code)
    if code == 777:
        return "Shot dropped (overload: no free instance)"
    if code == 314:
        return "Assertion failed"
    if code == 999:
        return "Unknown error"
    return os.strerror(code)


def http_error_message(proto_code):
    return "Response code: %d" % int(proto_code)


# Sample = what bzt's ResultsReader._read yields:
# (t_stamp, label, concurrency, r_time, con_time, latency, r_code, error, trname, byte_count)

def phout_sample(line, http_errors=True, concurrency=0):
    """A phout line (12 TAB fields, µs; docs/results.md §7.1) → bzt sample tuple, or None for
    a blank line. Raises ValueError for a malformed one.

    t_stamp is the completion second (start + interval_real), as pbench did; rc/error follow
    docs/taurus.md "Results": net_code ≠ 0 → error = rc = its message; proto_code ≥ 400 → error
    "Response code: N" when http_errors."""
    line = line.rstrip("\r\n")
    if not line.strip():
        return None
    fields = line.split("\t")
    if len(fields) != 12:
        raise ValueError("phout line has %d fields, expected 12: %r" % (len(fields), line[:200]))
    start = float(fields[0])
    label = fields[1]
    r_time = int(fields[2]) / 1e6
    con_time = int(fields[3]) / 1e6
    latency = int(fields[5]) / 1e6
    size_in = int(fields[9])
    net_code = int(fields[10])
    proto_code = int(fields[11])
    error = None
    if net_code != 0:
        error = net_error_message(net_code)
        r_code = error
    else:
        r_code = str(proto_code)
        if http_errors and proto_code >= 400:
            error = http_error_message(proto_code)
    t_stamp = int(start + r_time)
    return (t_stamp, label, concurrency, r_time, con_time, latency, r_code, error, "", size_in)


# stats.jsonl: one JSON object per finished second (src/results/report.cc SecondJsonLine):
#   {"second": 3, "ts": 1732640003.437, "planned", "sent", "inflight_max", "ring_dropped",
#    "late", "ring_wait_ms", "overall": STATS, "tags": {"<tag>": STATS}}
#   STATS = {"hits", "errors", "net_errors", "bytes_out", "bytes_in",
#            "latency_us" | "service_us" | "lag_us": {"p50", "p75", "p90", "p95", "p99",
#                                                     "p99.9", "max", "min", "mean", "count"},
#            "phases_mean_us": {"connect", "send", "latency", "receive"},
#            "proto_codes": {"200": n}, "net_codes": {"0": n, "110": n}, ...}
# `tags` lists a tag only when it had hits, and the untagged tag "" only when the run also
# has named tags; a run without tags has only `overall`.
# Optional, used when present: "<metric>_hist_us", the histogram as {"<value µs>": count} or
# [[value µs, count], ...]; without it the histogram is rebuilt from the percentiles.

# Lost raw records, generator stalls and unsent shots. incarne counts them and never hides
# them (docs/results.md §2, §5); bzt's figures cannot show them, so the readers and the
# executor name them in bzt's log. `unsent` (shots planned but not fired) and `ring_wait_ms`
# are read when the run writes them. Lost raw records are in stats.jsonl (incarne aggregates
# in its workers) but in no phout line: bzt's figures miss them with `results: phout`.
LOSS_FIELDS = (
    ("ring_dropped", "raw records lost to full result rings: those hits are in stats.jsonl "
                     "but in no phout line nor hits file"),
    ("ring_wait_ms", "ms the workers waited for result-ring space (a generator stall: fewer "
                     "hits than the load asked)"),
    ("unsent", "planned shots not fired"),
)
MAX_LOSS_WARNINGS = 10  # per reader; the executor logs the run's totals at the end anyway


def _count_field(obj, name):
    value = obj.get(name, 0) if isinstance(obj, dict) else 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value) if value > 0 else 0


class LossCounter(object):
    """Adds up LOSS_FIELDS over stats.jsonl lines and words a warning for each second that
    has any (the first MAX_LOSS_WARNINGS of them, then one saying the rest are counted)."""

    def __init__(self):
        self.totals = dict((name, 0) for name, _ in LOSS_FIELDS)
        self._warnings = []
        self._warned = 0

    def add(self, obj):
        found = [(name, why, _count_field(obj, name)) for name, why in LOSS_FIELDS]
        found = [(name, why, n) for name, why, n in found if n]
        if not found:
            return
        for name, _, n in found:
            self.totals[name] += n
        self._warned += 1
        if self._warned > MAX_LOSS_WARNINGS + 1:
            return
        if self._warned == MAX_LOSS_WARNINGS + 1:
            self._warnings.append("incarne reports more seconds with losses; the run's totals "
                                  "are logged when it ends (summary.json)")
            return
        second = obj.get("second", "?")
        self._warnings.append("incarne second %s: %s" % (second, "; ".join(
            "%d %s (%s, %d in the run so far)" % (n, why, name, self.totals[name])
            for name, why, n in found)))

    def pop_warnings(self):
        out, self._warnings = self._warnings, []
        return out


def summary_warnings(path):
    """Warnings about a finished run's summary.json at `path`: lost records (`ring_dropped`),
    shots not fired (`unsent`), or no summary at all (incarne did not finish the run)."""
    try:
        with open(path, "rb") as fds:
            data = fds.read()
    except (IOError, OSError) as exc:
        return ["incarne wrote no summary.json (%s): the run did not finish (killed?), bzt's "
                "figures end where stats.jsonl ends" % (exc.strerror or exc)]
    try:
        summary = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        return ["incarne's %s is not JSON (%s): the run's totals are unknown" % (path, exc)]
    if not isinstance(summary, dict):
        return ["incarne's %s is not a JSON object: the run's totals are unknown" % path]
    warnings = []
    dropped = _count_field(summary, "ring_dropped")
    if dropped:
        warnings.append("incarne lost %d raw records to full result rings (ring_dropped in %s): "
                        "those hits are in stats.jsonl but in no phout line (with results: phout, "
                        "bzt's counts are short by %d)" % (dropped, path, dropped))
    waited = _count_field(summary, "ring_wait_ms")
    if waited:
        warnings.append("incarne's workers waited %d ms for result-ring space (ring_wait_ms in "
                        "%s): a generator stall, the load was lighter than asked"
                        % (waited, path))
    unsent = _count_field(summary, "unsent")
    if unsent:
        planned = _count_field(summary, "planned")
        warnings.append("incarne did not fire %d%s planned shots (unsent in %s)"
                        % (unsent, " of %d" % planned if planned else "", path))
    return warnings


class InstancesTimeline(object):
    """Instances running t seconds after the start of an instances-model schedule (Tank's
    instance_plan semantics in integer ms, docs/schedule.md) for the steps map_load
    writes: const(N, D), line(A, B, D), step(A, B, S, D).

    In the closed model the schedule alone decides when instances start, so this is the
    executor's concurrency ("vu") even when no hit happens to be in flight when incarne samples
    (a zero-latency dummy run has inflight_max 0)."""

    def __init__(self, schedule):
        self._segments = []  # (t0 ms, running before, kind, args)
        current = 0
        now = 0
        for step in schedule.replace(")", ")\n").split("\n"):
            step = step.strip()
            if not step:
                continue
            name, _, rest = step.partition("(")
            args = [a.strip() for a in rest.rstrip(")").split(",")]
            nums = [int(float(a)) for a in args[:-1]]
            length = duration_text_ns(args[-1]) // NS_PER_MS  # Tank's steps are whole ms
            name = name.strip()
            if name == "const":
                self._segments.append((now, current, "start", nums[0] - current))
                current = max(current, nums[0])
                now += length
            elif name == "line":
                a, b = nums[0], nums[1]
                self._segments.append((now, current + max(a - current - 1, 0), "ramp",
                                       (b - a + 1, length)))
                current = b
                now += length
            elif name == "step":
                a, b, inc = nums
                self._segments.append((now, current, "start", a - current))
                current = a
                for _ in range((b - a) // inc):
                    now += length
                    self._segments.append((now, current, "start", inc))
                    current += inc
                if current != b:
                    now += length
                    self._segments.append((now, current, "start", b - current))
                    current = b
                now += length
            else:
                raise ValueError("unknown schedule step %r" % step)
        self.final = current

    def at(self, t):
        t_ms = int(math.floor(t * 1000.0 + 1e-6))
        running = 0
        for t0, before, kind, args in self._segments:
            if t_ms < t0:
                break
            if kind == "start":
                running = before + max(args, 0)
                continue
            n, length = args
            if n <= 1 or length <= 0:
                started = n
            else:
                # record i starts at t0 + int(i · length / (n − 1)) ms
                started = min(n, -(-((t_ms - t0 + 1) * (n - 1)) // length))
            running = before + started
        return running


SecondRecord = namedtuple("SecondRecord", "ts labels concurrency")
LabelStats = namedtuple("LabelStats", "count succ fail bytes sum_rt sum_ct sum_lt hist rc errors")
LabelStats.__doc__ = """One label's second in bzt's terms (times in seconds).

count/succ/fail/bytes  KPISet throughput/succ/fail/bytes (bytes = received)
sum_rt/sum_ct/sum_lt   sums for the averages (response, connect, latency = first byte − sent)
hist                   [(response time s, count)] for KPISet rt
rc                     {response code or error text: count}
errors                 [(message, rc, count)]
"""

RESPONSE_TIMES = {"latency": "latency_us", "service": "service_us"}
_PERCENTILE_KEYS = (("p50", 50.0), ("p75", 75.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0),
                    ("p99.9", 99.9), ("max", 100.0))


def histogram_from_percentiles(summary, count=None):
    """[(value µs, count)] whose percentiles reproduce the summary's (min, p50 … p99.9, max):
    the hits between two listed percentiles are put at the upper one's value. An
    approximation used only when stats.jsonl carries no histogram."""
    n = int(summary.get("count", count or 0) if count is None else count)
    if n <= 0:
        return []
    hist = [(float(summary.get("min", summary.get("p50", 0.0))), 1)]
    placed = 1
    for key, pct in _PERCENTILE_KEYS:
        if key not in summary:
            continue
        upto = n if pct >= 100.0 else max(1, int(math.ceil(n * pct / 100.0)))
        if pct < 100.0 and "max" in summary and n > 1:
            upto = min(upto, n - 1)  # the maximum is exact: keep one hit for it
        if upto > placed:
            hist.append((float(summary[key]), upto - placed))
            placed = upto
    if placed < n:  # no max in the summary: the rest at the highest value known
        hist.append((hist[-1][0], n - placed))
    merged = {}
    for value, c in hist:
        merged[value] = merged.get(value, 0) + c
    return sorted(merged.items())


def _histogram_of(stats, metric_key):
    raw = stats.get(metric_key.replace("_us", "_hist_us"))
    if raw:
        pairs = raw.items() if isinstance(raw, dict) else raw
        return sorted((float(v), int(c)) for v, c in pairs if int(c) > 0)
    return histogram_from_percentiles(stats.get(metric_key) or {})


def _codes(obj):
    return dict((int(k), int(v)) for k, v in (obj or {}).items())


def label_stats(stats, http_errors=True, response_time="latency"):
    """One STATS object of stats.jsonl → LabelStats."""
    metric_key = RESPONSE_TIMES.get(response_time)
    if metric_key is None:
        raise ConfigError("response-time must be one of %s, got %r"
                          % (", ".join(sorted(RESPONSE_TIMES)), response_time))
    hits = int(stats.get("hits", 0))
    net_codes = _codes(stats.get("net_codes"))
    proto_codes = _codes(stats.get("proto_codes"))
    net_errors = int(stats.get("net_errors", sum(c for k, c in net_codes.items() if k != 0)))
    if http_errors:
        fail = int(stats.get("errors", net_errors + sum(
            c for k, c in proto_codes.items() if k >= 400)))
    else:
        fail = net_errors
    fail = min(fail, hits)

    metric = stats.get(metric_key) or {}
    timed = int(metric.get("count", hits))   # dropped shots (net 777) have no times
    phases = stats.get("phases_mean_us") or {}
    sum_rt = float(metric.get("mean", 0.0)) * timed / 1e6
    sum_ct = float(phases.get("connect", 0.0)) * timed / 1e6
    sum_lt = float(phases.get("latency", 0.0)) * timed / 1e6
    hist = [(value / 1e6, c) for value, c in _histogram_of(stats, metric_key)]

    rc = {}
    errors = []
    for code, c in sorted(net_codes.items()):
        if code != 0 and c > 0:
            msg = net_error_message(code)
            rc[msg] = rc.get(msg, 0) + c
            errors.append((msg, msg, c))
    for code, c in sorted(proto_codes.items()):
        if c <= 0:
            continue
        if code == 0:
            c -= net_errors  # hits that failed before a status line: counted by net code
            if c <= 0:
                continue
        rc[str(code)] = rc.get(str(code), 0) + c
        if http_errors and code >= 400:
            errors.append((http_error_message(code), str(code), c))
    return LabelStats(hits, hits - fail, fail, int(stats.get("bytes_in", 0)), sum_rt, sum_ct,
                      sum_lt, hist, rc, errors)


def _concurrency(obj, timeline):
    active = int(obj.get("inflight_max", 0))
    if timeline is not None and "second" in obj:
        active = max(active, timeline.at(float(obj["second"]) + 1.0))
    return active


def parse_stats_line(line, http_errors=True, response_time="latency", timeline=None,
                     losses=None):
    """A stats.jsonl line → SecondRecord(ts: int unix s, labels: {tag: LabelStats},
    concurrency), or None for a blank line or a second without hits. Concurrency is the
    line's inflight_max, or with an InstancesTimeline (closed model) the instances running at
    the end of the second if more. A LossCounter in `losses` is fed the line's lost records
    and unsent shots, also from a second without hits. Raises ValueError for a line that is
    not a stats object."""
    line = line.strip()
    if not line:
        return None
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise ValueError("not JSON (%s): %r" % (exc, line[:200]))
    if not isinstance(obj, dict) or "ts" not in obj or "overall" not in obj:
        raise ValueError("not a stats.jsonl object (needs ts and overall): %r" % line[:200])
    if losses is not None:
        losses.add(obj)
    ts = int(math.floor(float(obj["ts"])))
    tags = obj.get("tags") or {}
    if not tags:
        tags = {"": obj["overall"]}
    labels = {}
    for tag, stats in tags.items():
        ls = label_stats(stats, http_errors, response_time)
        if ls.count:
            labels[tag] = ls
    if not labels:
        return None
    return SecondRecord(ts, labels, _concurrency(obj, timeline))


class ConcurrencyTrack(object):
    """In-flight hits per unix second from stats.jsonl (the phout reader's side channel)."""

    def __init__(self, timeline=None, losses=None):
        self.by_ts = {}
        self.timeline = timeline
        self.losses = losses  # a LossCounter fed every line, or None

    def add_line(self, line):
        line = line.strip()
        if not line:
            return
        obj = json.loads(line)
        if self.losses is not None:
            self.losses.add(obj)
        self.by_ts[int(math.floor(float(obj["ts"])))] = _concurrency(obj, self.timeline)

    def at(self, ts):
        """The value of second `ts`, else the latest one before it (0 when none)."""
        if ts in self.by_ts:
            return self.by_ts[ts]
        earlier = [t for t in self.by_ts if t < ts]
        return self.by_ts[max(earlier)] if earlier else 0


def stats_file_has_hits(path):
    """Whether a stats.jsonl holds a complete line of a second with hits."""
    try:
        with open(path, "rb") as fds:
            for raw in fds:
                if not raw.endswith(b"\n"):
                    break
                try:
                    obj = json.loads(raw.decode("utf-8"))
                    if int((obj.get("overall") or {}).get("hits", 0)) > 0:
                        return True
                except (ValueError, AttributeError, TypeError):
                    continue
    except (IOError, OSError):
        pass
    return False


def file_has_line(path):
    """Whether a text file has a non-blank line (the phout reader's has_results)."""
    try:
        with open(path, "rb") as fds:
            for raw in fds:
                if raw.strip():
                    return True
    except (IOError, OSError):
        pass
    return False
