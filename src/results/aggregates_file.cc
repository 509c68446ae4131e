#include "results/aggregates_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "results/criteria.h"
#include "results/hits_file.h"
#include "util/status.h"

namespace incarne {
namespace {

void EncodeCodes(const CodeCounts& c, std::string* out) {
  const auto sorted = c.Sorted();
  AppendVarint(out, sorted.size());
  for (const auto& [code, n] : sorted) {
    AppendVarint(out, code);
    AppendVarint(out, n);
  }
}

absl::Status DecodeCodes(std::string_view* in, CodeCounts* c) {
  uint64_t n;
  if (!ReadVarint(in, &n) || n > 65536) {
    return absl::InvalidArgumentError("corrupt code counts");
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t code, count;
    if (!ReadVarint(in, &code) || !ReadVarint(in, &count) || code > 0xffff) {
      return absl::InvalidArgumentError("corrupt code counts");
    }
    c->Add(static_cast<uint16_t>(code), count);
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeStats(const Stats& s, std::string* out) {
  for (uint64_t v : {s.hits, s.errors, s.net_errors, s.bytes_out, s.bytes_in, s.connect_ns,
                     s.send_ns, s.latency_ns, s.receive_ns, s.min_start, s.max_done}) {
    AppendVarint(out, v);
  }
  EncodeCodes(s.proto_codes, out);
  EncodeCodes(s.net_codes, out);
  s.latency.AppendEncoded(out);
  s.service.AppendEncoded(out);
  s.lag.AppendEncoded(out);
}

absl::Status DecodeStats(std::string_view* in, Stats* s) {
  s->Clear();
  uint64_t* fields[] = {&s->hits,       &s->errors,     &s->net_errors, &s->bytes_out,
                        &s->bytes_in,   &s->connect_ns, &s->send_ns,    &s->latency_ns,
                        &s->receive_ns, &s->min_start,  &s->max_done};
  for (uint64_t* f : fields) {
    if (!ReadVarint(in, f)) {
      return absl::InvalidArgumentError("truncated stats");
    }
  }
  if (s->errors > s->hits || s->net_errors > s->errors) {
    return absl::InvalidArgumentError("errors exceed hits");
  }
  RETURN_IF_ERROR(DecodeCodes(in, &s->proto_codes));
  RETURN_IF_ERROR(DecodeCodes(in, &s->net_codes));
  RETURN_IF_ERROR(s->latency.DecodeFrom(in));
  RETURN_IF_ERROR(s->service.DecodeFrom(in));
  RETURN_IF_ERROR(s->lag.DecodeFrom(in));
  return absl::OkStatus();
}

std::string EncodeSecondBlock(const SecondStats& s) {
  std::string payload;
  AppendVarint(&payload, ZigZag(s.second));
  for (uint64_t v : {s.planned, s.sent, s.inflight_max, s.ring_dropped, s.late}) {
    AppendVarint(&payload, v);
  }
  uint64_t entries = 0;
  for (const Stats* t : s.tags) {
    entries += (t != nullptr && t->hits > 0) ? 1 : 0;
  }
  AppendVarint(&payload, entries);
  for (size_t i = 0; i < s.tags.size(); ++i) {
    if (s.tags[i] != nullptr && s.tags[i]->hits > 0) {
      AppendVarint(&payload, i);
      EncodeStats(*s.tags[i], &payload);
    }
  }
  // Optional trailing field: only a second with a stall has it, so runs without one stay
  // readable by readers that predate it.
  if (s.ring_wait_ns != 0) {
    AppendVarint(&payload, s.ring_wait_ns);
  }
  std::string out;
  const uint32_t len = static_cast<uint32_t>(payload.size());
  const uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
  out.append(reinterpret_cast<const char*>(&len), 4);
  out.append(payload);
  out.append(reinterpret_cast<const char*>(&crc), 4);
  return out;
}

absl::StatusOr<AggregatesReader> AggregatesReader::Open(const std::string& path) {
  AggregatesReader r;
  r.name_ = path;
  ASSIGN_OR_RETURN(r.map_, MappedFile::Open(path, MappedFile::Access::kPopulate));
  RETURN_IF_ERROR(r.ReadHeader());
  return r;
}

absl::StatusOr<AggregatesReader> AggregatesReader::FromBytes(std::string bytes, std::string name) {
  AggregatesReader r;
  r.name_ = std::move(name);
  r.owned_ = std::move(bytes);
  RETURN_IF_ERROR(r.ReadHeader());
  return r;
}

absl::Status AggregatesReader::ReadHeader() {
  size_t hsize = 0;
  ASSIGN_OR_RETURN(meta_, DecodeRunHeader(bytes(), kAggrMagic, name_, &hsize));
  pos_ = hsize;
  storage_.resize(meta_.tags.size());
  return absl::OkStatus();
}

int64_t AggregatesReader::ScanLastSecond() const {
  const std::string_view all = bytes();
  int64_t last = 0;
  size_t pos = pos_;
  while (all.size() - pos >= 4) {
    uint32_t len;
    std::memcpy(&len, all.data() + pos, 4);
    if (all.size() - pos - 4 < static_cast<uint64_t>(len) + 4) {
      break;
    }
    std::string_view payload(all.data() + pos + 4, len);
    uint64_t zz;
    if (ReadVarint(&payload, &zz)) {
      last = std::max(last, UnZigZag(zz));
    }
    pos += 8 + static_cast<size_t>(len);
  }
  return last;
}

absl::StatusOr<bool> AggregatesReader::Next(SecondStats* out) { return Read(out, nullptr); }

absl::StatusOr<bool> AggregatesReader::NextEach(
    SecondStats* out, absl::FunctionRef<void(size_t tag, const Stats& s)> per_tag) {
  return Read(out, &per_tag);
}

absl::StatusOr<bool> AggregatesReader::Read(
    SecondStats* out, absl::FunctionRef<void(size_t tag, const Stats& s)>* per_tag) {
  const std::string_view all = bytes();
  if (pos_ >= all.size()) {
    return false;
  }
  const size_t block_at = pos_;
  auto truncated = [&](size_t have) {
    warning_ = absl::StrCat(name_, ": truncated last block at byte offset ", block_at, " (", have,
                            " bytes; a crashed run?) — ignored");
    pos_ = all.size();
    return false;
  };
  if (all.size() - pos_ < 4) {
    return truncated(all.size() - pos_);
  }
  uint32_t len;
  std::memcpy(&len, all.data() + pos_, 4);
  if (all.size() - pos_ - 4 < static_cast<uint64_t>(len) + 4) {
    return truncated(all.size() - pos_);
  }
  std::string_view payload(all.data() + pos_ + 4, len);
  uint32_t crc;
  std::memcpy(&crc, all.data() + pos_ + 4 + len, 4);
  pos_ += 8 + static_cast<size_t>(len);
  auto corrupt = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_, ": corrupt block at byte offset ", block_at, ": ", std::string(what)));
  };
  if (crc != static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(payload.data()),
                                         static_cast<uInt>(payload.size())))) {
    return corrupt("CRC mismatch");
  }
  uint64_t zz;
  if (!ReadVarint(&payload, &zz)) {
    return corrupt("truncated second");
  }
  out->second = UnZigZag(zz);
  if (have_last_ && out->second <= last_second_) {
    return corrupt(absl::StrCat("second ", out->second, " after ", last_second_));
  }
  have_last_ = true;
  last_second_ = out->second;
  out->unix_ns = meta_.origin_realtime_ns + out->second * int64_t{1000000000};
  for (uint64_t* f :
       {&out->planned, &out->sent, &out->inflight_max, &out->ring_dropped, &out->late}) {
    if (!ReadVarint(&payload, f)) {
      return corrupt("truncated counters");
    }
  }
  uint64_t entries;
  if (!ReadVarint(&payload, &entries) || entries > storage_.size()) {
    return corrupt("bad tag entry count");
  }
  if (per_tag == nullptr) {
    out->tags.assign(storage_.size(), nullptr);
  } else {
    out->tags.clear();
    if (scratch_ == nullptr) {
      scratch_ = std::make_unique<Stats>();
    }
  }
  out->overall.Clear();
  uint64_t prev = 0;
  for (uint64_t e = 0; e < entries; ++e) {
    uint64_t tag;
    if (!ReadVarint(&payload, &tag) || tag >= storage_.size() || (e > 0 && tag <= prev)) {
      return corrupt("bad tag id");
    }
    prev = tag;
    Stats* stats = scratch_.get();
    if (per_tag == nullptr) {
      if (storage_[tag] == nullptr) {
        storage_[tag] = std::make_unique<Stats>();
      }
      stats = storage_[tag].get();
    }
    absl::Status st = DecodeStats(&payload, stats);
    if (!st.ok()) {
      return corrupt(std::string(st.message()));
    }
    out->overall.Merge(*stats);
    if (per_tag == nullptr) {
      out->tags[tag] = stats;
    } else {
      (*per_tag)(tag, *stats);
    }
  }
  out->ring_wait_ns = 0;
  if (!payload.empty() && !ReadVarint(&payload, &out->ring_wait_ns)) {
    return corrupt("truncated ring wait");
  }
  if (!payload.empty()) {
    return corrupt("trailing bytes");
  }
  return true;
}

