// Rating matrices for matrix factorization: reading MatrixMarket coordinate files and
// MovieLens-style "user item rating [timestamp]" text, mapping the user's ids to dense row
// indices (and back, for the model file), CSR by user and by item, and the shard encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strads::mf {

// The next field of a line of ratings-like text from *pos on (fields are separated by runs of
// ' ', '\t', ',', ':' or '\r'), advancing *pos past it; empty when the line has no more.
absl::string_view NextField(absl::string_view line, size_t* pos);

// One "user item rating [timestamp]" line (blank and comment lines skipped by the caller): the
// user's and item's id text and the rating, or nullopt for a header line (user and rating fields
// both not numbers, "userId,movieId,rating,timestamp") when `header_allowed`. Errors say what is
// wrong; the caller adds where.
struct RatingLine {
  absl::string_view user;
  absl::string_view item;
  double rating = 0;
};
absl::StatusOr<std::optional<RatingLine>> ParseRatingLine(absl::string_view line,
                                                          bool header_allowed);

// A MatrixMarket file of ratings: its banner must say "matrix coordinate real|integer|double
// general" (an error naming what is supported otherwise), and its size line "rows cols entries".
// Errors say what is wrong; the caller adds where.
absl::Status CheckRatingsMatrixMarketBanner(absl::string_view banner);
struct MatrixMarketSize {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t entries = 0;
};
absl::StatusOr<MatrixMarketSize> ParseMatrixMarketSize(absl::string_view line);

// Compressed sparse rows: row r's entries are [ptr[r], ptr[r + 1]) of idx (column) and values.
struct RatingsCsr {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> ptr;  // rows + 1
  std::vector<int32_t> idx;
  std::vector<double> values;

  int64_t nnz() const { return static_cast<int64_t>(idx.size()); }
  int64_t RowNnz(int64_t r) const { return ptr[r + 1] - ptr[r]; }
  std::span<const int32_t> RowIdx(int64_t r) const {
    return {idx.data() + ptr[r], static_cast<size_t>(RowNnz(r))};
  }
  std::span<const double> RowValues(int64_t r) const {
    return {values.data() + ptr[r], static_cast<size_t>(RowNnz(r))};
  }
};

// Rating triplets bucketed into CSR by row: row r holds the entries with row_of[e] == r, in input
// order (a counting sort, O(entries + rows)).
RatingsCsr BucketByRow(int64_t rows, int64_t cols, std::span<const int32_t> row_of,
                       std::span<const int32_t> col_of, std::span<const double> values);

// The transpose (CSR by column), entries of each column in increasing row order. The scheduler,
// the workers and the reference solver all build the by-item matrix with this, so they sum in
// the same order and get bit-identical updates.
RatingsCsr Transpose(const RatingsCsr& m);

// One user's id text <-> dense index, for users or for items.
struct IdMap {
  std::vector<std::string> names;  // dense index -> id as written in the file
  absl::flat_hash_map<std::string, int32_t> index;

  int64_t size() const { return static_cast<int64_t>(names.size()); }
  // -1 when unknown.
  int32_t Find(absl::string_view name) const;
};

// The training matrix as the scheduler holds it.
struct TrainingRatings {
  RatingsCsr by_user;  // users x items
  RatingsCsr by_item;  // items x users, Transpose(by_user)
  IdMap users;
  IdMap items;
  // Of the ratings kept (after duplicates): their mean (the model's mu) and range (predictions
  // are clipped to it).
  double mean = 0;
  double min_rating = 0;
  double max_rating = 0;
  // (user, item) pairs rated more than once in the file: the last rating in file order is kept
  // (as most loaders do), and each earlier one is counted here.
  int64_t duplicates = 0;
};

// Fills `mean`, `min_rating` and `max_rating` of `train` from its by_user ratings (summed in
// by_user order, so every holder of the same matrix gets the same mean).
void ComputeRatingStats(TrainingRatings* train);

// Held-out ratings, in dense indices of the training matrix; -1 for a user or item that never
// appears in training (a cold start: predicted from mu and the bias that is known, as
// `strads predict` does, so the test RMSE covers every held-out rating).
struct TestRatings {
  std::vector<int32_t> users;
  std::vector<int32_t> items;
  std::vector<double> values;
  // Entries with an unknown user or item (they are in users/items/values with -1).
  int64_t unknown = 0;
  // Pairs given more than once: the last rating is kept (in the first one's place) and each
  // repeat is counted here, as in training.
  int64_t duplicates = 0;

  int64_t size() const { return static_cast<int64_t>(values.size()); }
};

// Reads `path`: MatrixMarket when its first line starts with "%%MatrixMarket" (coordinate,
// real or integer, general; 1-based), otherwise "user item rating [timestamp]" lines separated
// by tabs, commas, "::" or spaces. Skipped: '#' and '%' comment lines, blank lines, and a header
// (a first line whose user and rating fields are both not numbers, e.g. "userId,movieId,rating").
// Dense indices follow the ids' numeric order when every id is an integer (so a file ordered by
// popularity keeps that order), else their first appearance. A (user, item) pair rated more than
// once keeps its last rating (counted in `duplicates`). Errors name the file and line; NaN or
// infinite ratings are refused; a missing file is NotFound.
absl::StatusOr<TrainingRatings> ReadTrainingRatings(const std::string& path);

// Reads held-out ratings in either format and maps them through `train`'s ids; a repeated pair
// keeps its last rating (counted in `duplicates`). An empty file is an empty test set.
absl::StatusOr<TestRatings> ReadTestRatings(const std::string& path, const TrainingRatings& train);

}  // namespace strads::mf
