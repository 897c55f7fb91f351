// What a build of inmost is: its release number and the git revision it was built
// from, as both programs print it for --version. It never changes while a program
// runs and needs no daemon.
#pragma once

#include <string_view>

namespace inmost {

// "MAJOR.MINOR.PATCH (git REVISION)"; REVISION is a short commit id, with
// "-modified" when the tree had uncommitted changes, or "unknown" when the source
// was not a git checkout.
std::string_view BuildVersion();

}  // namespace inmost
