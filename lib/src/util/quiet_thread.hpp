// start_quiet_thread starts a std::thread that takes no signals. A program that waits for its signals in
// a thread of its own (serve's sigwait) blocks them in every thread it starts; a library's background
// thread, which may start before that or from a thread with another mask, must not be where the kernel
// delivers them, or a signal with the default action would end the program.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace krtool::util {

template <typename Function>
std::thread start_quiet_thread(Function&& function) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);  // the new thread inherits the mask
  struct Restore {
    const sigset_t& mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};
  return std::thread(std::forward<Function>(function));
}

}  // namespace krtool::util
