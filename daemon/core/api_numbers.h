// The control API names messages by their numbers, the same on both sides; the core
// names them by this daemon's history ids. These walk a control message and turn one
// into the other in every field the schema marks (control.proto's message_number).
// They never change another field.
#pragma once

#include <google/protobuf/message.h>

#include "daemon/core/conversation.h"
#include "inmost/status.h"

namespace inmost::core {

// Turns every marked number in `request` into its entry's history id; NotFound,
// naming the number, when there is no such message. 0 stays 0 (none).
Status NumbersToHistoryIds(const Conversation& conversation, google::protobuf::Message& request);

// Turns every marked history id in `reply` (or an event) into its entry's number,
// and gives each message that answers another the quoted line of what it answers.
void HistoryIdsToNumbers(const Conversation& conversation, google::protobuf::Message& reply);

}  // namespace inmost::core
