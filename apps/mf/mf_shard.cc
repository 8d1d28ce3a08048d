#include "apps/mf/mf_shard.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_protocol.h"

namespace strads::mf {
namespace {

template <typename T>
void AppendRaw(std::string* out, const T* data, size_t count) {
  out->append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

template <typename T>
bool ReadRaw(std::string_view* in, T* data, size_t count) {
  const size_t bytes = count * sizeof(T);
  if (in->size() < bytes) return false;
  if (bytes > 0) std::memcpy(data, in->data(), bytes);
  in->remove_prefix(bytes);
  return true;
}

int64_t BlockNnz(const RatingsCsr& m, int64_t begin, int64_t end) {
  return m.ptr[end] - m.ptr[begin];
}

// Row pointers relative to the block's first row, then columns, then values.
void AppendBlock(std::string* out, const RatingsCsr& m, int64_t begin, int64_t end) {
  const int64_t base = m.ptr[begin];
  for (int64_t r = begin; r <= end; ++r) {
    const int64_t relative = m.ptr[r] - base;
    AppendRaw(out, &relative, 1);
  }
  AppendRaw(out, m.idx.data() + base, static_cast<size_t>(BlockNnz(m, begin, end)));
  AppendRaw(out, m.values.data() + base, static_cast<size_t>(BlockNnz(m, begin, end)));
}

absl::Status CorruptShard(const char* why) {
  return absl::DataLossError(absl::StrCat("mf shard is corrupt: ", why));
}

absl::Status ReadBlock(std::string_view* in, int64_t rows, int64_t cols, int64_t nnz,
                       RatingsCsr* m) {
  m->rows = rows;
  m->cols = cols;
  m->ptr.resize(static_cast<size_t>(rows + 1));
  m->idx.resize(static_cast<size_t>(nnz));
  m->values.resize(static_cast<size_t>(nnz));
  if (!ReadRaw(in, m->ptr.data(), m->ptr.size()) || !ReadRaw(in, m->idx.data(), m->idx.size()) ||
      !ReadRaw(in, m->values.data(), m->values.size())) {
    return CorruptShard("truncated");
  }
  if (m->ptr[0] != 0 || m->ptr[rows] != nnz) return CorruptShard("row pointers out of range");
  for (int64_t r = 0; r < rows; ++r) {
    if (m->ptr[r + 1] < m->ptr[r]) return CorruptShard("row pointers decrease");
  }
  for (int32_t c : m->idx) {
    if (c < 0 || c >= cols) return CorruptShard("column index out of range");
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeShard(const RatingsCsr& by_user, int64_t user_begin, int64_t user_end,
                        const RatingsCsr& by_item, int64_t item_begin, int64_t item_end) {
  const int64_t header[8] = {by_user.rows,
                             by_item.rows,
                             user_begin,
                             user_end,
                             item_begin,
                             item_end,
                             BlockNnz(by_user, user_begin, user_end),
                             BlockNnz(by_item, item_begin, item_end)};
  std::string out;
  out.reserve(sizeof(kShardMagic) + sizeof(header) +
              static_cast<size_t>(user_end - user_begin + item_end - item_begin + 2) *
                  sizeof(int64_t) +
              static_cast<size_t>(header[6] + header[7]) * (sizeof(int32_t) + sizeof(double)));
  out.append(kShardMagic, sizeof(kShardMagic));
  AppendRaw(&out, header, 8);
  AppendBlock(&out, by_user, user_begin, user_end);
  AppendBlock(&out, by_item, item_begin, item_end);
  return out;
}

absl::StatusOr<MfShard> DecodeShard(std::string_view bytes) {
  if (bytes.size() < sizeof(kShardMagic) ||
      std::memcmp(bytes.data(), kShardMagic, sizeof(kShardMagic)) != 0) {
    return CorruptShard("not an mf shard of this version (bad magic)");
  }
  bytes.remove_prefix(sizeof(kShardMagic));
  int64_t header[8];
  if (!ReadRaw(&bytes, header, 8)) return CorruptShard("truncated header");
  const auto [users, items, user_begin, user_end, item_begin, item_end, user_nnz, item_nnz] =
      header;
  constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();
  if (users < 0 || items < 0 || users > kMaxIndex || items > kMaxIndex || user_begin < 0 ||
      user_end < user_begin || user_end > users || item_begin < 0 || item_end < item_begin ||
      item_end > items || user_nnz < 0 || item_nnz < 0) {
    return CorruptShard("header out of range");
  }
  const uint64_t expected =
      static_cast<uint64_t>(user_end - user_begin + item_end - item_begin + 2) * sizeof(int64_t) +
      static_cast<uint64_t>(user_nnz + item_nnz) * (sizeof(int32_t) + sizeof(double));
  if (bytes.size() != expected) return CorruptShard("sizes do not match the payload");
  MfShard shard;
  shard.users = users;
  shard.items = items;
  shard.by_user.begin = user_begin;
  shard.by_item.begin = item_begin;
  if (absl::Status status =
          ReadBlock(&bytes, user_end - user_begin, items, user_nnz, &shard.by_user.rows);
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          ReadBlock(&bytes, item_end - item_begin, users, item_nnz, &shard.by_item.rows);
      !status.ok()) {
    return status;
  }
  return shard;
}

}  // namespace strads::mf
