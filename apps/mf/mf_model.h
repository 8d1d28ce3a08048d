// A trained MF model read back from the files `strads run mf --model-out PREFIX` writes, and what
// a recommender does with it: predict ratings of (user, item) pairs and list a user's top items.
//
// The files (text, '#' lines are comments, fields separated by spaces; each loads with
// numpy.loadtxt, the id column as text when ids are not numbers):
//   PREFIX-global.txt  one line "mu min_rating max_rating"
//   PREFIX-W.txt       one line per user: "<user id> <b_user> f1 ... fK"
//   PREFIX-H.txt       one line per item: "<item id> <b_item> f1 ... fK"
// prediction(u, i) = mu + b_u + b_i + f_u . f_i, clipped to [min_rating, max_rating]. A user (or
// item) the model has never seen has no bias and no factors: its prediction is mu plus the
// known side's bias (mu alone when neither is known).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/ratings.h"

namespace strads::mf {

struct MfModel {
  int64_t rank = 0;
  Predictor predictor;  // mu, the rating range, the rank
  IdMap users;
  IdMap items;
  // RowStride(rank) values a row, as the app stores them: factors, then the bias.
  std::vector<double> user_rows;
  std::vector<double> item_rows;
};

// Reads PREFIX-global.txt, PREFIX-W.txt and PREFIX-H.txt. NotFound names a missing file;
// InvalidArgument names the file and line of anything malformed (field counts that differ
// between rows or files, a value that is not a number, a repeated id).
absl::StatusOr<MfModel> LoadMfModel(const std::string& prefix);

struct Prediction {
  double value = 0;
  bool user_known = false;
  bool item_known = false;
};

Prediction PredictRating(const MfModel& model, absl::string_view user, absl::string_view item);

struct PredictCounts {
  int64_t pairs = 0;
  int64_t unknown_users = 0;  // pairs whose user the model has not seen
  int64_t unknown_items = 0;
};

// Reads "user item [anything]" lines from `pairs_path` (separated by tabs, commas, "::" or
// spaces, so a ratings file works as is; '#' lines, blank lines and a header line such as
// "userId,movieId,rating", or "userId,movieId" when the model's ids are numbers, are skipped)
// and writes "user<TAB>item<TAB>prediction" for each, all at the end: a malformed line is an
// error with nothing written.
absl::StatusOr<PredictCounts> PredictPairs(const MfModel& model, const std::string& pairs_path,
                                           std::ostream& out);

struct Recommendation {
  std::string item;
  double score = 0;  // the predicted rating (clipped)
};

// The user's `top` best items by predicted rating (ordered by the unclipped score, so items
// clipped to the top of the scale keep their order; ties by item order in the model), leaving
// out `exclude` (dense item indices). An unknown user gets the items with the highest mu + b_i.
std::vector<Recommendation> Recommend(const MfModel& model, absl::string_view user, int64_t top,
                                      const absl::flat_hash_set<int32_t>& exclude);

// The model's dense indices of the items `user` rated in the ratings file `path` (any format
// ReadTrainingRatings reads; items the model does not know are left out).
absl::StatusOr<absl::flat_hash_set<int32_t>> RatedItems(const MfModel& model,
                                                        const std::string& path,
                                                        absl::string_view user);

}  // namespace strads::mf
