#include "ammo/ammo_dump.h"

#include <string>

#include "ammo/http_request.h"
#include "ammo/reader_util.h"
#include "ammo/readers.h"
#include "util/status.h"

namespace incarne {
namespace {

constexpr size_t kChunk = 256u << 10;

class Buffered {
 public:
  explicit Buffered(const DumpOut& out) : out_(out) { buf_.reserve(kChunk * 2); }
  absl::Status Add(std::string_view a) {
    if (a.size() >= kChunk) {
      RETURN_IF_ERROR(Flush());
      return out_(a);
    }
    buf_.append(a);
    return buf_.size() >= kChunk ? Flush() : absl::OkStatus();
  }
  absl::Status Flush() {
    if (buf_.empty()) {
      return absl::OkStatus();
    }
    absl::Status s = out_(buf_);
    buf_.clear();
    return s;
  }

 private:
  const DumpOut& out_;
  std::string buf_;
};

std::string_view RequestView(const AmmoFile& file, uint64_t i) {
  std::span<const uint8_t> r = file.Request(i);
  return {reinterpret_cast<const char*>(r.data()), r.size()};
}

}  // namespace

absl::Status DumpPhantom(const AmmoFile& file, uint64_t limit, const DumpOut& out) {
  for (size_t t = 1; t < file.tags().size(); ++t) {
    const std::string& tag = file.tags()[t];
    for (char c : tag) {
      if (IsPySpace(c)) {
        return absl::InvalidArgumentError(
            Cat(file.path(), ": tag '", Excerpt(tag),
                "' contains whitespace, which request-style ammo cannot carry (the tag is one "
                "token); dump it --as stpd"));
      }
    }
  }
  Buffered b(out);
  const uint64_t n = limit == 0 ? file.count() : std::min(limit, file.count());
  std::string header;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view req = RequestView(file, i);
    const std::string& tag = file.tags()[file.Tag(i)];
    header.assign(std::to_string(req.size()));
    if (!tag.empty()) {
      header.append(" ").append(tag);
    }
    header.append("\n");
    RETURN_IF_ERROR(b.Add(header));
    RETURN_IF_ERROR(b.Add(req));
    RETURN_IF_ERROR(b.Add("\n"));
  }
  // Tank stops reading at a zero size (it rewinds there), so this trailer is invisible to it;
  // `incarne ammo compile` takes the source format from it, which makes the round trip exact.
  std::string_view source = file.source_format();
  if (!source.empty() && source != "phantom" && source != "stpd") {
    RETURN_IF_ERROR(b.Add(Cat("0 source_format=", source, "\n")));
  }
  return b.Flush();
}

absl::Status DumpStpd(const AmmoFile& file, uint64_t shots,
                      const std::function<int64_t(uint64_t)>& time_ms, const DumpOut& out) {
  Buffered b(out);
  std::string header;
  for (uint64_t i = 0; i < shots; ++i) {
    uint64_t r = i % file.count();
    std::string_view req = RequestView(file, r);
    header.assign(std::to_string(req.size()))
        .append(" ")
        .append(std::to_string(time_ms(i)))
        .append(" ")
        .append(file.tags()[file.Tag(r)])
        .append("\n");
    RETURN_IF_ERROR(b.Add(header));
    RETURN_IF_ERROR(b.Add(req));
    RETURN_IF_ERROR(b.Add("\n"));
  }
  return b.Flush();
}

}  // namespace incarne
