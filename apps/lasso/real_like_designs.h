// Design matrices that look like the data users bring, not like textbook Gaussians: features that
// are not centred, mostly non-negative, and so all mildly correlated with one another, which is
// what breaks a pairwise-only dependency check. Each kind imitates a family of public data sets:
//   onehot      one-hot categorical fields (census tables such as a9a): exactly one 1 per field and
//               row, level popularity skewed; the columns of a field sum to the all-ones column
//   counts      word counts of documents (news bag-of-words): Zipf vocabulary, integer counts
//   binary      sparse binary indicators with power-law frequencies (drug activity, click logs)
//   spectra     dense smooth non-negative curves, neighbouring columns nearly collinear (NIR
//               spectra), usually with more features than samples
//   duplicated  sparse non-centred columns of which half reappear as exact, scaled (also negated)
//               or nearly exact copies: |corr| = 1 and about 0.97
// Deterministic for a seed on every platform (seeded_draws.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "apps/lasso/seeded_draws.h"
#include "core/csc_matrix.h"

namespace strads::lasso {

enum class DesignKind {
  kGroups,  // "groups": the original generator's correlated groups (generator.h)
  kOneHot,
  kCounts,
  kBinary,
  kSpectra,
  kDuplicated,
};

std::string_view DesignKindName(DesignKind kind);
absl::StatusOr<DesignKind> ParseDesignKind(std::string_view name);
// "groups, onehot, counts, binary, spectra, duplicated", for help texts and errors.
std::string DesignKindList();

// An N x M design of a real-like kind (not kGroups). `density` is the mean fraction of non-zeros
// per column for binary and duplicated, and the mean document length / M for counts; onehot and
// spectra fix their own density (one entry per field; dense).
core::CscMatrix RealLikeDesign(DesignKind kind, int64_t samples, int64_t features, double density,
                               Draws& draws);

}  // namespace strads::lasso
