// The status page (/) and the login form (/login) of the scheduler's HTTP port. Self-contained:
// inline CSS and JavaScript, no CDN, so it works with no internet. The page fetches the JSON API
// every two seconds and draws each job's convergence curve as SVG.
#pragma once

#include <string>

namespace strads::scheduler {

extern const char kStatusPageHtml[];
// `failed`: the last token given was refused.
std::string LoginPageHtml(bool failed);

}  // namespace strads::scheduler
