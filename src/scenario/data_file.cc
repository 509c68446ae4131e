#include "scenario/data_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "scenario/template.h"
#include "util/strings.h"

namespace incarne::scenario {

absl::StatusOr<DataTable> ParseDataCsv(std::string_view text, std::string_view name,
                                       uint32_t max_value) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  DataTable t;
  std::vector<std::string> row;
  std::string field;
  uint64_t line = 1;
  size_t i = 0;
  auto error = [&](uint64_t at, std::string_view what) {
    return absl::InvalidArgumentError(Cat(name, ":", at, ": ", what));
  };
  while (i < text.size()) {
    const uint64_t row_line = line;
    row.clear();
    // A blank line (LF or CRLF alone) is no row.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    for (;;) {  // one field per pass
      field.clear();
      if (i < text.size() && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= text.size()) {
            return error(row_line, "expected the closing '\"' of a quoted field");
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') {
            ++line;
          }
          field.push_back(text[i++]);
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          return error(line, "expected ',' or the end of the line after a quoted field");
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            return error(line, "expected a quote only around a whole field (\"a\"\"b\")");
          }
          field.push_back(text[i++]);
        }
      }
      row.push_back(field);
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '\r') {
        ++i;
        if (i < text.size() && text[i] != '\n') {
          return error(line, "expected LF after CR");
        }
      }
      if (i < text.size() && text[i] == '\n') {
        ++i;
        ++line;
      }
      break;
    }
    if (t.columns.empty()) {
      for (size_t c = 0; c < row.size(); ++c) {
        if (!IsVarName(row[c])) {
          return error(row_line, Cat("column ", c + 1,
                                     ": expected a variable name (letters, "
                                     "digits, _, not first a digit, at most 64), got ",
                                     Shown(row[c])));
        }
        for (size_t d = 0; d < c; ++d) {
          if (row[d] == row[c]) {
            return error(row_line, Cat("column ", c + 1, ": '", row[c], "' named twice"));
          }
        }
      }
      t.columns = row;
      continue;
    }
    if (row.size() != t.columns.size()) {
      return error(row_line, Cat("expected ", t.columns.size(), " fields (as the header row), got ",
                                 row.size()));
    }
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c].size() > max_value) {
        return error(row_line, Cat("column '", t.columns[c], "': ", row[c].size(),
                                   " bytes, longer than scenario.max_value = ", max_value));
      }
      t.cells.push_back(std::move(row[c]));
    }
  }
  if (t.columns.empty()) {
    return error(1, "expected a header row naming the columns (user,password)");
  }
  if (t.cells.empty()) {
    return error(line, "expected at least one row of values after the header row");
  }
  return t;
}

absl::StatusOr<DataTable> ReadDataCsv(const std::string& path, uint32_t max_value) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(Cat(path, ": cannot open: ", strerror(errno)));
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(Cat(path, ": cannot read"));
  }
  const std::string text = s.str();
  if (text.size() > (size_t{1} << 30)) {
    return absl::InvalidArgumentError(Cat(path, ": larger than 1 GiB"));
  }
  return ParseDataCsv(text, path, max_value);
}

}  // namespace incarne::scenario
