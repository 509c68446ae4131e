// `[scenario.data] file = "users.csv"` (docs/scenario.md "Data files"): a CSV whose header row
// names variables and whose rows give them values, one row per instance or the next row per
// session (`rows`). Read whole at start (control plane); the worker copies a row's cells into
// the instance's variable store at a session's start (a memcpy per column, no allocation).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace incarne::scenario {

struct DataTable {
  std::vector<std::string> columns;  // variable names, in file order
  std::vector<std::string> cells;    // row-major: row r, column c at r * columns.size() + c
  size_t rows() const { return columns.empty() ? 0 : cells.size() / columns.size(); }
  std::string_view Cell(size_t r, size_t c) const { return cells[r * columns.size() + c]; }
};

// Parses CSV text (RFC 4180: ',' separated, '"' quoted fields with "" for a quote, CRLF or LF
// line ends; a UTF-8 BOM skipped). The first row names the columns: variable names (letters,
// digits, _, not first a digit, at most 64 bytes), distinct. Every other row has as many
// fields (a blank line is skipped); a value longer than `max_value` is an error. Errors are
// InvalidArgument "<name>:<line>: expected ..." (line 1-based).
absl::StatusOr<DataTable> ParseDataCsv(std::string_view text, std::string_view name,
                                       uint32_t max_value);

// Reads `path` (at most 1 GiB) and parses it as above; NotFound/InvalidArgument naming it.
absl::StatusOr<DataTable> ReadDataCsv(const std::string& path, uint32_t max_value);

}  // namespace incarne::scenario
