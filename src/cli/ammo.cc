// `incarne ammo compile|inspect|dump` — human ammo → binary ammo file and back
// (docs/design.md §5, docs/ammo.md).
//   incarne ammo compile ammo.txt                      → ammo.ammo
//   incarne ammo compile uris.txt --header 'Host: example.com' --autocases 2 -o u.ammo
//   incarne ammo inspect ammo.ammo
//   incarne ammo dump ammo.ammo --as stpd --schedule 'line(1, 5, 2s)'   (diff with Tank's stpd)
//   incarne ammo convert --from pandora-scenario payload.yaml   (→ payload.jsonl + payload.toml)
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ammo/ammo_compiler.h"
#include "ammo/ammo_dump.h"
#include "ammo/ammo_file.h"
#include "ammo/ammo_format.h"
#include "ammo/ammo_sessions.h"
#include "ammo/http_request.h"
#include "cli/cli_common.h"
#include "plan/schedule.h"
#include "tank/pandora_scenario.h"
#include "util/absl_view.h"
#include "util/output_file.h"
#include "util/small_file.h"
#include "util/status.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne ammo compile INPUT [--format F] [--header 'Name: value']...\n"
    "                    [--http-version 1.0|1.1] [--autocases X] [--chosen-cases 'a b']\n"
    "                    [--limit N] [-o OUT.ammo]\n"
    "       incarne ammo inspect FILE.ammo [--json]\n"
    "       incarne ammo dump FILE.ammo [--as phantom|stpd] [--limit N]\n"
    "                    [--schedule EXPR [--model rps|instances]] [-o OUT]\n"
    "       incarne ammo convert --from pandora-scenario FILE.yaml [-o OUT.jsonl]\n"
    "                    [--plan OUT.toml] [--target HOST:PORT]\n"
    "\n"
    "compile  reads Tank/Pandora ammo (plain or gzip) and writes the binary ammo file that\n"
    "         `incarne run` maps into memory. Default output: INPUT with its extension\n"
    "         replaced by .ammo. Written to a temporary file and renamed: on any error\n"
    "         nothing is left behind.\n"
    "  --format F           auto (default) | phantom | uri | uripost | access | jsonline |\n"
    "                       stpd | ammo. auto: first byte a digit = phantom, '{' = jsonline,\n"
    "                       *.stpd = stpd, else uri (Tank's rule)\n"
    "  --header 'N: v'      a header for built requests (uri, uripost, access, jsonline);\n"
    "                       repeatable; ignored for phantom and stpd (as Tank does)\n"
    "  --http-version V     request line HTTP/V of built requests (default 1.1; Tank's 1.0)\n"
    "  --autocases X        tag untagged records: 0 (none), N (first N URI path segments),\n"
    "                       uri (the whole path) or uniq (a random UUID each)\n"
    "  --chosen-cases 'a b' keep only records with these tags\n"
    "  --limit N            keep only the first N records\n"
    "\n"
    "inspect  prints counts, tags with counts, request sizes, source format, planned times,\n"
    "         templates, multi-step sessions and their steps\n"
    "  --json               one JSON object instead\n"
    "\n"
    "dump     writes the records as text to stdout (or -o OUT)\n"
    "  --as phantom         request-style ammo (default); compiles back to the same file\n"
    "  --as stpd            Tank's stpd: shot i uses record i mod M; times from --schedule,\n"
    "                       or the file's own planned times when it was compiled from stpd\n"
    "  --schedule EXPR      steps as in `incarne schedule`; --model rps (default) gives one\n"
    "                       record per shot; instances gives the instance starts then 0s,\n"
    "                       --limit or one pass over the ammo long (Tank's loop = 1)\n"
    "  --limit N            at most N records\n"
    "\n"
    "convert  reads another tool's scenario and writes jsonline ammo with scenario steps and a\n"
    "         plan with its rules (docs/scenario.md \"Pandora\"); what incarne cannot keep\n"
    "         is refused by name. Both files are written whole or not at all.\n"
    "  --from pandora-scenario  pandora's http/scenario ammo in YAML\n"
    "  -o OUT.jsonl         the ammo (default: FILE with .jsonl)\n"
    "  --plan OUT.toml      the plan: [ammo], [scenario], [[rules]] (default: FILE with .toml);\n"
    "                       add [load] (and [target] without --target) before running it\n"
    "  --target HOST:PORT   pandora's gun.target: [target] address and every request's Host\n"
    "\n"
    "Exit status: 0 done, 1 I/O failure, 2 bad input (the message names file, line and byte\n"
    "offset and what was expected).\n";

