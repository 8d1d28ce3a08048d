#include "apps/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "apps/lasso/lasso_app.h"
#include "apps/lasso/lasso_params.h"
#ifdef STRADS_HAVE_MF
#include "apps/mf/mf_app.h"
#include "apps/mf/mf_params.h"
#endif

namespace strads::apps {
namespace {

// Lasso parameters; defaults live in the app (apps/lasso/lasso_params.h).
constexpr AppFlag kLassoFlags[] = {
    {"--lambda", "lambda",
     "L1 penalty of 1/2||y - Xb||^2 + lambda||b||_1 (default: 0.1 * lambda_max of the data)"},
    {"--alpha", "alpha",
     "L1 penalty on the scikit-learn/glmnet scale, 1/(2N)||y - Xb||^2 + alpha||b||_1 (so "
     "lambda = N * alpha, N samples); instead of --lambda or --path-ratio"},
    {"--scheduler", "scheduler",
     "working-set (default: exact solves on the Gram of a prioritised working set, summed over "
     "workers; a few rounds), dynamic (STRADS priority sampling + dependency check, adaptive "
     "batch), random (Shotgun: uniform coordinates, no check; may diverge), static (round-robin "
     "blocks; may diverge) or cyclic (sequential coordinate descent, one per round)",
     "working-set"},
    {"--batch", "batch",
     "upper bound of dynamic's adaptive batch (the dependency check and the objective monitor "
     "keep fewer); the batch size of random and static; default 64, cyclic uses 1"},
    {"--dependency-check", "dependency_check",
     "dynamic's check: gershgorin (default: pairwise |corr| < rho and every kept column's summed "
     "|corr| with the others < 1, so a round cannot raise the objective) or pairwise (the "
     "paper's |corr| < rho alone; can diverge on mildly correlated real features)"},
    {"--working-set-max", "working_set_max",
     "largest working set the working-set schedule solves on its Gram (1 to 4096; default "
     "2048); beyond it, blocks of this size are solved in turn, unless the set is solved on its "
     "columns (sparse p >> n), which ships no Gram and takes the set the support needs"},
    {"--rho", "rho",
     "dynamic's dependency threshold: no two batch columns correlate above it; default 0.3"},
    {"--eta", "eta", "priority floor so every coordinate stays reachable"},
    {"--gap-every", "gap_every", "rounds between duality-gap checks (default: about one sweep)"},
    {"--seed", "seed", "random seed of the schedule; default 1"},
    {"--intercept",
     "intercept",
     "fit an unpenalised intercept b0 (the model file gives it; predict y = b0 + x'b)",
     {},
     true},
    {"--standardize",
     "standardize",
     "solve with columns scaled to unit standard deviation (root mean square without "
     "--intercept); lambda refers to that scale, coefficients are reported in the original one",
     {},
     true},
    {"--path", "path",
     "solve this many lambdas (at most 100), log-spaced from lambda_max down to --lambda, each "
     "warm-started from the last; default 1"},
    {"--path-ratio", "path_ratio",
     "final lambda as a fraction of lambda_max, instead of --lambda or --alpha (in (0, 1); "
     "default 0.1)"},
    {"--data-access", "data_access",
     "served (default: the scheduler reads --data and sends each worker its shard) or shared "
     "(every worker sees the --data path, a LIBSVM file or a directory of part-* files, and "
     "reads its own partition; the scheduler holds no samples)"},
    {"--sketch-width", "sketch_width",
     "with --data-access shared, buckets of the column sketches the dynamic schedule's "
     "dependency check estimates correlations from (16 to 1048576; default 4096; exact when the "
     "data has no more rows)"},
};
// The objective falls over orders of magnitude towards its optimum, and the duality gap (the
// certificate --tol stops on) with it: both on log scales.
constexpr ConvergenceCurve kLassoCurves[] = {
    {"objective", "objective - best", true, true},
    {"duality_gap", "duality gap", true, false},
};
constexpr ConvergenceCurve kDefaultCurves[] = {{"objective", "objective", false, false}};

#ifdef STRADS_HAVE_MF
// Matrix factorization parameters; defaults live in the app (apps/mf/mf_params.h).
constexpr AppFlag kMfFlags[] = {
    {"--rank", "rank", "factorization rank K; default 10"},
    {"--lambda", "lambda",
     "L2 penalty, or 'auto' (chosen with --bias-lambda on seeded held-out 10% slices of --data, "
     "up to 3 pooled on small data, from a small grid refined around its best, each fit run "
     "until it settles as the job's own does (--tol, --max-rounds), then trained on all of it); "
     "default 0.2 with --reg wr, 2 with plain"},
    {"--reg", "reg",
     "wr (ALS-WR, default: a row's penalty is lambda x its number of ratings, as Spark's "
     "regParam) or plain (lambda for every row); a bias pays --bias-lambda whatever the row",
     "wr"},
    {"--bias-lambda", "bias_lambda", "penalty on each user and item bias; default 3"},
    {"--lambda-folds", "lambda_folds",
     "held-out slices --lambda auto pools, 1 to 10 (fewer cost less); default 0: enough for "
     "about 50000 held-out ratings, at most 3"},
    {"--balance", "balance", "dynamic (by measured cost) or static (equal row counts)"},
    {"--seed", "seed", "random seed of the initial factors; default 1"},
    {"--data-access", "data_access",
     "served (default: the scheduler reads the ratings and sends each worker its rows) or shared "
     "(every worker sees the --data and --test paths, a file or a directory of part-* files of "
     "'user item rating' lines with integer ids or MatrixMarket entries, and reads a byte range "
     "of each; the scheduler holds no ratings; not with --lambda auto)"},
};
// RMSE levels off well above 0: a linear scale shows where it flattens and test RMSE turns up.
constexpr ConvergenceCurve kMfCurves[] = {
    {"train_rmse", "training RMSE", false, false},
    {"test_rmse", "test RMSE", false, false},
};
#endif

// Pipelined Lasso rounds: a batch sent while others are in flight is dependency-checked against
// them, and with served data the scheduler subtracts the in-flight steps' effect from its
// gradients (LassoSchedulerApp::CorrectForMissedSteps), so dynamic keeps its guarantee (the
// objective never rises) at any depth; with shared data only the objective monitor guards it (a
// rise is undone a few rounds later). The default stays at one round at a time by measurement
// (docs/benchmarks.md, "Pipelined rounds share messages"): depth 4 reached the target in 0.66x
// the time of depth 1 on a wide design of correlated groups, but took 1.7x the rounds and time on
// the real a9a data (few one-hot columns: the ones in flight leave the next batches little).
constexpr int kLassoDynamicPipelineDepth = 1;

PipelineSupport LassoPipeline(const core::JobSpec& spec) {
  absl::StatusOr<lasso::LassoParams> params = lasso::ParseLassoParams(spec);
  if (!params.ok()) return {};
  switch (params->scheduler) {
    case lasso::LassoScheduler::kWorkingSet:
      return {.why_not =
                  "the working-set schedule runs one round at a time (each round solves on the "
                  "exact model of the last); pipelining needs a coordinate schedule such as "
                  "--scheduler dynamic"};
    case lasso::LassoScheduler::kDynamic:
      return {.max_depth = core::kMaxPipelineDepth, .default_depth = kLassoDynamicPipelineDepth};
    case lasso::LassoScheduler::kRandom:
    case lasso::LassoScheduler::kStatic:
    case lasso::LassoScheduler::kCyclic:
      if (params->data_access == lasso::DataAccess::kShared) {
        // Nothing would keep a batch from stepping on stale gradients: measured, cyclic on a9a
        // with an intercept diverged within a few hundred rounds at depth 2 to 4.
        return {.why_not = absl::StrCat(
                    "with --data-access shared the scheduler cannot correct a stale push, and "
                    "the ",
                    std::string(lasso::SchedulerName(params->scheduler)),
                    " schedule does not check a batch against the batches in flight; use "
                    "--scheduler dynamic (which does), or served data")};
      }
      return {.max_depth = core::kMaxPipelineDepth, .default_depth = 1};
  }
  return {};
}

AppDefinition Lasso() {
  AppDefinition lasso;
  lasso.name = "lasso";
  lasso.description = "L1-regularised least squares by parallel coordinate descent";
  lasso.validate = lasso::ValidateLassoSpec;
  lasso.make_scheduler_app = lasso::NewLassoSchedulerApp;
  lasso.make_worker_app = lasso::NewLassoWorkerApp;
  lasso.default_max_rounds = lasso::kDefaultMaxRounds;
  lasso.inputs.data_help =
      "training data: LIBSVM ('label index:value ...'), or a MatrixMarket design matrix X.mmt "
      "(N x M, coordinate or array) with --labels";
  lasso.inputs.labels_help =
      "the labels of a MatrixMarket --data X.mmt: a MatrixMarket vector Y.mmt of N values "
      "(coordinate or array); a LIBSVM --data holds its own";
  lasso.flags = kLassoFlags;
  lasso.pipeline = LassoPipeline;
  lasso.pipeline_help = absl::StrCat(
      "lasso: ", kLassoDynamicPipelineDepth,
      "; dynamic, random, static and cyclic take up to 64 (dynamic keeps its guarantee with "
      "served data; with shared data its objective may rise for a few rounds until its monitor "
      "undoes the step, and the others run one round at a time; random and static may "
      "diverge), and the working-set schedule runs one round at a time");
  lasso.curves = kLassoCurves;
  return lasso;
}

#ifdef STRADS_HAVE_MF
AppDefinition Mf() {
  AppDefinition mf;
  mf.name = "mf";
  mf.description = "matrix factorization by load-balanced coordinate descent";
  mf.validate = mf::ValidateMfSpec;
  mf.make_scheduler_app = mf::NewMfSchedulerApp;
  mf.make_worker_app = mf::NewMfWorkerApp;
  mf.default_max_rounds = mf::kDefaultMaxRounds;
  mf.inputs.data_help = "training ratings ('user item rating' lines or MatrixMarket)";
  mf.inputs.test_help = "held-out ratings (optional)";
  mf.flags = kMfFlags;
  mf.pipeline_why_not =
      "its rounds alternate between the user and the item factors, and each needs the other's "
      "last update (a round sent before the previous one is pulled would redo it on old "
      "factors)";
  mf.curves = kMfCurves;
  // The model is users to PREFIX-W.txt and items to PREFIX-H.txt, one "id bias f1 ... fK" line
  // per row, so each loads directly as a matrix with row ids, and "mu min max" to
  // PREFIX-global.txt (format: apps/mf/mf_model.h).
  mf.model.default_suffix = "-model";
  mf.model.parts = {
      {"W",
       "# format: '<user id> <b_user> f1 ... fK' (users); prediction(user, item) = mu + b_user + "
       "b_item + f_user . f_item, clipped to [min, max] (mu, min, max: the -global file)"},
      {"H",
       "# format: '<item id> <b_item> f1 ... fK' (items); prediction(user, item) = mu + b_user + "
       "b_item + f_user . f_item, clipped to [min, max] (mu, min, max: the -global file)"},
      {"G",
       "# format: '<mu> <min rating> <max rating>'; prediction(user, item) = mu + b_user + b_item "
       "+ f_user . f_item, clipped to [min, max] (mu, min, max: this file)",
       "global"},
  };
  return mf;
}
#endif

const std::vector<AppDefinition>& Definitions() {
  static const auto* definitions = new std::vector<AppDefinition>{
      Lasso(),
#ifdef STRADS_HAVE_MF
      Mf(),
#endif
  };
  return *definitions;
}

}  // namespace

const AppDefinition* FindApp(std::string_view name) {
  for (const AppDefinition& definition : Definitions()) {
    if (definition.name == name) return &definition;
  }
  return nullptr;
}

std::vector<std::string_view> AppNames() {
  std::vector<std::string_view> names;
  for (const AppDefinition& definition : Definitions()) names.push_back(definition.name);
  return names;
}

absl::StatusOr<int> ResolvePipelineDepth(const AppDefinition& app, const core::JobSpec& spec) {
  if (spec.pipeline < 0 || spec.pipeline > core::kMaxPipelineDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pipeline must be between 1 and ", core::kMaxPipelineDepth, ", got ", spec.pipeline));
  }
  PipelineSupport support;
  if (app.pipeline) {
    support = app.pipeline(spec);
  } else {
    support.why_not =
        absl::StrCat("the ", std::string(app.name),
                     " app runs one round at a time: ", std::string(app.pipeline_why_not));
  }
  if (spec.pipeline == 0) return std::clamp(support.default_depth, 1, support.max_depth);
  if (spec.pipeline > support.max_depth) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline ", spec.pipeline, " is refused: ", support.why_not,
                     support.max_depth > 1 ? absl::StrCat(" (at most ", support.max_depth, ")")
                                           : std::string()));
  }
  return spec.pipeline;
}

const ModelOutput& ModelOutputOf(std::string_view app) {
  static const auto* plain = new ModelOutput();
  const AppDefinition* definition = FindApp(app);
  return definition != nullptr ? definition->model : *plain;
}

std::span<const ConvergenceCurve> CurvesOf(std::string_view app) {
  const AppDefinition* definition = FindApp(app);
  return definition != nullptr && !definition->curves.empty()
             ? definition->curves
             : std::span<const ConvergenceCurve>(kDefaultCurves);
}

}  // namespace strads::apps
