#include "apps/registry.h"

#include "apps/lasso/lasso_app.h"
#ifdef STRADS_HAVE_MF
#include "apps/mf/mf_app.h"
#endif

namespace strads::apps {
namespace {

const std::vector<AppDefinition>& Definitions() {
  static const auto* definitions = new std::vector<AppDefinition>{
      {"lasso", "L1-regularised least squares by parallel coordinate descent",
       lasso::ValidateLassoSpec, lasso::NewLassoSchedulerApp, lasso::NewLassoWorkerApp},
#ifdef STRADS_HAVE_MF
      {"mf", "matrix factorization by load-balanced coordinate descent", mf::ValidateMfSpec,
       mf::NewMfSchedulerApp, mf::NewMfWorkerApp},
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

}  // namespace strads::apps
