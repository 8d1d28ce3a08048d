#include "core/row_sharding.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strads::core {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the shard encoding is little-endian and written with memcpy");

// Layout: magic[8] "STRADSH1", u32 version, u32 reserved (0), i64 rows, i64 cols, i64 nnz,
// f64 y[rows], i64 col_ptr[cols + 1], i32 row_idx[nnz], f64 values[nnz], u64 checksum of every
// preceding byte.
constexpr char kMagic[8] = {'S', 'T', 'R', 'A', 'D', 'S', 'H', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8 + 8;

// A word-at-a-time hash: fast enough (several GB/s) to run over every shard, and any corrupted
// value changes it, which range checks alone would miss.
uint64_t Checksum(std::string_view bytes) {
  uint64_t h = 0x243F6A8885A308D3ull ^ bytes.size();
  const char* p = bytes.data();
  size_t n = bytes.size();
  auto mix = [&h](uint64_t w) { h = std::rotl(h ^ w, 29) * 0x9E3779B97F4A7C15ull; };
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    mix(w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  mix(tail);
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  h ^= h >> 32;
  return h;
}

template <typename T>
void Put(std::string* out, const T& v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
void PutArray(std::string* out, const std::vector<T>& v) {
  out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Reads from a byte range that has already been checked to be large enough.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : p_(bytes.data()) {}
  template <typename T>
  T Get() {
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  template <typename T>
  void GetArray(std::vector<T>* v, size_t n) {
    v->resize(n);
    if (n > 0) std::memcpy(v->data(), p_, n * sizeof(T));
    p_ += n * sizeof(T);
  }

 private:
  const char* p_;
};

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("shard bytes are corrupt: ", what));
}

}  // namespace

std::vector<RowRange> SplitRowsByNnz(const CscMatrix& x, int num_shards) {
  std::vector<RowRange> ranges;
  if (num_shards <= 0) return ranges;
  const int64_t rows = x.rows;
  const int64_t n = num_shards;

  // prefix[i] = non-zeros in rows [0, i). With no non-zeros at all, rows are split evenly.
  std::vector<int64_t> prefix(static_cast<size_t>(rows) + 1, 0);
  if (x.nnz() > 0) {
    for (int32_t r : x.row_idx) ++prefix[r + 1];
  } else {
    std::fill(prefix.begin() + 1, prefix.end(), 1);
  }
  for (int64_t i = 0; i < rows; ++i) prefix[i + 1] += prefix[i];
  const int64_t total = prefix[rows];

  ranges.resize(static_cast<size_t>(num_shards));
  int64_t begin = 0;
  for (int64_t s = 0; s < n; ++s) {
    int64_t end;
    if (s == n - 1) {
      end = rows;
    } else if (rows < n) {
      end = std::min<int64_t>(s + 1, rows);  // one row each, then empty trailing ranges
    } else {
      // The boundary whose prefix is closest to the ideal cut keeps each shard within one row's
      // non-zeros of the mean; the clamp leaves at least one row for this and every later shard.
      const double target = static_cast<double>(total) * static_cast<double>(s + 1) / n;
      const int64_t lo = begin + 1, hi = rows - (n - s - 1);
      auto it = std::lower_bound(prefix.begin() + lo, prefix.begin() + hi + 1, target,
                                 [](int64_t a, double t) { return static_cast<double>(a) < t; });
      end = it - prefix.begin();
      if (end > hi) end = hi;
      if (end > lo && target - prefix[end - 1] < prefix[end] - target) --end;
    }
    ranges[s] = {begin, end};
    begin = end;
  }
  return ranges;
}

LabeledData SliceRows(const LabeledData& data, RowRange range) {
  const CscMatrix& x = data.x;
  const int64_t begin = std::clamp<int64_t>(range.begin, 0, x.rows);
  const int64_t end = std::clamp<int64_t>(range.end, begin, x.rows);
  LabeledData out;
  out.x.rows = end - begin;
  out.x.cols = x.cols;
  out.x.col_ptr.assign(static_cast<size_t>(x.cols) + 1, 0);
  // Two passes (count, then copy) so the output arrays are allocated once at their final size.
  std::vector<int64_t> first(static_cast<size_t>(x.cols));
  int64_t nnz = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    const auto rows = x.ColRows(j);
    const auto b = std::lower_bound(rows.begin(), rows.end(), begin);
    const auto e = std::lower_bound(b, rows.end(), end);
    first[j] = x.col_ptr[j] + (b - rows.begin());
    nnz += e - b;
    out.x.col_ptr[j + 1] = nnz;
  }
  out.x.row_idx.resize(static_cast<size_t>(nnz));
  out.x.values.resize(static_cast<size_t>(nnz));
  for (int64_t j = 0; j < x.cols; ++j) {
    const int64_t len = out.x.col_ptr[j + 1] - out.x.col_ptr[j];
    for (int64_t t = 0; t < len; ++t) {
      out.x.row_idx[out.x.col_ptr[j] + t] = static_cast<int32_t>(x.row_idx[first[j] + t] - begin);
      out.x.values[out.x.col_ptr[j] + t] = x.values[first[j] + t];
    }
  }
  out.y.assign(data.y.begin() + std::min<int64_t>(begin, data.y.size()),
               data.y.begin() + std::min<int64_t>(end, data.y.size()));
  return out;
}

