#include "control/status.h"

#include "absl/strings/str_format.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace incarne::control {
namespace {

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

void WriteJob(JsonWriter* j, const StatusJob& c) {
  j->BeginObject();
  j->Key("name");
  j->String(c.name);
  j->Key("run_dir");
  j->String(c.run_dir);
  j->Key("started");
  j->Double(Seconds(c.started_unix_ns));
  j->Key("elapsed_s");
  j->Double(Seconds(c.elapsed_ns));
  j->Key("planned_duration_s");
  j->Double(Seconds(c.planned_ns));
  j->Key("planned");
  j->Uint(c.planned);
  j->Key("sent");
  j->Uint(c.sent);
  j->Key("hits");
  j->Uint(c.hits);
  j->Key("errors");
  j->Uint(c.errors);
  // The last finished second, as that second's stats.jsonl line has it.
  const StatusSecond& l = c.last;
  j->Key("last_second");
  j->BeginObject();
  j->Key("second");
  j->Int(l.second);
  j->Key("planned");
  j->Uint(l.planned);
  j->Key("sent");
  j->Uint(l.sent);
  j->Key("rps");
  j->Uint(l.hits);
  j->Key("errors");
  j->Uint(l.errors);
  j->Key("in_flight");
  j->Uint(l.inflight);
  j->Key("p99_us");
  j->Double(l.p99_us);
  j->Key("lag_p99_us");
  j->Double(l.lag_p99_us);
  j->EndObject();
  j->EndObject();
}

void WriteResult(JsonWriter* j, const StatusResult& r, bool full) {
  j->BeginObject();
  if (full) {
    j->Key("name");
    j->String(r.name);
    j->Key("outcome");
    j->String(r.outcome);
  }
  j->Key("run_dir");
  j->String(r.run_dir);
  j->Key("exit");
  j->Int(r.exit);
  j->Key("hits");
  j->Uint(r.hits);
  j->Key("errors");
  j->Uint(r.errors);
  j->Key("started");
  j->Double(Seconds(r.started_unix_ns));
  j->Key("ended");
  j->Double(Seconds(r.ended_unix_ns));
  if (full && !r.why.empty()) {
    j->Key("why");
    j->String(r.why);
  }
  if (!r.autostop.empty()) {
    j->Key("autostop");
    j->String(r.autostop);
  }
  j->EndObject();
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Family(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  Append(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

std::string StatusJson(const StatusSnapshot& s) {
  JsonWriter j;
  j.BeginObject();
  j.Key("state");
  j.String(s.state);
  j.Key("pid");
  j.Int(s.pid);
  j.Key("version");
  j.String(s.version);
  j.Key("time");
  j.Double(Seconds(s.now_unix_ns));
  j.Key("uptime_s");
  j.Double(Seconds(s.now_unix_ns - s.started_unix_ns));
  j.Key("queue");
  j.BeginArray();
  for (const std::string& q : s.queue) {
    j.String(q);
  }
  j.EndArray();
  j.Key("current");
  if (s.current) {
    WriteJob(&j, *s.current);
  } else {
    j.Null();
  }
  j.Key("last");
  if (s.last) {
    WriteResult(&j, *s.last, true);
  } else {
    j.Null();
  }
  j.EndObject();
  std::string out = j.Take();
  out += '\n';
  return out;
}

std::string ResultJson(const StatusResult& r) {
  JsonWriter j;
  WriteResult(&j, r, false);
  std::string out = j.Take();
  out += '\n';
  return out;
}

std::string StatusMetrics(const StatusSnapshot& s) {
  std::string out;
  Family(&out, "incarne_up", "gauge", "1 while the incarne daemon runs.");
  Append(&out, "incarne_up ", s.state == "stopped" ? 0 : 1, "\n");
  Family(&out, "incarne_running", "gauge", "1 while a job runs (state running or stopping).");
  Append(&out, "incarne_running ", s.current ? 1 : 0, "\n");
  Family(&out, "incarne_queue_jobs", "gauge", "Jobs waiting in the spool.");
  Append(&out, "incarne_queue_jobs ", s.queue.size(), "\n");
  Family(&out, "incarne_hits_total", "counter", "Hits completed since the daemon started, by tag.");
  for (const auto& [tag, n] : s.counters.hits) {
    Append(&out, "incarne_hits_total{tag=\"", Label(tag), "\"} ", n, "\n");
  }
  Family(&out, "incarne_errors_total", "counter",
         "Failed hits since the daemon started, by tag and code (HTTP code, or net_ERRNO).");
  for (const auto& [key, n] : s.counters.errors) {
    Append(&out, "incarne_errors_total{tag=\"", Label(key.first), "\",code=\"", Label(key.second),
           "\"} ", n, "\n");
  }
  const StatusSecond last = s.current ? s.current->last : StatusSecond{};
  Family(&out, "incarne_rps", "gauge", "Hits completed in the last finished second of the run.");
  Append(&out, "incarne_rps ", last.second >= 0 ? last.hits : 0, "\n");
  Family(&out, "incarne_latency_seconds", "gauge",
         "Latency (done - planned) quantiles of the last finished second of the run.");
  const std::pair<const char*, double> q[] = {
      {"0.5", last.p50_us}, {"0.9", last.p90_us}, {"0.99", last.p99_us}};
  for (const auto& [name, us] : q) {
    Append(&out, "incarne_latency_seconds{quantile=\"", name, "\"} ",
           absl::StrFormat("%.6f", us / 1e6), "\n");
  }
  return out;
}

std::string StatusLine(const StatusSnapshot& s) {
  std::string line = s.state;
  if (s.current) {
    const StatusJob& c = s.current.value();
    Append(&line, " ", c.name, absl::StrFormat(" %.0fs", Seconds(c.elapsed_ns)));
    if (c.planned_ns > 0) {
      Append(&line, absl::StrFormat("/%.0fs", Seconds(c.planned_ns)));
    }
    Append(&line, absl::StrFormat(" rps %d p99 %.3fms errors %d", c.last.hits, c.last.p99_us / 1e3,
                                  c.errors));
  }
  Append(&line, " | queue ", s.queue.size());
  if (s.last) {
    Append(&line, " | last ", s.last->name, " ", s.last->outcome);
    if (s.last->outcome == "done") {
      Append(&line, " exit ", s.last->exit);
    }
  }
  return line;
}

}  // namespace incarne::control
