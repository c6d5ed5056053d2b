#include "krtool/util/progress.hpp"

#include <atomic>
#include <utility>

namespace krtool::progress {
namespace {

std::atomic<Sink*> g_sink{nullptr};

}  // namespace

Sink* set_sink(Sink* sink) { return g_sink.exchange(sink); }

Step::Step(std::string what) : what_(std::move(what)), sink_(g_sink.load()) {
  if (sink_ != nullptr) sink_->begin(what_);
}

Step::~Step() {
  if (sink_ != nullptr) sink_->end(what_);
}

}  // namespace krtool::progress
