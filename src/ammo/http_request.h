// How Yandex.Tank builds an HTTP request from a URI-style line (missile.HttpAmmo.to_s), and
// the byte-level text helpers the readers share (Python's bytes.split()/strip() rules).
//
// A request is `<METHOD> <uri> HTTP/<version>\r\n`, then every header of the set as
// `Name: value\r\n` sorted by the whole string in byte order (so "Host" sorts before "host"),
// each distinct string once, then `\r\n`, then the body. `Content-Length: <n>` joins the set
// only when the body is not empty. Nothing is added implicitly (no Host).
// Control plane; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace incarne {

// Python's bytes whitespace: space, \t, \n, \r, \v, \f.
inline bool IsPySpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Strips every byte found in `chars` from both ends (Python bytes.strip(chars)).
std::string_view StripChars(std::string_view s, std::string_view chars);
// Strips Python whitespace from both ends (bytes.strip()).
std::string_view StripSpace(std::string_view s);
// bytes.split(): fills up to `max` fields split on runs of whitespace; returns how many
// fields the line has in total (may exceed `max`).
size_t SplitFields(std::string_view s, std::string_view* fields, size_t max);
// A request size or time: one or more ASCII digits, value ≤ `limit`. False otherwise.
bool ParseDecimal(std::string_view token, uint64_t limit, uint64_t* value);

// "Name: value" split at the first ':' with both halves stripped (Tank's header parsing).
// False when there is no ':'.
bool SplitHeader(std::string_view header, std::string_view* name, std::string_view* value);

// Tank's `set` of header strings.
class HeaderSet {
 public:
  void Add(std::string_view header);
  void Clear();
  bool empty() const { return sorted_.empty(); }
  const std::vector<std::string>& sorted() const { return sorted_; }
  // Appends every header as "h\r\n" in order, with `extra` (if not empty) merged into its
  // sorted place unless an identical string is already in the set.
  void AppendTo(std::string* out, std::string_view extra = {}) const;

 private:
  std::vector<std::string> sorted_;
  // All of sorted_ as "h\r\n..." (the common case, no extra), built on first use.
  mutable std::string block_;
  mutable bool block_valid_ = true;
};

// The header state of uri/uripost files: one value per exact (case-sensitive) name, later
// definitions replacing earlier ones; seen as a HeaderSet of "name: value".
class HeaderDict {
 public:
  void Set(std::string_view name, std::string_view value);
  const HeaderSet& set();

 private:
  std::map<std::string, std::string, std::less<>> values_;
  HeaderSet set_;
  bool dirty_ = true;
};

// Appends `<method> <uri> HTTP/<version>\r\n` + headers (+ `extra`) + `\r\n` to `out`.
void AppendRequestHead(std::string* out, std::string_view method, std::string_view uri,
                       std::string_view version, const HeaderSet& headers,
                       std::string_view extra = {});

// "Content-Length: <n>" into `buf` (at least 40 bytes); returns the view.
std::string_view ContentLengthHeader(uint64_t n, char* buf);

}  // namespace incarne
