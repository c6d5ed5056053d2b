#include "util/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "krtool/error.hpp"

extern char** environ;

namespace krtool::process {
namespace {

using Clock = std::chrono::steady_clock;

class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) {
      throw Error(Errc::Internal, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void close_read() { close_fd(fds_[0]); }
  void close_write() { close_fd(fds_[1]); }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

// SpawnSetup owns posix_spawn's two setup objects.
class SpawnSetup {
 public:
  SpawnSetup() {
    if (posix_spawn_file_actions_init(&actions_) != 0 || posix_spawnattr_init(&attributes_) != 0) {
      throw Error(Errc::Internal, "cannot prepare to start a process");
    }
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attributes() { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

// read_until_eof collects the child's output until every writer closed the pipe or the deadline.
// Returns false at the deadline.
bool read_until_eof(int fd, Clock::time_point deadline, size_t limit, std::string& output) {
  char buffer[8192];
  while (true) {
    const int wait = milliseconds_until(deadline);
    if (wait == 0) return false;
    pollfd readable{fd, POLLIN, 0};
    const int ready = ::poll(&readable, 1, wait);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0)
      throw Error(Errc::Internal,
                  fmt::format("cannot wait for a process's output: {}", std::strerror(errno)));
    if (ready == 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    const size_t room = limit > output.size() ? limit - output.size() : 0;
    output.append(buffer, std::min(room, static_cast<size_t>(n)));
  }
}

// wait_until reaps the child, polling until the deadline (a program may close its output before it
// exits). Returns false at the deadline.
bool wait_until(pid_t pid, Clock::time_point deadline, int& status) {
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR)
      throw Error(Errc::Internal, fmt::format("cannot wait for a process: {}", std::strerror(errno)));
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

Outcome run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, size_t output_limit) {
  if (argv.empty()) throw Error(Errc::Internal, "no program to run");
  std::vector<char*> arguments;
  for (const std::string& a : argv) arguments.push_back(const_cast<char*>(a.c_str()));
  arguments.push_back(nullptr);

  Pipe output;
  SpawnSetup setup;
  bool ok = posix_spawn_file_actions_addopen(setup.actions(), STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
            posix_spawn_file_actions_adddup2(setup.actions(), output.write_end(), STDOUT_FILENO) == 0 &&
            posix_spawn_file_actions_adddup2(setup.actions(), output.write_end(), STDERR_FILENO) == 0 &&
            posix_spawnattr_setpgroup(setup.attributes(), 0) == 0;
  // The child starts with default signal handling and nothing blocked, whatever serve set up.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ok = ok && posix_spawnattr_setsigmask(setup.attributes(), &none) == 0 &&
       posix_spawnattr_setsigdefault(setup.attributes(), &all) == 0 &&
       posix_spawnattr_setflags(setup.attributes(),
                                POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) == 0;
  if (!ok) throw Error(Errc::Internal, "cannot prepare to start a process");

  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, argv[0].c_str(), setup.actions(), setup.attributes(), arguments.data(), environ);
  if (spawned != 0) {
    throw Error(Errc::Usage, fmt::format("cannot run '{}': {}", argv[0], std::strerror(spawned)),
                "check that the program exists and is executable");
  }
  output.close_write();

  Outcome outcome;
  const Clock::time_point deadline = Clock::now() + timeout;
  bool finished = read_until_eof(output.read_end(), deadline, output_limit, outcome.output);
  int status = 0;
  finished = finished && wait_until(pid, deadline, status);
  if (!finished) {
    outcome.timed_out = true;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (WIFEXITED(status) && !outcome.timed_out) {
    outcome.exited = true;
    outcome.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  return outcome;
}

std::optional<std::filesystem::path> find_program(std::string_view name) {
  auto executable = [](const std::filesystem::path& candidate) {
    struct stat info {};
    return ::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           ::access(candidate.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path path = std::filesystem::absolute(std::filesystem::path(name));
    return executable(path) ? std::optional(path) : std::nullopt;
  }
  const char* search = std::getenv("PATH");
  std::string_view rest = search != nullptr ? search : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const size_t colon = rest.find(':');
    const std::string_view folder = rest.substr(0, colon);
    const std::filesystem::path candidate = std::filesystem::path(folder.empty() ? "." : folder) / name;
    if (executable(candidate)) return std::filesystem::absolute(candidate);
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

}  // namespace krtool::process
