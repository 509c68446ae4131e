#include "scenario/jsonpath.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "util/strings.h"

namespace incarne::scenario {
namespace {

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

bool NameByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '$' || c >= 0x80;
}

// One reference token of a JSON pointer ('~' → "~0", '/' → "~1").
void AppendToken(std::string* out, std::string_view token) {
  out->push_back('/');
  for (char c : token) {
    if (c == '~') {
      out->append("~0");
    } else if (c == '/') {
      out->append("~1");
    } else {
      out->push_back(c);
    }
  }
}

absl::Status At(size_t i, std::string_view what) {
  return absl::InvalidArgumentError(Cat("column ", i + 1, ": expected ", what));
}

}  // namespace

absl::StatusOr<std::string> JsonPathToPointer(std::string_view path) {
  if (path.empty() || path[0] != '$') {
    return At(0, "a JSON path starting with $, e.g. \"$.access_token\"");
  }
  std::string out;
  size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && NameByte(static_cast<unsigned char>(path[j]))) {
        ++j;
      }
      if (j == i + 1) {
        return At(i + 1, "a member name after '.' (letters, digits, _, -; else ['any name'])");
      }
      AppendToken(&out, path.substr(i + 1, j - i - 1));
      i = j;
    } else if (path[i] == '[') {
      if (i + 1 < path.size() && (path[i + 1] == '\'' || path[i + 1] == '"')) {
        const char q = path[i + 1];
        std::string name;
        size_t j = i + 2;
        for (; j < path.size() && path[j] != q; ++j) {
          if (path[j] == '\\' && j + 1 < path.size()) {
            ++j;
          }
          name.push_back(path[j]);
        }
        if (j >= path.size()) {
          return At(path.size(), Cat("the closing ", std::string(1, q), " of the member name"));
        }
        if (j + 1 >= path.size() || path[j + 1] != ']') {
          return At(j + 1, "']' after the member name");
        }
        AppendToken(&out, name);
        i = j + 2;
      } else {
        size_t j = i + 1;
        while (j < path.size() && path[j] >= '0' && path[j] <= '9') {
          ++j;
        }
        if (j == i + 1 || j - i - 1 > 9) {
          return At(i + 1, "an array index (0..999999999) or a quoted member name in [...]");
        }
        if (j >= path.size() || path[j] != ']') {
          return At(j, "']' after the array index");
        }
        std::string_view digits = path.substr(i + 1, j - i - 1);
        if (digits.size() > 1 && digits[0] == '0') {
          return At(i + 1, "an array index without leading zeros");
        }
        AppendToken(&out, digits);
        i = j + 1;
      }
    } else {
      return At(i,
                "'.name', '[N]' or '[\\'name\\']' (filters, wildcards and '..' are not "
                "supported)");
    }
  }
  return out;
}

struct JsonReader::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  bool parsed = false;
  uint32_t capacity = 0;
};

JsonReader::JsonReader() : impl_(std::make_unique<Impl>()) {}
JsonReader::~JsonReader() = default;

absl::Status JsonReader::Init(uint32_t capacity) {
  if (impl_->parser.allocate(capacity) != simdjson::SUCCESS) {
    return absl::ResourceExhaustedError(
        Cat("cannot allocate a JSON parser for ", capacity, " bytes"));
  }
  impl_->capacity = capacity;
  return absl::OkStatus();
}

bool JsonReader::Parse(const char* json, uint32_t len) {
  impl_->parsed = false;
  if (len > impl_->capacity) {
    return false;
  }
  auto r = impl_->parser.parse(json, len, /*realloc_if_needed=*/false);
  if (r.error() != simdjson::SUCCESS) {
    return false;
  }
  impl_->doc = r.value_unsafe();
  impl_->parsed = true;
  return true;
}

int64_t JsonReader::Get(std::string_view pointer, char* out, uint32_t cap) {
  if (!impl_->parsed) {
    return -1;
  }
  auto r = impl_->doc.at_pointer(pointer);
  if (r.error() != simdjson::SUCCESS) {
    return -1;
  }
  const simdjson::dom::element e = r.value_unsafe();
  std::string_view text;
  char num[32];
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      text = e.get_string().value_unsafe();
      break;
    case simdjson::dom::element_type::INT64: {
      auto [end, ec] = std::to_chars(num, num + sizeof(num), e.get_int64().value_unsafe());
      text = std::string_view(num, static_cast<size_t>(end - num));
      break;
    }
    case simdjson::dom::element_type::UINT64: {
      auto [end, ec] = std::to_chars(num, num + sizeof(num), e.get_uint64().value_unsafe());
      text = std::string_view(num, static_cast<size_t>(end - num));
      break;
    }
    case simdjson::dom::element_type::DOUBLE: {
      auto [end, ec] = std::to_chars(num, num + sizeof(num), e.get_double().value_unsafe());
      text = std::string_view(num, static_cast<size_t>(end - num));
      break;
    }
    case simdjson::dom::element_type::BOOL:
      text = e.get_bool().value_unsafe() ? "true" : "false";
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      text = "null";
      break;
    default:
      return -1;  // an object or an array
  }
  if (text.size() > cap) {
    return -2;
  }
  memcpy(out, text.data(), text.size());
  return static_cast<int64_t>(text.size());
}

}  // namespace incarne::scenario
