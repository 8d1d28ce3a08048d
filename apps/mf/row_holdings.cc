#include "apps/mf/row_holdings.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace strads::mf {
namespace {

// Appends [begin, end) to `pairs` if it is not empty, merging with the previous pair if they
// touch.
void AppendRun(int64_t begin, int64_t end, std::vector<int64_t>* pairs) {
  if (begin >= end) return;
  if (!pairs->empty() && pairs->back() == begin) {
    pairs->back() = end;
    return;
  }
  pairs->push_back(begin);
  pairs->push_back(end);
}

}  // namespace

void RowHoldings::Reset(int64_t rows) {
  rows_ = rows;
  members_.clear();
}

void RowHoldings::AddMember(uint64_t member) {
  Member& m = members_[member];
  m.held.assign(static_cast<size_t>(rows_), 0);
  m.begin = 0;
  m.end = 0;
}

void RowHoldings::RetainOnly(const std::vector<uint64_t>& live) {
  const absl::flat_hash_set<uint64_t> keep(live.begin(), live.end());
  absl::erase_if(members_, [&](const auto& entry) { return !keep.contains(entry.first); });
}

RowHoldings::Member& RowHoldings::Get(uint64_t member) {
  auto it = members_.find(member);
  if (it == members_.end()) {
    AddMember(member);
    it = members_.find(member);
  }
  return it->second;
}

void RowHoldings::AddRange(uint64_t member, int64_t begin, int64_t end) {
  if (begin >= end) return;
  Member& m = Get(member);
  std::fill(m.held.begin() + begin, m.held.begin() + end, 1);
  if (m.begin < 0) return;
  if (m.begin == m.end) {
    m.begin = begin;
    m.end = end;
  } else if (begin <= m.end && end >= m.begin) {
    m.begin = std::min(m.begin, begin);
    m.end = std::max(m.end, end);
  } else {
    m.begin = -1;
  }
}

void RowHoldings::DropRange(uint64_t member, int64_t begin, int64_t end) {
  if (begin >= end) return;
  Member& m = Get(member);
  std::fill(m.held.begin() + begin, m.held.begin() + end, 0);
  if (m.begin < 0 || end <= m.begin || begin >= m.end) return;  // shape unknown, or disjoint
  if (begin <= m.begin && end >= m.end) {
    m.begin = m.end = 0;
  } else if (begin <= m.begin) {
    m.begin = end;
  } else if (end >= m.end) {
    m.end = begin;
  } else {
    m.begin = -1;  // a hole in the middle
  }
}

void RowHoldings::MoveTo(uint64_t member, int64_t begin, int64_t end, std::vector<int64_t>* drop,
                         std::vector<int64_t>* add) {
  Member& m = Get(member);
  if (m.begin >= 0) {
    const int64_t old_begin = m.begin, old_end = m.end;
    if (old_begin < old_end) {
      AppendRun(old_begin, std::min(old_end, begin), drop);
      AppendRun(std::max(old_begin, end), old_end, drop);
      AppendRun(begin, std::min(end, old_begin), add);
      AppendRun(std::max(begin, old_end), end, add);
    } else {
      AppendRun(begin, end, add);
    }
    if (old_begin < old_end) {
      std::fill(m.held.begin() + old_begin, m.held.begin() + old_end, 0);
    }
    if (begin < end) std::fill(m.held.begin() + begin, m.held.begin() + end, 1);
  } else {
    for (int64_t r = 0; r < rows_; ++r) {
      const bool want = r >= begin && r < end;
      uint8_t& held = m.held[static_cast<size_t>(r)];
      if (held && !want) AppendRun(r, r + 1, drop);
      if (!held && want) AppendRun(r, r + 1, add);
      held = want ? 1 : 0;
    }
  }
  m.begin = begin;
  m.end = end;
}

double RowHoldings::MeanHeldRow(uint64_t member) const {
  auto it = members_.find(member);
  if (it == members_.end()) return -1;
  double sum = 0;
  int64_t count = 0;
  for (int64_t r = 0; r < rows_; ++r) {
    if (!it->second.held[static_cast<size_t>(r)]) continue;
    sum += static_cast<double>(r);
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : -1;
}

int64_t RowHoldings::HeldRowCount(uint64_t member) const {
  auto it = members_.find(member);
  if (it == members_.end()) return 0;
  return std::count(it->second.held.begin(), it->second.held.end(), 1);
}

}  // namespace strads::mf
