#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "unit/server/server_fixtures.hpp"

using namespace krtool;
using namespace krtool::server;
using krtool::server_test::body_of;
using krtool::server_test::error_from;
using krtool::server_test::request;
using krtool::server_test::write_text;

namespace fs = std::filesystem;

TEST_CASE("a static file is served with the content type of its extension", "[server][static]") {
  test::TempDir dir;
  struct Case {
    const char* name;
    const char* content_type;
  };
  for (const Case& c : {Case{"a.json", "application/json"}, Case{"a.html", "text/html; charset=utf-8"},
                        Case{"a.txt", "text/plain; charset=utf-8"}, Case{"a.css", "text/css; charset=utf-8"},
                        Case{"a.js", "text/javascript; charset=utf-8"}, Case{"a.png", "image/png"},
                        Case{"ca.PEM", "application/x-pem-file"}, Case{"a.bin", "application/octet-stream"},
                        Case{"noextension", "application/octet-stream"}}) {
    INFO(c.name);
    write_text(dir / c.name, std::string("bytes of ") + c.name + std::string(1, '\0') + "end");
    const HandlerResponse response =
        static_file_handler((dir / c.name).string())->handle(request("GET", "/f"));
    CHECK(response.status == 200);
    CHECK(response.content_type == c.content_type);
    CHECK(response.body == std::string("bytes of ") + c.name + std::string(1, '\0') + "end");
  }
}

TEST_CASE("a static file is read per request, so edits show without a restart", "[server][static]") {
  test::TempDir dir;
  write_text(dir / "page.txt", "first");
  const auto handler = static_file_handler((dir / "page.txt").string());
  CHECK(handler->handle(request("GET", "/page")).body == "first");
  write_text(dir / "page.txt", "second");
  CHECK(handler->handle(request("GET", "/page")).body == "second");
}

TEST_CASE("a static file that is missing when requested answers 404 with a JSON error", "[server][static]") {
  test::TempDir dir;
  write_text(dir / "gone.txt", "x");
  const auto handler = static_file_handler((dir / "gone.txt").string());
  fs::remove(dir / "gone.txt");
  const HandlerResponse response = handler->handle(request("GET", "/gone"));
  CHECK(response.status == 404);
  CHECK(response.content_type == "application/json");
  CHECK(body_of(response) == nlohmann::json({{"error", "not found: /gone"}}));
}

namespace {

// A site folder with a secret beside it, to prove that requests cannot climb out.
struct Site {
  test::TempDir dir;
  fs::path root = dir / "site";
  std::shared_ptr<const Handler> handler;

  Site() {
    write_text(root / "index.html", "<h1>home</h1>");
    write_text(root / "css" / "app.css", "body{}");
    write_text(root / "docs" / "readme.txt", "docs");
    fs::create_directories(root / "empty");
    write_text(dir / "secret.txt", "TOP SECRET CONTENT");
    handler = static_folder_handler(root.string(), "/static");
  }

  HandlerResponse get(const std::string& path) const { return handler->handle(request("GET", path)); }
};

}  // namespace

TEST_CASE("a static folder serves the file below the route's prefix", "[server][static]") {
  const Site site;
  const HandlerResponse css = site.get("/static/css/app.css");
  CHECK(css.status == 200);
  CHECK(css.body == "body{}");
  CHECK(css.content_type == "text/css; charset=utf-8");
  CHECK(site.get("/static/docs/readme.txt?version=2").body == "docs");
  CHECK(site.get("/static/docs/read%6de.txt").body == "docs");
}

TEST_CASE("a static folder answers a folder with its index.html, or 404 without one", "[server][static]") {
  const Site site;
  for (const char* path : {"/static", "/static/"}) {
    INFO(path);
    const HandlerResponse index = site.get(path);
    CHECK(index.status == 200);
    CHECK(index.body == "<h1>home</h1>");
    CHECK(index.content_type == "text/html; charset=utf-8");
  }
  CHECK(site.get("/static/empty").status == 404);
  CHECK(site.get("/static/docs/").status == 404);
  CHECK(site.get("/static/missing.txt").status == 404);
}

TEST_CASE("a static folder refuses every way out of the folder", "[server][static][security]") {
  const Site site;
  fs::create_symlink(site.dir / "secret.txt", site.root / "link-out.txt");
  for (const char* path :
       {"/static/../secret.txt", "/static/css/../../secret.txt", "/static/..%2fsecret.txt",
        "/static/%2e%2e/secret.txt", "/static/%2E%2E%2Fsecret.txt", "/static/..%5csecret.txt",
        "/static/..\\secret.txt", "/static//etc/passwd", "/static/%2fetc/passwd", "/static/./index.html",
        "/static/link-out.txt", "/staticx/index.html", "/static../secret.txt", "/other/index.html"}) {
    INFO(path);
    const HandlerResponse response = site.get(path);
    CHECK(response.status == 404);
    CHECK(response.body.find("TOP SECRET") == std::string::npos);
  }
}

TEST_CASE("a static folder follows links that stay inside it", "[server][static]") {
  const Site site;
  fs::create_symlink(site.root / "docs" / "readme.txt", site.root / "link-in.txt");
  CHECK(site.get("/static/link-in.txt").body == "docs");
}

TEST_CASE("a static folder at the root prefix serves the whole tree", "[server][static]") {
  const Site site;
  const auto handler = static_folder_handler(site.root.string(), "/");
  CHECK(handler->handle(request("GET", "/css/app.css")).body == "body{}");
  CHECK(handler->handle(request("GET", "/")).body == "<h1>home</h1>");
  CHECK(handler->handle(request("GET", "/../secret.txt")).status == 404);
}

TEST_CASE("a static folder must exist and be a folder when the route is made", "[server][static][errors]") {
  test::TempDir dir;
  const Error missing = error_from([&] { static_folder_handler((dir / "nope").string(), "/s"); });
  CHECK(missing.code() == Errc::Usage);
  CHECK(std::string(missing.what()) ==
        fmt::format("the folder '{}' does not exist", (dir / "nope").string()));

  write_text(dir / "file.txt", "x");
  const Error not_folder = error_from([&] { static_folder_handler((dir / "file.txt").string(), "/s"); });
  CHECK(not_folder.code() == Errc::Usage);
  CHECK_THAT(not_folder.hint(), Catch::Contains("file:"));
}
