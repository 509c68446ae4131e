// `incarne sink` — the built-in loopback HTTP/1.1 target (src/sink/sink.h).
//   incarne sink --listen 127.0.0.1:8080
//   incarne sink --listen 127.0.0.1:0 --body-size 1024     (prints the port it got)
#include "sink/sink.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/cli_common.h"
#include "plan/duration.h"

namespace incarne::cli {
namespace {

constexpr char kUsage[] =
    "usage: incarne sink --listen ADDR [--body-size N] [--udp] [--fault MODE]\n"
    "                    [--fault-share P] [--fault-per request|connection]\n"
    "                    [--fault-after DURATION]\n"
    "                    [--capacity N --service DUR | --usl-sigma S --usl-kappa K --service DUR]\n"
    "\n"
    "A small io_uring HTTP/1.1 server to aim incarne at: keep-alive, pipelining, a fixed\n"
    "`200 OK` to every request. Prints `listening on ADDR` (the bound address, so port 0\n"
    "picks a free port) on stdout and serves until SIGINT or SIGTERM.\n"
    "\n"
    "  --listen ADDR     host:port or [v6]:port to bind (port 0: any free port)\n"
    "  --body-size N     reply body bytes (default 2, at most 64 MiB)\n"
    "  --udp             a UDP echo server instead (every datagram goes back to its sender)\n"
    "  --fault MODE      misbehave, to test error handling:\n"
    "                      reset       reset the connection (RST) when a request arrives\n"
    "                      close-mid   send half of the reply, then close\n"
    "                      stall       read the request, never answer (UDP: drop it)\n"
    "                      garbage     answer with bytes that are not HTTP, then close\n"
    "                      slow=DUR    answer DUR late (\"200ms\", \"1.5s\")\n"
    "                      503         answer `503 Service Unavailable` (keep-alive as asked)\n"
    "  --fault-share P   only this share of requests (0 < P <= 1, default 1), evenly spread\n"
    "  --fault-per WHAT  request (default) or connection: with `connection` the share picks\n"
    "                    connections, and every request on a picked one gets the fault\n"
    "  --fault-after DUR faults start DUR after the first request (\"5s\"; default 0: at\n"
    "                    once), e.g. a target that starts failing 5 s into a run\n"
    "  --capacity N      a target with N \"servers\": each takes one request for --service,\n"
    "                    the rest queue (at most N/DUR replies per second; docs/capacity.md)\n"
    "  --service DUR     the service time of --capacity and --usl-* (\"2ms\")\n"
    "  --usl-sigma S     a target that follows the USL: with c requests in service each takes\n"
    "  --usl-kappa K     DUR·(1 + S(c−1) + Kc(c−1)), so N clients get X(N) = (N/DUR) /\n"
    "                    (1 + S(N−1) + KN(N−1)) (0 <= S, K <= 1)\n"
    "\n"
    "Exit status: 0 after a signal, 1 when it cannot serve (address in use), 2 bad usage.\n";

std::atomic<bool> g_stop{false};

// --capacity, --service, --usl-sigma, --usl-kappa into o->capacity (src/sink/capacity.h).
absl::Status ParseCapacityArgs(const Args& args, SinkOptions* o) {
  SinkCapacityOptions& c = o->capacity;
  if (args.Has("capacity")) {
    const std::string text = args.Get("capacity");
    if (!absl::SimpleAtoi(text, &c.servers) || c.servers == 0 || c.servers > 1'000'000) {
      return absl::InvalidArgumentError(
          absl::StrCat("--capacity \"", text, "\": expected a number of servers in 1..1000000"));
    }
  }
  if (args.Has("service")) {
    absl::StatusOr<int64_t> ns = ParseDuration(args.Get("service"));
    if (!ns.ok() || *ns <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("--service \"", args.Get("service"),
                                                     "\": expected a positive duration (\"2ms\")"));
    }
    c.service_ns = *ns;
  }
  for (const char* name : {"usl-sigma", "usl-kappa"}) {
    if (!args.Has(name)) {
      continue;
    }
    c.usl = true;
    double* v = std::string_view(name) == "usl-sigma" ? &c.sigma : &c.kappa;
    if (!absl::SimpleAtod(args.Get(name), v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " \"", args.Get(name), "\": expected a number in [0, 1]"));
    }
  }
  return CheckSinkCapacity(c);
}

