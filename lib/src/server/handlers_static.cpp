// The file: and dir: handlers. Files are read per request, so that a page can be edited while the
// server runs. A folder serves only what lies inside it: the request path is decoded, split and
// checked segment by segment, and the resolved file must still be inside the folder after symbolic
// links are followed. Anything else is a plain 404, which tells a prober nothing.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "krtool/error.hpp"
#include "krtool/server/routes.hpp"
#include "server/response_json.hpp"
#include "util/text.hpp"

namespace fs = std::filesystem;

namespace krtool::server {
namespace {

// Big enough for any page or bundle a developer serves; small enough that a wrong path (a disk image)
// cannot exhaust memory, since a response is held whole.
constexpr std::uintmax_t kMaxFileBytes = 64 * 1024 * 1024;

std::string content_type_for(const fs::path& path) {
  const std::string extension = util::lower(path.extension().string());
  if (extension == ".json") return "application/json";
  if (extension == ".html" || extension == ".htm") return "text/html; charset=utf-8";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".png") return "image/png";
  if (extension == ".pem") return "application/x-pem-file";
  return "application/octet-stream";
}

HandlerResponse not_found(const RequestView& request) {
  return detail::error_response(404, fmt::format("not found: {}", request.path));
}

// serve_file answers the file's bytes, or 404 when it is not a readable regular file.
HandlerResponse serve_file(const fs::path& file, const RequestView& request) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return not_found(request);
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return not_found(request);
  if (size > kMaxFileBytes) {
    return detail::error_response(500,
                                  fmt::format("{} is too large for the development server", request.path));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found(request);
  HandlerResponse response;
  response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return not_found(request);
  response.content_type = content_type_for(file);
  return response;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// percent_decode decodes %XX; a '%' that does not start an escape stays, so that a file named
// "100%.txt" is still reachable when the HTTP layer has already decoded the path once.
std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

bool is_inside(const fs::path& folder, const fs::path& candidate) {
  return std::mismatch(folder.begin(), folder.end(), candidate.begin(), candidate.end()).first ==
         folder.end();
}

class StaticFileHandler final : public Handler {
 public:
  explicit StaticFileHandler(fs::path file) : file_(std::move(file)) {}

  HandlerResponse handle(const RequestView& request) const override { return serve_file(file_, request); }
  std::string describe() const override { return fmt::format("file {}", file_.string()); }

 private:
  fs::path file_;
};

class StaticFolderHandler final : public Handler {
 public:
  StaticFolderHandler(fs::path shown, fs::path folder, std::string prefix)
      : shown_(std::move(shown)), folder_(std::move(folder)), prefix_(std::move(prefix)) {}

  HandlerResponse handle(const RequestView& request) const override {
    const std::optional<fs::path> file = resolve(request.path);
    if (!file) return not_found(request);
    std::error_code ec;
    if (fs::is_directory(*file, ec)) return serve_file(*file / "index.html", request);
    return serve_file(*file, request);
  }

  std::string describe() const override { return fmt::format("folder {}", shown_.string()); }

 private:
  // resolve maps a request path to a path inside the folder, or nullopt for anything that would
  // leave it: "..", "." and empty segments, backslashes, NUL, and links pointing outside.
  std::optional<fs::path> resolve(std::string_view request_path) const {
    request_path = request_path.substr(0, request_path.find('?'));
    if (request_path.compare(0, prefix_.size(), prefix_) != 0) return std::nullopt;
    std::string_view rest = request_path.substr(prefix_.size());
    if (!rest.empty() && rest.front() != '/' && prefix_.back() != '/') return std::nullopt;
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);

    const std::string decoded = percent_decode(rest);
    fs::path candidate = folder_;
    std::string_view remaining = decoded;
    while (!remaining.empty()) {
      const size_t slash = remaining.find('/');
      const std::string_view segment = remaining.substr(0, slash);
      const bool last = slash == std::string_view::npos;
      if (segment.empty() || segment == "." || segment == ".." ||
          segment.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos) {
        return std::nullopt;
      }
      candidate /= std::string(segment);
      if (last) break;
      remaining.remove_prefix(slash + 1);
    }

    std::error_code ec;
    const fs::path real = fs::canonical(candidate, ec);
    if (ec || !is_inside(folder_, real)) return std::nullopt;
    return real;
  }

  fs::path shown_;
  fs::path folder_;  // canonical, so that is_inside compares like with like
  std::string prefix_;
};

}  // namespace

std::shared_ptr<const Handler> static_file_handler(std::string path) {
  if (path.empty())
    throw Error(Errc::Usage, "the static file has no path", "write file:PATH, e.g. file:./index.html");
  return std::make_shared<StaticFileHandler>(fs::path(std::move(path)));
}

std::shared_ptr<const Handler> static_folder_handler(std::string folder, std::string route_prefix) {
  std::error_code ec;
  const fs::file_status status = fs::status(folder, ec);
  if (!fs::exists(status)) {
    throw Error(Errc::Usage, fmt::format("the folder '{}' does not exist", folder),
                "create it, or give the folder to serve with dir:PATH");
  }
  if (!fs::is_directory(status)) {
    throw Error(Errc::Usage, fmt::format("'{}' is not a folder", folder),
                fmt::format("serve a single file with file:{}", folder));
  }
  fs::path canonical = fs::canonical(folder, ec);
  if (ec) {
    throw Error(Errc::Usage, fmt::format("cannot open the folder '{}': {}", folder, ec.message()),
                "check the folder's permissions");
  }
  if (route_prefix.empty() || route_prefix.front() != '/') route_prefix.insert(0, "/");
  while (route_prefix.size() > 1 && route_prefix.back() == '/') route_prefix.pop_back();
  return std::make_shared<StaticFolderHandler>(fs::path(folder), std::move(canonical),
                                               std::move(route_prefix));
}

}  // namespace krtool::server
