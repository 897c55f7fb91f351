// What the CLI calls the two of you in the lines it shows: "you", and your partner
// by the name you call them (`config partner-nickname`, else the name they chose),
// or "partner" while no name is known.
#pragma once

#include <string>

#include "proto/control.pb.h"

namespace inmost::cli {

struct Speakers {
  std::string you = "you";
  std::string partner = "partner";
  std::string your_name;  // `config name`; empty: none (export writes "You").
};

// The speakers a status reply names.
inline Speakers SpeakersOf(const control::StatusReply& status) {
  Speakers speakers;
  if (!status.partner().name().empty()) speakers.partner = status.partner().name();
  speakers.your_name = status.name();
  return speakers;
}

}  // namespace inmost::cli
