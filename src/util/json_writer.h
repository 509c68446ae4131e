// A tiny JSON writer (no JSON library on the build machines): objects, arrays, strings with
// escaping, integers and finite doubles. Commas are placed automatically. Control plane only.
//
//   JsonWriter j;  j.BeginObject();  j.Key("hits");  j.Uint(5);  j.EndObject();  j.str()
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace incarne {

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view k);
  void String(std::string_view s);
  void Uint(uint64_t v);
  void Int(int64_t v);
  // Shortest round-trippable up to `decimals` fractional digits (trailing zeros trimmed);
  // non-finite values are written as null.
  void Double(double v, int decimals = 3);
  void Bool(bool b);
  void Null();

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

  static void AppendEscaped(std::string* out, std::string_view s);

 private:
  void Open(char c);
  void Close(char c);
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace incarne
