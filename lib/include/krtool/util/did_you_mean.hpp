// Near-miss suggestions for names the user typed (subcommands, flags, config keys, placeholders), in the
// spirit of Go's "did you mean" hints: a typo should be answered with the fix, not only with the list of
// valid names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace krtool::util {

// edit_distance is the Levenshtein distance, ignoring ASCII case (a key typed with the wrong case is a
// near miss, not a different word).
size_t edit_distance(std::string_view a, std::string_view b);

// closest_name returns the candidate nearest to `typed` within `max_distance` edits, or "" when none is.
std::string closest_name(std::string_view typed, const std::vector<std::string>& candidates,
                         size_t max_distance = 2);

}  // namespace krtool::util