void AddSecondToSummary(const SecondStats& s, RunSummary* sum) {
  if (sum->tags.size() < s.tags.size()) {
    sum->tags.resize(s.tags.size());
  }
  for (size_t i = 0; i < s.tags.size(); ++i) {
    if (s.tags[i] != nullptr) {
      sum->tags[i].mut().Merge(*s.tags[i]);
    }
  }
  sum->overall.Merge(s.overall);
  sum->planned += s.planned;
  sum->sent += s.sent;
  sum->inflight_max = std::max(sum->inflight_max, s.inflight_max);
  sum->ring_dropped += s.ring_dropped;
  sum->late += s.late;
  sum->ring_wait_ns += s.ring_wait_ns;
  ++sum->seconds;
}

absl::StatusOr<RunSummary> LoadRunSummary(const std::string& run_dir,
                                          std::vector<std::string>* warnings) {
  struct stat st;
  if (stat(run_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat(run_dir, ": not a run directory"));
  }
  const std::string agg_path = run_dir + "/aggregates";
  auto reader = AggregatesReader::Open(agg_path);
  if (!reader.ok()) {
    if (absl::IsNotFound(reader.status())) {
      return absl::NotFoundError(
          absl::StrCat(agg_path, ": no such file (is ", run_dir, " an incarne run directory?)"));
    }
    return reader.status();
  }
  RunSummary sum;
  sum.meta = reader->meta();
  sum.tags.resize(sum.meta.tags.size());
  SecondStats s;
  auto add_tag = [&sum](size_t tag, const Stats& t) { sum.tags[tag].mut().Merge(t); };
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->NextEach(&s, add_tag));
    if (!more) {
      break;
    }
    AddSecondToSummary(s, &sum);  // the tags are in already: s.tags is empty
  }
  if (warnings != nullptr && !reader->warning().empty()) {
    warnings->push_back(reader->warning());
  }
  absl::StatusOr<std::optional<AutostopVerdict>> autostop = ReadAutostopReport(run_dir);
  if (autostop.ok()) {
    sum.autostop = std::move(*autostop);
  } else if (warnings != nullptr) {
    warnings->push_back(std::string(autostop.status().message()));
  }
  auto hits = HitsFile::Open(run_dir + "/hits");
  if (hits.ok()) {
    sum.hits_written = hits->view().records().size();
    if (warnings != nullptr && !hits->view().warning().empty()) {
      warnings->push_back(hits->view().warning());
    }
  } else if (!absl::IsNotFound(hits.status()) && warnings != nullptr) {
    warnings->push_back(std::string(hits.status().message()));
  }
  return sum;
}

}  // namespace incarne
