// The logs the phantom drop-in writes besides phout and answ (which the engine writes, see
// LaunchOptions::phout_path/answ_path): phantom's own log (logger_file_t) and its stat log
// (io_monitor_t), in the formats Yandex.Tank reads (docs/phantom.md "Outputs").
// Control plane only; one thread (the drop-in's parent process).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "results/stats.h"

namespace incarne::tank {

// "YYYY-MM-DD HH:MM:SS.mmm +ZZZZ", local time (phantom's log and stat log stamps).
std::string PhantomStamp(int64_t unix_ns);

// phantom's log: "<stamp> [<level>] [<object>] <message>" lines, flushed each; appended to
// `path`, or stderr when `path` is "" or cannot be opened.
class PhantomLog {
 public:
  explicit PhantomLog(const std::string& path);
  ~PhantomLog();
  PhantomLog(const PhantomLog&) = delete;
  PhantomLog& operator=(const PhantomLog&) = delete;
  void Line(std::string_view level, std::string_view object, std::string_view message);

 private:
  FILE* f_ = nullptr;
};

// The names a stream's value in the stat log is keyed by (from its phantom.conf).
struct StatKeys {
  std::string method = "stream_method";
  std::string proto;  // "": no proto section
  std::string source = "source_log";
};

// A stream's value in one stat log record, on one line (no '\n': the stat log's record
// separator "\n}," can never appear inside it).
std::string StatBody(const SecondStats& ss, const StatKeys& keys);

// The stat log: one record per wall-clock second holding every stream's value for it. Values
// arrive per stream, in order per stream; a second is written once no stream can still report
// it. `path` "" = no stat log (Add and Flush then only keep the bookkeeping).
class StatLog {
 public:
  explicit StatLog(const std::string& path);
  ~StatLog();
  StatLog(const StatLog&) = delete;
  StatLog& operator=(const StatLog&) = delete;
  bool ok() const { return path_.empty() || f_ != nullptr; }
  void Add(int64_t second, size_t stream, std::string body);
  // Writes, in order, every pending second <= `horizon` (the lowest last-reported second of
  // the streams still reporting; INT64_MAX when none is, or to write everything at the end).
  // `names[i]` is stream i's io_benchmark_t name.
  void Flush(const std::vector<std::string>& names, int64_t horizon);

 private:
  std::string path_;
  FILE* f_ = nullptr;
  std::map<int64_t, std::map<size_t, std::string>> pending_;
};

}  // namespace incarne::tank
