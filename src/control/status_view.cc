#include "control/status_view.h"

#include <signal.h>
#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/strings/str_format.h"
#include "plan/duration.h"
#include "util/clock.h"
#include "util/small_file.h"
#include "util/strings.h"

namespace incarne::control {
namespace {

using simdjson::dom::element;

std::string Str(const element& e, const char* key) {
  std::string_view v;
  return e[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

double Num(const element& e, const char* key) {
  double d = 0;
  if (e[key].get(d) == simdjson::SUCCESS) {
    return d;
  }
  int64_t i = 0;
  if (e[key].get(i) == simdjson::SUCCESS) {
    return static_cast<double>(i);
  }
  uint64_t u = 0;
  return e[key].get(u) == simdjson::SUCCESS ? static_cast<double>(u) : 0;
}

std::string Dur(double s) {
  return FormatDuration(static_cast<int64_t>(s < 0 ? 0 : s) * 1'000'000'000);
}

}  // namespace

absl::StatusOr<std::string> ShowStatusFile(const std::string& path, bool json) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, size_t{16} << 20, "status file");
  if (!text.ok()) {
    return absl::UnavailableError(
        Cat(text.status().message(), " (is `incarne daemon` running with this status path?)"));
  }
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(simdjson::padded_string(*text)).get(doc) != simdjson::SUCCESS ||
      !doc.is_object() || Str(doc, "state").empty()) {
    return absl::DataLossError(Cat(path, ": not a status file of incarne daemon"));
  }
  if (json) {
    return *text;
  }
  std::string out;
  const double age = static_cast<double>(RealNs()) / 1e9 - Num(doc, "time");
  const auto pid = static_cast<int>(Num(doc, "pid"));
  Append(&out, "incarne daemon ", Str(doc, "version"), ", pid ", pid, ", up ",
         Dur(Num(doc, "uptime_s")), ": ", Str(doc, "state"), "\n");
  if (Str(doc, "state") != "stopped" && (age > 5 || (kill(pid, 0) != 0 && errno == ESRCH))) {
    Append(&out, "  WARNING: this status is ", Dur(age), " old; the daemon may have stopped (",
           path, ")\n");
  }
  element cur;
  if (doc["current"].get(cur) == simdjson::SUCCESS && cur.is_object()) {
    Append(&out, "  job      ", Str(cur, "name"), " -> ", Str(cur, "run_dir"), "\n");
    const double planned_s = Num(cur, "planned_duration_s");
    Append(&out, "  elapsed  ", Dur(Num(cur, "elapsed_s")),
           planned_s > 0 ? Cat(" / ", Dur(planned_s)) : std::string(),
           absl::StrFormat("   shots planned %.0f sent %.0f   hits %.0f errors %.0f\n",
                           Num(cur, "planned"), Num(cur, "sent"), Num(cur, "hits"),
                           Num(cur, "errors")));
    element last;
    if (cur["last_second"].get(last) == simdjson::SUCCESS && Num(last, "second") >= 0) {
      Append(&out,
             absl::StrFormat(
                 "  second   %.0f: rps %.0f  errors %.0f  p99 %.3f ms  lag p99 %.3f ms  "
                 "in flight %.0f\n",
                 Num(last, "second"), Num(last, "rps"), Num(last, "errors"),
                 Num(last, "p99_us") / 1e3, Num(last, "lag_p99_us") / 1e3, Num(last, "in_flight")));
    }
  }
  simdjson::dom::array queue;
  if (doc["queue"].get(queue) == simdjson::SUCCESS) {
    std::string names;
    size_t n = 0;
    for (element q : queue) {
      std::string_view name;
      if (q.get(name) == simdjson::SUCCESS) {
        Append(&names, n++ == 0 ? "" : ", ", name);
      }
    }
    Append(&out, "  queue    ", n, n > 0 ? Cat(": ", names) : std::string(), "\n");
  }
  element last;
  if (doc["last"].get(last) == simdjson::SUCCESS && last.is_object()) {
    const std::string outcome = Str(last, "outcome");
    Append(&out, "  last     ", Str(last, "name"), " ", outcome);
    if (outcome == "done") {
      Append(&out,
             absl::StrFormat(" exit %.0f, %.0f hits, %.0f errors -> ", Num(last, "exit"),
                             Num(last, "hits"), Num(last, "errors")),
             Str(last, "run_dir"));
    } else {
      Append(&out, ": ", Str(last, "why"));
    }
    out += "\n";
    if (const std::string a = Str(last, "autostop"); !a.empty()) {
      Append(&out, "  autostop ", a, "\n");  // why the last run stopped (exit 3)
    }
  }
  return out;
}

}  // namespace incarne::control
