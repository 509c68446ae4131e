// One-line runs: `incarne run URL [URL...] -r N | -c N ...` turned into a plan (docs/cli.md
// "incarne run URL"). The builder is pure: URLs and the flags' text in, a Plan (and, when the
// requests do not fit `ammo.uris`, the phantom-format ammo text) out. The caller formats the
// plan with FormatPlanToml and runs that text exactly like a plan file, so `--print-plan`,
// `incarne check` and the run directory's plan.toml all see the same plan.
//
//   OnelineFlags f;
//   f.urls = {"http://127.0.0.1:8080/"};
//   f.rate = "2000";
//   ASSIGN_OR_RETURN(OnelinePlan built, BuildOnelinePlan(f));
//
// Control plane only; not thread-safe (no shared state: any thread may call it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace incarne::cli {

// One URL of the command line, split (RFC 3986 shape, no percent-decoding except a zone's
// "%25"): scheme://host[:port][/path][?query][#tag].
struct ParsedUrl {
  std::string scheme;        // "http" | "https" | "udp" (lower case)
  std::string host;          // as in target.address: a name, an IPv4, or "[v6]" with brackets
  uint16_t port = 0;         // explicit, or the scheme's default (http 80, https 443)
  bool default_port = true;  // the port was not written (or equals the default)
  std::string target;        // the request target: path and query, "/" when empty
  std::string tag;           // the fragment: the ammo tag of this URL's requests ("" = none)
};

// Errors (InvalidArgument, exit 2) quote the URL and say what was expected: no "://", a
// scheme other than http/https/udp, no host, user info, a bad port, an IPv6 literal without
// brackets, blanks or control characters, a tag with blanks.
absl::StatusOr<ParsedUrl> ParseUrl(std::string_view url);

// The flags as given (std::nullopt = not given); their text is checked by the builder so that
// every message names the flag.
struct OnelineFlags {
  std::vector<std::string> urls;
  std::optional<std::string> rate;         // -r/--rate N: open model, const(N, D)
  std::optional<std::string> connections;  // -c/--connections N: closed model, const(N, D)
  std::optional<std::string> duration;     // -d/--duration D (default 10s)
  std::optional<std::string> schedule;     // --schedule EXPR: instead of -r/-c/-d
  std::optional<std::string> method;       // -m/--method
  std::vector<std::string> headers;        // -H 'Name: value', repeatable
  std::optional<std::string> body;         // --body's content (the caller reads the file)
  std::optional<std::string> threads;      // -t/--threads
  std::optional<std::string> timeout;      // --timeout D
  std::optional<std::string> autocases;    // --autocases N|uri|uniq
  bool https_insecure = false;             // --https-insecure
  std::optional<std::string> ca_file;      // --ca FILE
};

// Connections of the closed model when neither -r, -c nor --schedule is given (wrk's -c).
inline constexpr uint32_t kDefaultConnections = 10;
inline constexpr char kDefaultDuration[] = "10s";

struct OnelinePlan {
  Plan plan;
  // Phantom-format ammo ("<size> <tag>\n<request>\n" per URL) when the requests need more than
  // `ammo.uris` carries (a method other than GET, a body, a tag, udp); plan.ammo.file is then
  // the caller's ammo path. "" when the plan uses ammo.uris.
  std::string ammo_text;
};

// The plan of a one-line run. `ammo_path` goes into ammo.file when ammo_text is needed. Errors
// (InvalidArgument) name the flag or quote the URL: -r with -c, --schedule with -r/-c/-d, a
// body for GET without -m, URLs of different targets, a flag that does not fit the scheme.
absl::StatusOr<OnelinePlan> BuildOnelinePlan(const OnelineFlags& flags, std::string_view ammo_path);

}  // namespace incarne::cli
