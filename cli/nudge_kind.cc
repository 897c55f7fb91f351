#include "cli/nudge_kind.h"

#include <algorithm>

namespace inmost::cli {
namespace {

struct KindName {
  control::Nudge::Kind kind;
  std::string_view name;   // As typed.
  std::string_view words;  // As shown.
};

constexpr KindName kKinds[] = {
    {control::Nudge::THINKING_OF_YOU, "thinking-of-you", "thinking of you"},
    {control::Nudge::HUG, "hug", "hug"},
    {control::Nudge::KISS, "kiss", "kiss"},
    {control::Nudge::LAUGH, "laugh", "laugh"},
    {control::Nudge::MISSING_YOU, "missing-you", "missing you"},
    {control::Nudge::GOODNIGHT, "goodnight", "goodnight"},
};

const KindName* Find(control::Nudge::Kind kind) {
  auto it = std::find_if(std::begin(kKinds), std::end(kKinds),
                         [kind](const KindName& known) { return known.kind == kind; });
  return it == std::end(kKinds) ? nullptr : it;
}

}  // namespace

Result<control::Nudge::Kind> ParseNudgeKind(std::string_view name) {
  for (const KindName& known : kKinds) {
    if (known.name == name) return known.kind;
  }
  return InvalidArgument("unknown nudge '" + std::string(name) + "': use one of " +
                         NudgeKindNames());
}

std::string_view NudgeKindName(control::Nudge::Kind kind) {
  const KindName* known = Find(kind);
  // A kind added to the schema after this CLI was built still needs a name.
  return known == nullptr ? "nudge" : known->name;
}

std::string NudgeKindNames() {
  std::string names;
  for (const KindName& known : kKinds) {
    if (!names.empty()) names += ", ";
    names += known.name;
  }
  return names;
}

std::string NudgeLabel(const control::Nudge& nudge) {
  const KindName* known = Find(nudge.kind());
  std::string label = "(" + std::string(known == nullptr ? "nudge" : known->words);
  if (nudge.count() > 1) label += " ×" + std::to_string(nudge.count());
  return label + ")";
}

}  // namespace inmost::cli