void OnSignal(int) { g_stop.store(true); }

}  // namespace

int RunSink(int argc, char** argv) {
  Args args(argc, argv);
  args.Value("listen");
  args.Value("body-size");
  args.Flag("udp");
  args.Value("fault");
  args.Value("fault-share");
  args.Value("fault-per");
  args.Value("fault-after");
  args.Value("capacity");
  args.Value("service");
  args.Value("usl-sigma");
  args.Value("usl-kappa");
  if (absl::Status st = args.Parse(); !st.ok()) {
    return Fail("sink", st);
  }
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!args.positional().empty() || !args.Has("listen")) {
    return Fail("sink", absl::InvalidArgumentError(
                            "expected: incarne sink --listen ADDR [--body-size N] (see --help)"));
  }
  SinkOptions o;
  o.listen = args.Get("listen");
  if (args.Has("body-size")) {
    const std::string text = args.Get("body-size");
    if (!absl::SimpleAtoi(text, &o.body_size)) {
      return Fail("sink", absl::InvalidArgumentError(absl::StrCat(
                              "--body-size \"", text, "\": expected a number of bytes")));
    }
  }
  o.udp = args.Has("udp");
  if (args.Has("fault")) {
    if (absl::Status st = ParseSinkFault(args.Get("fault"), &o); !st.ok()) {
      return Fail("sink", st);
    }
  }
  if (args.Has("fault-share")) {
    const std::string text = args.Get("fault-share");
    if (!absl::SimpleAtod(text, &o.fault_share) || !(o.fault_share > 0 && o.fault_share <= 1)) {
      return Fail("sink", absl::InvalidArgumentError(absl::StrCat(
                              "--fault-share \"", text, "\": expected a number in (0, 1]")));
    }
  }
  if (args.Has("fault-per")) {
    const std::string text = args.Get("fault-per");
    if (text != "request" && text != "connection") {
      return Fail("sink", absl::InvalidArgumentError(absl::StrCat(
                              "--fault-per \"", text, "\": expected request or connection")));
    }
    o.fault_per_connection = text == "connection";
  }
  if (args.Has("fault-after")) {
    const std::string text = args.Get("fault-after");
    absl::StatusOr<int64_t> ns = ParseDuration(text);
    if (!ns.ok() || !args.Has("fault")) {
      return Fail("sink",
                  absl::InvalidArgumentError(absl::StrCat(
                      "--fault-after \"", text, "\": expected a duration (\"5s\") and a --fault",
                      ns.ok() ? "" : absl::StrCat(" (", ns.status().message(), ")"))));
    }
    o.fault_after_ns = *ns;
  }
  if (absl::Status st = ParseCapacityArgs(args, &o); !st.ok()) {
    return Fail("sink", st);
  }
  absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Create(o);
  if (!sink.ok()) {
    return Fail("sink", sink.status());
  }
  struct sigaction sa {};
  sa.sa_handler = &OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::printf("listening on %s\n", (*sink)->address().c_str());
  std::fflush(stdout);
  absl::Status st = (*sink)->Run(&g_stop);
  const SinkStats s = (*sink)->stats();
  std::fprintf(stderr,
               "incarne sink: %lu connections, %lu requests (%lu faulty), %lu bytes in, %lu out\n",
               static_cast<unsigned long>(s.connections), static_cast<unsigned long>(s.requests),
               static_cast<unsigned long>(s.faults), static_cast<unsigned long>(s.bytes_in),
               static_cast<unsigned long>(s.bytes_out));
  if (!st.ok()) {
    return Fail("sink", absl::UnavailableError(st.message()));
  }
  return kExitOk;
}

}  // namespace incarne::cli