absl::StatusOr<uint64_t> ParseLimit(const Args& args) {
  uint64_t v = 0;
  if (args.Has("limit") && !ParseDecimal(args.Get("limit"), UINT64_MAX, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit '", args.Get("limit"), "': expected a whole number"));
  }
  return v;
}

int Compile(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("format");
  args.Value("header");
  args.Value("http-version");
  args.Value("autocases");
  args.Value("chosen-cases");
  args.Value("limit");
  args.Value("output", 'o');
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("ammo compile", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    return Fail("ammo compile",
                absl::InvalidArgumentError("expected exactly one INPUT file (see --help)"));
  }
  AmmoCompileOptions o;
  o.input = args.positional()[0];
  if (args.Has("format")) {
    absl::StatusOr<AmmoFormat> f = ParseAmmoFormat(args.Get("format"));
    if (!f.ok()) {
      return Fail("ammo compile", f.status());
    }
    o.format = *f;
  }
  o.headers = args.GetAll("header");
  o.http_version = args.Get("http-version", "1.1");
  o.autocases = args.Get("autocases", "0");
  if (args.Has("chosen-cases")) {
    o.chosen_cases = args.GetAll("chosen-cases");
  }
  absl::StatusOr<uint64_t> limit = ParseLimit(args);
  if (!limit.ok()) {
    return Fail("ammo compile", limit.status());
  }
  o.limit = *limit;
  std::string out = args.Get("output", DefaultAmmoOutputPath(o.input));
  // Compared by st_dev/st_ino (a hard link or symlink to the input is the input too).
  if (absl::Status st = CheckOutputNotInput(out, {o.input}, {}); !st.ok()) {
    return Fail("ammo compile",
                absl::InvalidArgumentError(absl::StrCat(
                    st.message(), " (expected an output path different from the input: use -o)")));
  }
  absl::StatusOr<AmmoCompileStats> stats = CompileAmmo(o, out);
  if (!stats.ok()) {
    return Fail("ammo compile", stats.status());
  }
  if (stats->headers_ignored) {
    std::fprintf(stderr,
                 "incarne ammo compile: warning: --header ignored: %s ammo is sent verbatim\n",
                 stats->format.c_str());
  }
  if (stats->skipped > 0) {
    std::fprintf(stderr, "incarne ammo compile: warning: %llu lines skipped (first: %s)\n",
                 static_cast<unsigned long long>(stats->skipped), stats->first_skipped.c_str());
  }
  if (stats->times_backwards > 0) {
    std::fprintf(stderr,
                 "incarne ammo compile: warning: %llu stpd records are planned before an earlier "
                 "record (times go backwards; they are sent in file order, late), the first at "
                 "%s\n",
                 static_cast<unsigned long long>(stats->times_backwards),
                 stats->first_backwards.c_str());
  }
  if (stats->no_host > 0) {
    std::fprintf(stderr,
                 "incarne ammo compile: warning: %llu HTTP/1.1 requests have no Host header "
                 "(servers answer 400; add one with --header 'Host: name' for uri ammo), the "
                 "first at %s\n",
                 static_cast<unsigned long long>(stats->no_host), stats->first_no_host.c_str());
  }
  if (stats->templates_unsplit > 0) {
    std::fprintf(stderr,
                 "incarne ammo compile: warning: %llu records hold a '${' the compiler could "
                 "not split (a malformed reference; a request over 16 MiB): a plan without "
                 "variables sends them as written, one with variables splits them at start and "
                 "refuses a malformed one, naming the record and the offset ('$${' is a "
                 "literal '${')\n",
                 static_cast<unsigned long long>(stats->templates_unsplit));
  }
  std::string extra;
  if (stats->filtered > 0) {
    extra = absl::StrCat(", ", stats->filtered, " dropped by --chosen-cases");
  }
  if (stats->templated > 0) {
    absl::StrAppend(&extra, ", ", stats->templated, " templated");
  }
  if (stats->session_marks > 0) {
    absl::StrAppend(&extra, ", ", stats->session_marks, " session steps");
  }
  std::printf("%s -> %s: %llu records (%s%s), %llu request bytes, sizes %u..%u, %u tags%s%s\n",
              o.input.c_str(), out.c_str(), static_cast<unsigned long long>(stats->records),
              stats->format.c_str(), stats->gzip ? ", gzip" : "",
              static_cast<unsigned long long>(stats->bytes), stats->min_length, stats->max_length,
              stats->tags - 1, stats->has_times ? ", planned times" : "", extra.c_str());
  return kExitOk;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append(absl::StrFormat("\\u%04x", u));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

int Inspect(int argc, char** argv) {
  Args args(argc, argv);
  args.Flag("json");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("ammo inspect", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    return Fail("ammo inspect",
                absl::InvalidArgumentError("expected exactly one FILE.ammo (see --help)"));
  }
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(args.positional()[0]);
  if (!f.ok()) {
    return Fail("ammo inspect", f.status());
  }
  std::vector<uint64_t> counts(f->tags().size());
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  for (uint64_t i = 0; i < f->count(); ++i) {
    ++counts[f->Tag(i)];
    if (f->has_times()) {
      int64_t t = f->PlannedNs(i);
      first_ns = i == 0 ? t : std::min(first_ns, t);
      last_ns = i == 0 ? t : std::max(last_ns, t);
    }
  }
  const double avg = static_cast<double>(f->data_size()) / static_cast<double>(f->count());
  // Templates (docs/formats.md "Templates section"): the split stored at compile time.
  uint64_t unsplit = 0;
  for (const AmmoTemplateRecord& r : f->template_records()) {
    unsplit += r.pieces == 0 ? 1 : 0;
  }
  const uint64_t templated = f->template_records().size();
  // Sessions (docs/formats.md "Sessions section"): as a run builds them from the stored marks.
  StoredSessionCounts sessions;
  std::string sessions_error;
  if (f->has_sessions()) {
    absl::StatusOr<StoredSessionCounts> c = CountStoredSessions(*f);
    if (c.ok()) {
      sessions = *c;
    } else {
      sessions_error = std::string(c.status().message());
    }
  }
  if (args.Has("json")) {
    std::string j = absl::StrCat(
        "{\"file\":", JsonString(f->path()), ",\"source_format\":", JsonString(f->source_format()),
        ",\"records\":", f->count(), ",\"bytes\":", f->data_size(),
        ",\"size_min\":", f->min_length(), ",\"size_avg\":", absl::StrFormat("%.1f", avg),
        ",\"size_max\":", f->max_length(), ",\"has_times\":", f->has_times() ? "true" : "false");
    if (f->has_times()) {
      absl::StrAppend(&j, ",\"first_ms\":", first_ns / 1'000'000,
                      ",\"last_ms\":", last_ns / 1'000'000);
    }
    absl::StrAppend(&j, ",\"template_split\":", f->has_template_split() ? "true" : "false");
    if (f->has_template_split()) {
      absl::StrAppend(&j, ",\"templated\":", templated, ",\"templates_unsplit\":", unsplit,
                      ",\"template_variables\":[");
      for (size_t n = 0; n < f->template_names().size(); ++n) {
        absl::StrAppend(&j, n == 0 ? "" : ",", JsonString(f->template_names()[n]));
      }
      absl::StrAppend(&j, "]");
    }
    absl::StrAppend(&j, ",\"session_marks\":", f->has_sessions() ? "true" : "false");
    if (f->has_sessions()) {
      absl::StrAppend(&j, ",\"sessions\":", sessions.sessions,
                      ",\"session_steps\":", sessions.steps,
                      ",\"session_steps_max\":", sessions.longest, ",\"scenarios\":[");
      for (size_t n = 0; n < f->scenario_names().size(); ++n) {
        absl::StrAppend(&j, n == 0 ? "" : ",", JsonString(f->scenario_names()[n]));
      }
      absl::StrAppend(&j, "]");
      if (!sessions_error.empty()) {
        absl::StrAppend(&j, ",\"sessions_error\":", JsonString(sessions_error));
      }
    }
    absl::StrAppend(&j, ",\"tags\":{");
    for (size_t t = 0; t < counts.size(); ++t) {
      absl::StrAppend(&j, t == 0 ? "" : ",", JsonString(f->tags()[t]), ":", counts[t]);
    }
    absl::StrAppend(&j, "}}\n");
    std::fputs(j.c_str(), stdout);
    return kExitOk;
  }
  std::printf("file:           %s (%llu bytes)\n", f->path().c_str(),
              static_cast<unsigned long long>(f->file_size()));
  std::printf("source format:  %.*s\n", static_cast<int>(f->source_format().size()),
              f->source_format().data());
  std::printf("records:        %llu\n", static_cast<unsigned long long>(f->count()));
  std::printf("request bytes:  %llu\n", static_cast<unsigned long long>(f->data_size()));
  std::printf("sizes:          min %u, avg %.1f, max %u\n", f->min_length(), avg, f->max_length());
  if (f->has_times()) {
    std::printf("planned times:  yes, %lld .. %lld ms\n",
                static_cast<long long>(first_ns / 1'000'000),
                static_cast<long long>(last_ns / 1'000'000));
  } else {
    std::printf("planned times:  no\n");
  }
  if (!f->has_template_split()) {
    std::printf(
        "templates:      not split (compiled by an older incarne: a run splits them at "
        "start)\n");
  } else {
    std::string line = absl::StrCat(templated, " records");
    if (!f->template_names().empty()) {
      absl::StrAppend(&line, ", variables ", absl::StrJoin(f->template_names(), ", "));
    }
    if (unsplit > 0) {
      absl::StrAppend(&line, "; ", unsplit, " not split (split at run start)");
    }
    std::printf("templates:      %s\n", line.c_str());
  }
  if (!f->has_sessions()) {
    std::printf(
        "sessions:       not stored (compiled by an older incarne: a run reads the session "
        "marks from the source when the plan names it)\n");
  } else if (!sessions_error.empty()) {
    std::printf("sessions:       refused by a run: %s\n", sessions_error.c_str());
  } else if (sessions.sessions == 0) {
    std::printf("sessions:       none\n");
  } else {
    std::printf("sessions:       %llu of %llu steps (up to %u per session), scenarios %s\n",
                static_cast<unsigned long long>(sessions.sessions),
                static_cast<unsigned long long>(sessions.steps), sessions.longest,
                absl::StrJoin(f->scenario_names(), ", ").c_str());
  }
  std::printf("tags:           %zu\n", f->tags().size() - 1);
  std::printf("%12s  %s\n", "records", "tag");
  for (size_t t = 0; t < counts.size(); ++t) {
    if (t == 0 && counts[0] == 0) {
      continue;
    }
    std::printf("%12llu  %s\n", static_cast<unsigned long long>(counts[t]),
                t == 0 ? "(untagged)" : f->tags()[t].c_str());
  }
  return kExitOk;
}

int Dump(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("as");
  args.Value("limit");
  args.Value("schedule");
  args.Value("model");
  args.Value("output", 'o');
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("ammo dump", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    return Fail("ammo dump",
                absl::InvalidArgumentError("expected exactly one FILE.ammo (see --help)"));
  }
  std::string as = args.Get("as", "phantom");
  if (as != "phantom" && as != "stpd") {
    return Fail("ammo dump", absl::InvalidArgumentError(
                                 absl::StrCat("--as '", as, "': expected phantom or stpd")));
  }
  absl::StatusOr<uint64_t> limit = ParseLimit(args);
  if (!limit.ok()) {
    return Fail("ammo dump", limit.status());
  }
  if (as == "phantom" && args.Has("schedule")) {
    return Fail("ammo dump", absl::InvalidArgumentError(
                                 "--schedule goes with --as stpd (phantom ammo has no times)"));
  }
  LoadModel model = LoadModel::kRps;
  if (args.Has("model")) {
    std::string m = args.Get("model");
    if (m == "instances") {
      model = LoadModel::kInstances;
    } else if (m != "rps") {
      return Fail("ammo dump", absl::InvalidArgumentError(
                                   absl::StrCat("--model '", m, "': expected rps or instances")));
    }
  }
  std::optional<Schedule> schedule;
  if (args.Has("schedule")) {
    absl::StatusOr<Schedule> s = Schedule::Parse(args.Get("schedule"), model);
    if (!s.ok()) {
      return Fail("ammo dump",
                  absl::InvalidArgumentError(absl::StrCat("--schedule: ", s.status().message())));
    }
    schedule.emplace(std::move(*s));
  }
  absl::StatusOr<AmmoFile> f = AmmoFile::Open(args.positional()[0]);
  if (!f.ok()) {
    return Fail("ammo dump", f.status());
  }

  FILE* out = stdout;
  std::string out_path = args.Get("output");
  std::unique_ptr<OutputFile> output;  // -o: replaced only when the dump is complete
  if (!out_path.empty()) {
    absl::Status st = CheckOutputNotInput(out_path, {args.positional()[0]}, {});
    absl::StatusOr<std::unique_ptr<OutputFile>> opened = OutputFile::Open(out_path);
    if (st.ok() && !opened.ok()) {
      st = opened.status();
    }
    if (!st.ok()) {
      return Fail("ammo dump", st);
    }
    output = std::move(*opened);
    out = nullptr;
  }
  DumpOut sink = [&](std::string_view bytes) -> absl::Status {
    if (output != nullptr) {
      return output->Write(bytes);
    }
    if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
      return absl::InternalError("write failed");
    }
    return absl::OkStatus();
  };
  absl::Status st;
  if (as == "phantom") {
    st = DumpPhantom(*f, *limit, sink);
  } else if (schedule) {
    uint64_t shots;
    std::function<int64_t(uint64_t)> time_ms;
    if (model == LoadModel::kRps) {
      // Tank: zip(timestamps, endless ammo) — one record per shot.
      shots = schedule->shots();
      time_ms = [&](uint64_t i) { return schedule->ShotMs(i); };
    } else {
      // Tank's instances stpd: the starts, then "send now" (0); loop defaults to one pass.
      shots = *limit != 0 ? *limit : f->count();
      time_ms = [&](uint64_t i) { return i < schedule->shots() ? schedule->ShotMs(i) : 0; };
    }
    if (*limit != 0) {
      shots = std::min(shots, *limit);
    }
    st = DumpStpd(*f, shots, time_ms, sink);
  } else if (f->has_times()) {
    uint64_t shots = *limit != 0 ? std::min(*limit, f->count()) : f->count();
    st = DumpStpd(
        *f, shots, [&](uint64_t i) { return f->PlannedNs(i) / 1'000'000; }, sink);
  } else {
    st = absl::InvalidArgumentError(
        absl::StrCat(f->path(), ": has no planned times (compiled from ",
                     AbslView(f->source_format()), "): expected --schedule EXPR for --as stpd"));
  }
  if (output != nullptr) {
    if (st.ok()) {
      st = output->Commit();
    }
  } else if (std::fflush(stdout) != 0 && st.ok()) {
    st = absl::InternalError("stdout: write failed");
  }
  if (!st.ok()) {
    return Fail("ammo dump", st);
  }
  return kExitOk;
}

std::string ReplaceExtension(const std::string& path, std::string_view ext) {
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash + 1)) {
    return absl::StrCat(path.substr(0, dot), std::string(ext));
  }
  return absl::StrCat(path, std::string(ext));
}

