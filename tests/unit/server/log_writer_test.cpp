// The buffered writer behind the access log: whole lines, none lost, written within its interval and at
// its end, and a bounded buffer that counts what it had to drop.
#include "krtool/server/log_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "support/pipe.hpp"
#include "support/temp_dir.hpp"

namespace krtool::test {
namespace {

// LogFile is a file the writer writes to, read back by name.
struct LogFile {
  TempDir dir;
  std::string path = (dir / "log.txt").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);

  LogFile() { REQUIRE(fd >= 0); }
  ~LogFile() { ::close(fd); }
  std::string text() const {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(text());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
};

constexpr auto kNever = std::chrono::hours(1);  // an interval that no test waits for

}  // namespace

TEST_CASE("lines written by many threads at once all arrive, each whole", "[server][log]") {
  constexpr int kThreads = 8, kLines = 3000;
  LogFile file;
  {
    server::LogWriter writer(file.fd, server::LogWriterLimits{std::chrono::milliseconds(5), 4096, 64 << 20});
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&writer, t] {
        // Long enough that buffers and writes split lines' neighbours often.
        for (int i = 0; i < kLines; ++i)
          writer.write_line(fmt::format("thread {} line {} {}", t, i, std::string(40 + i % 97, 'x')));
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::map<int, int> next_line;  // per thread, the line expected next: each thread's lines keep their order
  size_t count = 0;
  for (const std::string& line : file.lines()) {
    int t = -1, i = -1;
    char rest[256] = "";
    REQUIRE(std::sscanf(line.c_str(), "thread %d line %d %255s", &t, &i, rest) == 3);
    CHECK(std::string(rest) == std::string(40 + i % 97, 'x'));
    CHECK(next_line[t] == i);
    next_line[t] = i + 1;
    ++count;
  }
  CHECK(count == size_t{kThreads} * kLines);
}

TEST_CASE("the writer holds lines in memory and writes them when it ends", "[server][log]") {
  LogFile file;
  {
    server::LogWriter writer(file.fd, server::LogWriterLimits{kNever, 1 << 20, 4 << 20});
    writer.write_line("GET /a 200");
    writer.write_line("GET /b 401");
    CHECK(file.text().empty());  // no write(2) per line
  }
  CHECK(file.text() == "GET /a 200\nGET /b 401\n");
}

TEST_CASE("flush writes what is buffered at once", "[server][log]") {
  LogFile file;
  server::LogWriter writer(file.fd, server::LogWriterLimits{kNever, 1 << 20, 4 << 20});
  writer.write_line("krtool: stopping (SIGTERM), finishing requests in flight");
  writer.flush();
  CHECK(file.text() == "krtool: stopping (SIGTERM), finishing requests in flight\n");
}

TEST_CASE("a buffered line is written when the interval passes, without a flush", "[server][log]") {
  CHECK(server::LogWriterLimits{}.interval == std::chrono::milliseconds(100));  // serve's interval
  // The shortest interval there is, and a pipe that the test reads: it blocks until the writer's own
  // thread writes the line, with no sleep and no polling of a file.
  const Pipe pipe;  // it outlives the writer, declared after it
  server::LogWriter writer(pipe.write_end(),
                           server::LogWriterLimits{std::chrono::milliseconds(1), 1 << 20, 4 << 20});
  writer.write_line("GET /info 200");
  pollfd readable{pipe.read_end(), POLLIN, 0};
  REQUIRE(::poll(&readable, 1, 10'000) == 1);  // a bound against a hang only: the line comes in about 1 ms
  char got[64] = {};
  const ssize_t size = ::read(pipe.read_end(), got, sizeof got);
  REQUIRE(size > 0);
  CHECK(std::string(got, static_cast<std::size_t>(size)) == "GET /info 200\n");
}

TEST_CASE("a full buffer drops lines and the next line written says how many", "[server][log]") {
  LogFile file;
  {
    // Room for three 10-byte lines.
    server::LogWriter writer(file.fd, server::LogWriterLimits{kNever, 1 << 20, 35});
    for (int i = 0; i < 10; ++i) writer.write_line(fmt::format("line {:04}", i));
    CHECK(writer.dropped() == 7);
    writer.flush();
    writer.write_line("after");
  }
  CHECK(file.lines() ==
        std::vector<std::string>{"line 0000", "line 0001", "line 0002",
                                 "krtool: the log dropped 7 lines while standard error was not taking them",
                                 "after"});
}

}  // namespace krtool::test
