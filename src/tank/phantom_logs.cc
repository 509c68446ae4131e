// phantom's own log and stat log (phantom_logs.h; formats: docs/phantom.md "Outputs").
#include "tank/phantom_logs.h"

#include <time.h>

#include "absl/strings/str_cat.h"
#include "plan/plan.h"
#include "util/clock.h"
#include "util/errno_name.h"
#include "util/json_writer.h"

namespace incarne::tank {

std::string PhantomStamp(int64_t unix_ns) {
  const time_t s = static_cast<time_t>(unix_ns / kNsPerSec);
  tm t{};
  localtime_r(&s, &t);
  char date[32];
  char zone[16];
  strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &t);
  strftime(zone, sizeof(zone), "%z", &t);
  return absl::StrCat(date, ".", absl::Dec(unix_ns / kNsPerMs % 1000, absl::kZeroPad3), " ", zone);
}

std::string StatBody(const SecondStats& ss, const StatKeys& keys) {
  const Stats& o = ss.overall;
  JsonWriter j;
  j.BeginObject();
  j.Key(keys.method);
  j.BeginObject();
  j.Key("in");
  j.BeginArray();
  j.Uint(o.bytes_in);
  j.Uint(o.bytes_in);
  j.EndArray();
  j.Key("out");
  j.BeginArray();
  j.Uint(o.bytes_out);
  j.Uint(o.bytes_out);
  j.EndArray();
  // mmtasks = [min, avg, max] hits in flight. max: the workers' per-second maximum; avg: the
  // time the second's completed hits spent in flight / 1 s (Little); min is not tracked and
  // written as 0, a lower bound (docs/phantom.md).
  j.Key("mmtasks");
  j.BeginArray();
  j.Uint(0);
  j.Double(static_cast<double>(o.connect_ns + o.send_ns + o.latency_ns + o.receive_ns) / 1e9, 3);
  j.Uint(ss.inflight_max);
  j.EndArray();
  j.Key("mcount");
  j.BeginObject();
  for (const auto& [code, count] : o.net_codes.Sorted()) {
    j.Key(NetCodeText(code));
    j.Uint(count);
  }
  j.EndObject();
  if (!keys.proto.empty()) {
    j.Key(keys.proto);
    j.BeginObject();
    j.Key("mcount");
    j.BeginObject();
    for (const auto& [code, count] : o.proto_codes.Sorted()) {
      if (code != 0) {
        j.Key(absl::StrCat(code));
        j.Uint(count);
      }
    }
    j.EndObject();
    j.EndObject();
  }
  j.Key(keys.source.empty() ? "source_log" : keys.source);
  j.BeginObject();
  j.Key("delta");  // lateness of the hits' start behind their stpd time, µs
  j.BeginArray();
  j.Uint(o.lag.min() / 1000);
  j.Uint(static_cast<uint64_t>(o.lag.mean() / 1000));
  j.Uint(o.lag.max() / 1000);
  j.EndArray();
  j.EndObject();
  j.Key("loggers");
  j.BeginObject();
  j.Key("brief_logger");
  j.BeginObject();
  j.Key("records");
  j.Uint(o.hits);
  j.EndObject();
  j.EndObject();
  j.EndObject();
  j.EndObject();
  return j.str();
}

PhantomLog::PhantomLog(const std::string& path) {
  if (!path.empty()) {
    f_ = fopen(path.c_str(), "ae");
  }
  if (f_ == nullptr) {
    f_ = stderr;
  }
}

PhantomLog::~PhantomLog() {
  if (f_ != stderr) {
    fclose(f_);
  }
}

void PhantomLog::Line(std::string_view level, std::string_view object, std::string_view message) {
  fprintf(f_, "%s [%.*s] [%.*s] %.*s\n", PhantomStamp(RealNs()).c_str(),
          static_cast<int>(level.size()), level.data(), static_cast<int>(object.size()),
          object.data(), static_cast<int>(message.size()), message.data());
  fflush(f_);
}

StatLog::StatLog(const std::string& path) : path_(path) {
  if (!path.empty()) {
    f_ = fopen(path.c_str(), "we");
  }
}

StatLog::~StatLog() {
  if (f_ != nullptr) {
    fclose(f_);
  }
}

void StatLog::Add(int64_t second, size_t stream, std::string body) {
  pending_[second][stream] = std::move(body);
}

void StatLog::Flush(const std::vector<std::string>& names, int64_t horizon) {
  while (!pending_.empty() && pending_.begin()->first <= horizon) {
    const int64_t w = pending_.begin()->first;
    if (f_ != nullptr) {
      // phantom's record: "<date>" : { "<io name>" : {...}, ... },\n — stamped at the end of
      // the second (Tank attributes a record to its date − 1 s). Every record ends with
      // "\n}," so Tank's reader (split on "\n},") takes each one as soon as it is written.
      std::string rec = absl::StrCat("\"", PhantomStamp((w + 1) * kNsPerSec), "\" : {\n");
      bool first = true;
      for (const auto& [i, body] : pending_.begin()->second) {
        absl::StrAppend(&rec, first ? "" : ",\n", "\t\"", names[i], "\" : ", body);
        first = false;
      }
      rec += "\n},\n";
      fwrite(rec.data(), 1, rec.size(), f_);
      fflush(f_);
    }
    pending_.erase(pending_.begin());
  }
}

}  // namespace incarne::tank
