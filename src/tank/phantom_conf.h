// phantom's configuration language, as Yandex.Tank and Taurus generate it (docs/phantom.md
// "What is read"), read into a small tree and then into the subset incarne runs. Part of the
// Yandex.Tank compatibility room (src/tank/).
//
//   incarne phantom check phantom.conf     # exit 0, silent, when the config is usable
//
// Grammar (what phantom's own parser accepts for the files Tank writes):
//   block   := item*
//   item    := WORD WORD '=' WORD '{' block '}'   definition: kind_t name = impl_t { ... }
//            | WORD '=' value                      assignment
//            | value                               list element (inside braces)
//   value   := WORD | STRING | '{' block '}'
// `#` starts a comment to the end of the line. WORD is any run of characters other than
// white space, braces, '=', '"' and '#'. STRING is double-quoted with backslash escapes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne {

struct PhantomNode {
  enum class Kind { kWord, kString, kBlock, kDefinition, kAssignment };
  Kind kind = Kind::kWord;
  std::string text;                   // word/string value; assignment/definition: the name
  std::string type;                   // definition: kind_t (e.g. "io_t")
  std::string impl;                   // definition: impl_t (e.g. "io_benchmark_t")
  std::vector<PhantomNode> children;  // block items; assignment: exactly one value
  uint32_t line = 0;
  uint32_t column = 0;

  // Lookups inside a block or definition body (first match).
  const PhantomNode* Assignment(std::string_view name) const;
  const PhantomNode* Definition(std::string_view name) const;
};

// Parses the text; errors name "<name>:<line>:<column>: expected ...".
absl::StatusOr<PhantomNode> ParsePhantomConfig(std::string_view text, std::string_view name);

// phantom interval: integer + unit (s, m, h, d, w; repeatable, "1m30s"), "inf", or a bare
// integer = milliseconds. Returns ns; "inf" is INT64_MAX.
absl::StatusOr<int64_t> ParsePhantomInterval(std::string_view text);

// phantom size: integer with an optional K/M/G suffix (1024-based).
absl::StatusOr<uint64_t> ParsePhantomSize(std::string_view text);

// One io_benchmark_t block (a "stream" in Tank's words).
struct PhantomStream {
  std::string name;     // benchmark_io, benchmark_io1, ...
  bool ipv6 = false;    // method_stream_ipv6_t
  std::string address;  // IP literal
  uint16_t port = 80;
  std::vector<std::string> bind;
  int64_t timeout_ns = 1 * kNsPerSec;  // method_stream default 1s
  std::string stpd;                    // source_log_t filename
  std::string phout;                   // logger_brief_t filename ("" = none)
  std::string answ;                    // logger_default_t filename ("" = none)
  std::string answ_level;  // all | proto_warning | proto_error | transport_error | network_error
  bool ssl = false;
  std::string ssl_key;
  std::string ssl_cert;
  std::string ssl_ciphers;
  bool proto_none = false;  // proto_none_t: raw TCP, reply read until the server closes
  HttpPlan http;            // reply_limits
  uint32_t instances = 16;  // io_benchmark_t default
};

struct PhantomConfig {
  std::vector<PhantomStream> streams;
  std::string stat_log;     // io_monitor_t filename ("" = none)
  std::string phantom_log;  // logger_file_t filename ("" = stderr)
  uint32_t threads = 0;
};

// Extracts what incarne runs; rejects what it cannot honour (a construct phantom has but
// incarne does not, e.g. a custom source) with file:line:column and what was expected.
absl::StatusOr<PhantomConfig> ReadPhantomConfig(std::string_view text, std::string_view name);

}  // namespace incarne