// incarne names a data file's columns by its first line; pandora's `fields` may name them
// instead. A mismatch would make every ${column} unknown at run start: say it now.
absl::Status CheckDataHeader(const PandoraConversion& c, const std::string& yaml_path) {
  if (c.data_file.empty() || c.data_columns.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> text = ReadSmallFile(c.data_file, size_t{1} << 30, "data file");
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(yaml_path, ": the file/csv source's file: ", text.status().message(),
                     " (relative paths are relative to the current directory, as in pandora)"));
  }
  std::string_view first(*text);
  first = first.substr(0, first.find('\n'));
  if (!first.empty() && first.back() == '\r') {
    first.remove_suffix(1);
  }
  const std::string want = absl::StrJoin(c.data_columns, ",");
  if (first != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(c.data_file, ":1: expected the header row '", want,
                     "' (the source's fields: incarne names the columns by this line), got '",
                     std::string(first.substr(0, 200)), "'"));
  }
  return absl::OkStatus();
}

int ConvertScenario(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("from");
  args.Value("output", 'o');
  args.Value("plan");
  args.Value("target");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("ammo convert", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.Get("from") != "pandora-scenario") {
    return Fail("ammo convert",
                absl::InvalidArgumentError(absl::StrCat(
                    "--from '", args.Get("from"), "': expected pandora-scenario (see --help)")));
  }
  if (args.positional().size() != 1) {
    return Fail("ammo convert",
                absl::InvalidArgumentError("expected exactly one FILE.yaml (see --help)"));
  }
  const std::string input = args.positional()[0];
  const std::string ammo_out = args.Get("output", ReplaceExtension(input, ".jsonl"));
  const std::string plan_out = args.Get("plan", ReplaceExtension(input, ".toml"));
  for (const std::string& out : {ammo_out, plan_out}) {
    if (absl::Status st = CheckOutputNotInput(out, {input}, {}); !st.ok()) {
      return Fail("ammo convert",
                  absl::InvalidArgumentError(absl::StrCat(
                      st.message(), " (expected an output path different from the input)")));
    }
  }
  if (ammo_out == plan_out) {
    return Fail("ammo convert",
                absl::InvalidArgumentError("-o and --plan name the same file: expected two paths"));
  }
  absl::StatusOr<std::string> text = ReadSmallFile(input, size_t{4} << 20, "pandora scenario");
  if (!text.ok()) {
    return Fail("ammo convert", text.status());
  }
  PandoraOptions o;
  o.ammo_path = ammo_out;
  o.target = args.Get("target");
  absl::StatusOr<PandoraConversion> c = ConvertPandoraScenario(*text, input, o);
  if (!c.ok()) {
    return Fail("ammo convert", c.status());
  }
  if (absl::Status st = CheckDataHeader(*c, input); !st.ok()) {
    return Fail("ammo convert", st);
  }
  // Both files or neither: both are built aside and renamed only when both are written.
  absl::StatusOr<std::unique_ptr<OutputFile>> ammo = OutputFile::Open(ammo_out);
  if (!ammo.ok()) {
    return Fail("ammo convert", ammo.status());
  }
  absl::StatusOr<std::unique_ptr<OutputFile>> plan = OutputFile::Open(plan_out);
  if (!plan.ok()) {
    return Fail("ammo convert", plan.status());
  }
  absl::Status st = (*ammo)->Write(c->ammo_jsonl);
  if (st.ok()) {
    st = (*plan)->Write(c->plan_toml);
  }
  if (st.ok()) {
    st = (*ammo)->Commit();
  }
  if (st.ok()) {
    st = (*plan)->Commit();
  }
  if (!st.ok()) {
    return Fail("ammo convert", st);
  }
  for (const std::string& note : c->notes) {
    std::fprintf(stderr, "incarne ammo convert: note: %s\n", note.c_str());
  }
  std::printf("%s -> %s: %llu steps in %u sessions; %s: %u rules%s%s\n", input.c_str(),
              ammo_out.c_str(), static_cast<unsigned long long>(c->records), c->sessions,
              plan_out.c_str(), c->rules, c->data_file.empty() ? "" : ", data file ",
              c->data_file.c_str());
  return kExitOk;
}

}  // namespace

int RunAmmo(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitBadInput;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (sub == "compile") {
    return Compile(argc - 1, argv + 1);
  }
  if (sub == "inspect") {
    return Inspect(argc - 1, argv + 1);
  }
  if (sub == "dump") {
    return Dump(argc - 1, argv + 1);
  }
  if (sub == "convert") {
    return ConvertScenario(argc - 1, argv + 1);
  }
  std::fprintf(stderr,
               "incarne ammo: unknown subcommand '%s': expected compile, inspect, "
               "dump or convert (see --help)\n",
               argv[1]);
  return kExitBadInput;
}

}  // namespace incarne::cli
