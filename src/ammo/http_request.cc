#include "ammo/http_request.h"

#include <algorithm>
#include <cstdio>

namespace incarne {

std::string_view StripChars(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) {
    return s.substr(0, 0);
  }
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

std::string_view StripSpace(std::string_view s) {
  return StripChars(s, std::string_view(" \t\n\r\v\f", 6));
}

size_t SplitFields(std::string_view s, std::string_view* fields, size_t max) {
  size_t n = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsPySpace(s[i])) {
      ++i;
    }
    if (i == s.size()) {
      break;
    }
    size_t start = i;
    while (i < s.size() && !IsPySpace(s[i])) {
      ++i;
    }
    if (n < max) {
      fields[n] = s.substr(start, i - start);
    }
    ++n;
  }
  return n;
}

bool ParseDecimal(std::string_view token, uint64_t limit, uint64_t* value) {
  if (token.empty()) {
    return false;
  }
  uint64_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') {
      return false;
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  *value = v;
  return true;
}

bool SplitHeader(std::string_view header, std::string_view* name, std::string_view* value) {
  size_t colon = header.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  *name = StripSpace(header.substr(0, colon));
  *value = StripSpace(header.substr(colon + 1));
  return true;
}

void HeaderSet::Add(std::string_view header) {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), header);
  if (it != sorted_.end() && *it == header) {
    return;
  }
  sorted_.insert(it, std::string(header));
  block_valid_ = false;
}

void HeaderSet::Clear() {
  sorted_.clear();
  block_.clear();
  block_valid_ = true;
}

void HeaderSet::AppendTo(std::string* out, std::string_view extra) const {
  if (extra.empty()) {
    if (!block_valid_) {
      block_.clear();
      for (const std::string& h : sorted_) {
        block_.append(h).append("\r\n");
      }
      block_valid_ = true;
    }
    out->append(block_);
    return;
  }
  bool placed = false;
  for (const std::string& h : sorted_) {
    if (!placed && std::string_view(h) >= extra) {
      if (std::string_view(h) != extra) {
        out->append(extra).append("\r\n");
      }
      placed = true;
    }
    out->append(h).append("\r\n");
  }
  if (!placed) {
    out->append(extra).append("\r\n");
  }
}

void HeaderDict::Set(std::string_view name, std::string_view value) {
  auto it = values_.find(name);
  if (it != values_.end()) {
    if (it->second == value) {
      return;
    }
    it->second.assign(value);
  } else {
    values_.emplace(std::string(name), std::string(value));
  }
  dirty_ = true;
}

const HeaderSet& HeaderDict::set() {
  if (dirty_) {
    set_.Clear();
    std::string line;
    for (const auto& [name, value] : values_) {
      line.assign(name).append(": ").append(value);
      set_.Add(line);
    }
    dirty_ = false;
  }
  return set_;
}

void AppendRequestHead(std::string* out, std::string_view method, std::string_view uri,
                       std::string_view version, const HeaderSet& headers, std::string_view extra) {
  out->append(method).append(" ").append(uri).append(" HTTP/").append(version).append("\r\n");
  headers.AppendTo(out, extra);
  out->append("\r\n");
}

std::string_view ContentLengthHeader(uint64_t n, char* buf) {
  int len = std::snprintf(buf, 40, "Content-Length: %llu", static_cast<unsigned long long>(n));
  return std::string_view(buf, static_cast<size_t>(len));
}

}  // namespace incarne