std::string EncodeShard(const LabeledData& shard) {
  const CscMatrix& x = shard.x;
  std::string out;
  out.reserve(kHeaderBytes + shard.y.size() * 8 + x.col_ptr.size() * 8 + x.row_idx.size() * 4 +
              x.values.size() * 8 + 8);
  out.append(kMagic, sizeof(kMagic));
  Put(&out, kVersion);
  Put(&out, uint32_t{0});
  Put(&out, x.rows);
  Put(&out, x.cols);
  Put(&out, x.nnz());
  PutArray(&out, shard.y);
  PutArray(&out, x.col_ptr);
  PutArray(&out, x.row_idx);
  PutArray(&out, x.values);
  Put(&out, Checksum(out));
  return out;
}

absl::StatusOr<LabeledData> DecodeShard(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes + 8) {
    return Corrupt(absl::StrCat("only ", bytes.size(), " bytes, shorter than the header"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return Corrupt("not a STRADS shard (bad magic)");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  uint64_t stored_sum;
  std::memcpy(&stored_sum, bytes.data() + body.size(), 8);

  Cursor in(body.substr(sizeof(kMagic)));
  const auto version = in.Get<uint32_t>();
  const auto reserved = in.Get<uint32_t>();
  const auto rows = in.Get<int64_t>();
  const auto cols = in.Get<int64_t>();
  const auto nnz = in.Get<int64_t>();
  if (version != kVersion) {
    return Corrupt(absl::StrCat("version ", version, ", expected ", kVersion));
  }
  if (reserved != 0) return Corrupt("reserved header field is not 0");
  if (rows < 0 || rows > std::numeric_limits<int32_t>::max() || cols < 0 || nnz < 0) {
    return Corrupt(absl::StrCat("bad shape ", rows, " x ", cols, " with ", nnz, " non-zeros"));
  }
  // Compare counts against the bytes present before multiplying, so no product can overflow.
  const uint64_t avail = body.size() - kHeaderBytes;
  const uint64_t urows = rows, ucols = cols, unnz = nnz;
  if (urows > avail / 8 || ucols >= avail / 8 || unnz > avail / 12 ||
      urows * 8 + (ucols + 1) * 8 + unnz * 12 != avail) {
    return Corrupt(absl::StrCat("size ", bytes.size(), " does not match a ", rows, " x ", cols,
                                " shard with ", nnz, " non-zeros (truncated?)"));
  }
  if (Checksum(body) != stored_sum) return Corrupt("checksum mismatch");

  LabeledData out;
  CscMatrix& x = out.x;
  x.rows = rows;
  x.cols = cols;
  in.GetArray(&out.y, urows);
  in.GetArray(&x.col_ptr, ucols + 1);
  in.GetArray(&x.row_idx, unnz);
  in.GetArray(&x.values, unnz);

  // The checksum catches accidents; these checks keep a forged shard from breaking invariants
  // that later code indexes by without checking.
  if (x.col_ptr[0] != 0 || x.col_ptr[cols] != nnz) return Corrupt("column pointers");
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t b = x.col_ptr[j], e = x.col_ptr[j + 1];
    if (e < b || e > nnz) return Corrupt(absl::StrCat("column pointers at column ", j));
    for (int64_t p = b; p < e; ++p) {
      const int32_t r = x.row_idx[p];
      if (r < 0 || r >= rows || (p > b && r <= x.row_idx[p - 1])) {
        return Corrupt(absl::StrCat("row indices of column ", j));
      }
    }
  }
  for (double v : out.y) {
    if (!std::isfinite(v)) return Corrupt("non-finite label");
  }
  for (double v : x.values) {
    if (!std::isfinite(v)) return Corrupt("non-finite value");
  }
  return out;
}

}  // namespace strads::core
