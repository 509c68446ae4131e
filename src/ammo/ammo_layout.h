// The binary ammo file layout, shared by the writer (ammo_writer.cc) and the reader
// (ammo_file.cc). Documented byte by byte in docs/formats.md "Binary ammo file".
//
//   [0, 4096)                      header (AmmoHeader, zero-padded to one page)
//   [data_offset = 4096, +data_size)  request bytes, contiguous, in record order
//   [index_offset, +16·count)      AmmoIndexEntry per record      (index_offset 8-aligned)
//   [times_offset, +8·count)       i64 planned ns per record      (only with kHasTimes)
//   [tags_offset, +tags_size)      tag table: per tag u16 length + bytes; tag 0 is ""
//   [templates_offset, +templates_size)  templates section (8-aligned; header_size ≥ 144 and
//                                  templates_offset ≠ 0 only: files of older incarnes lack it)
//   [sessions_offset, +sessions_size)    sessions section (8-aligned; header_size ≥ 160 and
//                                  sessions_offset ≠ 0 only)
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
// Meaningful part of the header page: 128 bytes in files written before the templates
// section (read with no section), 144 with the templates section, 160 since the sessions
// section. A reader takes any header_size in [kAmmoHeaderBytesV1, kAmmoPage] and reads
// fields past header_size as 0, so the sections are optional: older readers accept a newer
// file and ignore them (they split templates and read session marks from the source at run
// start, as they always did) and the version stays 1.
inline constexpr uint32_t kAmmoHeaderBytesV1 = 128;
inline constexpr uint32_t kAmmoHeaderBytesTemplates = 144;
inline constexpr uint32_t kAmmoHeaderBytes = 160;

inline constexpr uint32_t kAmmoHasTimes = 1u << 0;  // AmmoHeader::flags

// Per-record flags (AmmoIndexEntry::flags, AmmoFile::Flags).
inline constexpr uint16_t kAmmoFlagHead = 1u << 0;  // request line starts with "HEAD " (any case)
// The request holds "${": it has an entry in the templates section (docs/scenario.md
// "Templates in ammo"). Written only in files that have the section.
inline constexpr uint16_t kAmmoFlagTemplate = 1u << 1;

struct AmmoHeader {
  char magic[8];              //   0 "INCAMMO1"
  uint32_t version;           //   8 kAmmoVersion
  uint32_t header_size;       //  12 kAmmoHeaderBytes
  uint64_t file_size;         //  16 total bytes (detects truncation)
  uint64_t count;             //  24 records
  uint64_t data_offset;       //  32 4096
  uint64_t data_size;         //  40 sum of request lengths
  uint64_t index_offset;      //  48
  uint64_t index_size;        //  56 16 × count
  uint64_t times_offset;      //  64 0 without times
  uint64_t times_size;        //  72 8 × count, or 0
  uint64_t tags_offset;       //  80
  uint64_t tags_size;         //  88
  uint32_t tag_count;         //  96 entries in the tag table (≥ 1: tag 0 = "")
  uint32_t flags;             // 100 kAmmoHasTimes
  uint32_t min_length;        // 104 shortest request
  uint32_t max_length;        // 108 longest request
  char source_format[16];     // 112 "phantom", "uri", ... NUL-padded
  uint64_t templates_offset;  // 128 0: no templates section (header_size 128)
  uint64_t templates_size;    // 136
  uint64_t sessions_offset;   // 144 0: no sessions section (header_size < 160)
  uint64_t sessions_size;     // 152
};
static_assert(sizeof(AmmoHeader) == kAmmoHeaderBytes);

struct AmmoIndexEntry {
  uint64_t offset;  // absolute file offset of the request bytes
  uint32_t length;  // request bytes
  uint16_t tag;     // index into the tag table
  uint16_t flags;   // kAmmoFlag*
};
static_assert(sizeof(AmmoIndexEntry) == 16);

// The templates section: AmmoTemplatesHead, then `records` AmmoTemplateRecord (by increasing
// record), `pieces` AmmoTemplatePiece (record k's are [first_piece, first_piece + pieces),
// back to back in record order), then `names` variable names, each u16 length + bytes, ending
// exactly at templates_size.
struct AmmoTemplatesHead {
  uint64_t records;  // = records flagged kAmmoFlagTemplate
  uint64_t pieces;
  uint32_t names;
  uint32_t reserved;  // 0
};
static_assert(sizeof(AmmoTemplatesHead) == 24);

struct AmmoTemplateRecord {
  uint64_t record;       // index of the record
  uint32_t first_piece;  // its pieces; 0 pieces: the compiler could not split it (a malformed
  uint32_t pieces;       // reference): the run splits its bytes, reporting why
};
static_assert(sizeof(AmmoTemplateRecord) == 16);

// scenario::TemplatePiece::Kind, as stored.
enum class AmmoPieceKind : uint8_t {
  kStatic = 0,         // bytes [offset, offset + len) of the record
  kContentLength = 1,  // the Content-Length digits at [offset, offset + len): the body's size
  kVar = 2,            // ${name}: `name` indexes the section's names
  kInstance = 3,
  kIteration = 4,
  kNowMs = 5,
  kUuid = 6,
  kRandom = 7,  // ${random(lo,hi)}
};
inline constexpr uint8_t kAmmoPieceKinds = 8;

struct AmmoTemplatePiece {
  uint8_t kind;       // AmmoPieceKind
  uint8_t body;       // 1: lies in the body (counts towards Content-Length)
  uint16_t reserved;  // 0
  uint32_t offset;    // kStatic, kContentLength: the span; a reference: where its "${" is
  uint32_t len;       // kStatic, kContentLength; 0 for a reference
  uint32_t name;      // kVar; else 0
  int64_t lo;         // kRandom; else 0
  int64_t hi;
};
static_assert(sizeof(AmmoTemplatePiece) == 32);

// The sessions section (docs/formats.md "Sessions section"; docs/scenario.md "Multi-step
// sessions"): AmmoSessionsHead, then `marks` AmmoSessionMark by increasing record (a record
// with none has no session mark: scenario "", step 0, sleep 0), then `names` scenario names,
// each u16 length + bytes, ending exactly at sessions_size.
struct AmmoSessionsHead {
  uint64_t marks;
  uint32_t names;
  uint32_t reserved;  // 0
};
static_assert(sizeof(AmmoSessionsHead) == 16);

struct AmmoSessionMark {
  uint64_t record;    // index of the record
  uint32_t scenario;  // 0: no "scenario" (then step or sleep is set); k: the k-th name (1-based)
  uint32_t step;      // as written; 0 when absent
  int64_t sleep_ns;   // think time before this step, ≥ 0
};
static_assert(sizeof(AmmoSessionMark) == 24);

inline constexpr uint32_t kAmmoMaxTags = 65536;  // tag ids are u16 (tag 0 = untagged)

}  // namespace incarne
