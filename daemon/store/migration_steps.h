// The steps of Migrations::ThisBuild(), one function each. A step reads the layout of
// the version it starts from, as it was then: its keys are spelled out here, not
// shared with today's code, which may move on.
#pragma once

#include "daemon/store/migrations.h"

namespace inmost::store {

// Schema 1 → 2: every history entry gets the number both partners show for it
// (message_number.h), indexed under "n/<number>", and the counters the highest one.
Migration NumberMessagesStep();

// Schema 2 → 3: LevelDB keys stop naming records (key_layout.h). Every record moves
// to its hidden key, sealed with its key inside, and its named key is deleted.
Migration HideKeysStep();

}  // namespace inmost::store
