#include "scheduler_service/http/http_access.h"

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

TEST(HttpAccess, TheHeaderWinsOverTheCookie) {
  EXPECT_EQ(HttpAuthorization("Bearer abc", "strads_token=7879"), "Bearer abc");
}

TEST(HttpAccess, TheLoginCookieCarriesTheTokenItWasSetWith) {
  const std::string cookie = TokenCookie("s3cret;with spaces");
  // The Set-Cookie value up to its attributes is what a browser sends back.
  const std::string sent = "theme=dark; " + cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(HttpAuthorization("", sent), "Bearer s3cret;with spaces");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
}

TEST(HttpAccess, NoCredentialsOrABrokenCookieGiveNothing) {
  EXPECT_EQ(HttpAuthorization("", ""), "");
  EXPECT_EQ(HttpAuthorization("", "other=1"), "");
  EXPECT_EQ(HttpAuthorization("", "strads_token=zz"), "");
  EXPECT_EQ(HttpAuthorization("", "strads_token=abc"), "");
}

TEST(HttpAccess, ACookieTokenIsCheckedLikeAHeaderToken) {
  AccessPolicy policy("right", "");
  EXPECT_TRUE(policy.Check(Role::kClient, HttpAuthorization("", "strads_token=7269676874")).ok());
  EXPECT_EQ(policy.Check(Role::kClient, HttpAuthorization("", TokenCookie("wrong"))).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.Check(Role::kClient, HttpAuthorization("", "")).code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace strads::scheduler
