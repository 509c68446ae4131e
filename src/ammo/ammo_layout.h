// The binary ammo file layout, shared by the writer (ammo_writer.cc) and the reader
// (ammo_file.cc). Documented byte by byte in docs/formats.md "Binary ammo file".
//
//   [0, 4096)                      header (AmmoHeader, zero-padded to one page)
//   [data_offset = 4096, +data_size)  request bytes, contiguous, in record order
//   [index_offset, +16·count)      AmmoIndexEntry per record      (index_offset 8-aligned)
//   [times_offset, +8·count)       i64 planned ns per record      (only with kHasTimes)
//   [tags_offset, +tags_size)      tag table: per tag u16 length + bytes; tag 0 is ""
//   file_size                      end of file
//
// Data first, metadata after: the compiler streams requests straight into place and appends
// the (spilled) index at the end, so nothing proportional to the input is held in memory.
#pragma once

#include <bit>
#include <cstdint>

namespace incarne {

static_assert(std::endian::native == std::endian::little,
              "the ammo file is little-endian and mapped directly");

inline constexpr char kAmmoMagic[8] = {'I', 'N', 'C', 'A', 'M', 'M', 'O', '1'};
inline constexpr uint32_t kAmmoVersion = 1;
inline constexpr uint64_t kAmmoPage = 4096;
inline constexpr uint32_t kAmmoHeaderBytes = 128;  // meaningful part of the header page

inline constexpr uint32_t kAmmoHasTimes = 1u << 0;  // AmmoHeader::flags

// Per-record flags (AmmoIndexEntry::flags, AmmoFile::Flags).
inline constexpr uint16_t kAmmoFlagHead = 1u << 0;  // request line starts with "HEAD " (any case)

struct AmmoHeader {
  char magic[8];           //   0 "INCAMMO1"
  uint32_t version;        //   8 kAmmoVersion
  uint32_t header_size;    //  12 kAmmoHeaderBytes
  uint64_t file_size;      //  16 total bytes (detects truncation)
  uint64_t count;          //  24 records
  uint64_t data_offset;    //  32 4096
  uint64_t data_size;      //  40 sum of request lengths
  uint64_t index_offset;   //  48
  uint64_t index_size;     //  56 16 × count
  uint64_t times_offset;   //  64 0 without times
  uint64_t times_size;     //  72 8 × count, or 0
  uint64_t tags_offset;    //  80
  uint64_t tags_size;      //  88
  uint32_t tag_count;      //  96 entries in the tag table (≥ 1: tag 0 = "")
  uint32_t flags;          // 100 kAmmoHasTimes
  uint32_t min_length;     // 104 shortest request
  uint32_t max_length;     // 108 longest request
  char source_format[16];  // 112 "phantom", "uri", ... NUL-padded
};
static_assert(sizeof(AmmoHeader) == kAmmoHeaderBytes);

struct AmmoIndexEntry {
  uint64_t offset;  // absolute file offset of the request bytes
  uint32_t length;  // request bytes
  uint16_t tag;     // index into the tag table
  uint16_t flags;   // kAmmoFlag*
};
static_assert(sizeof(AmmoIndexEntry) == 16);

inline constexpr uint32_t kAmmoMaxTags = 65536;  // tag ids are u16 (tag 0 = untagged)

}  // namespace incarne
