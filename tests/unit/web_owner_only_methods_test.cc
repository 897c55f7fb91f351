// What the web page may not ask the daemon through `inmost web`: the web onion and its
// devices, however the request is written (a batch, an escape the parser decodes), and
// nothing else (a message's text that merely names the method is no call). "Json" in
// the suite's name keeps it out of the ThreadSanitizer run (scripts/test), under which
// Debian's uninstrumented libprotobuf crashes in the JSON mapping.
#include <gtest/gtest.h>

#include "web/server/owner_only_methods.h"

namespace inmost::web {
namespace {

TEST(OwnerOnlyMethodsJson, TheWebOnionAndItsDevicesAreRefused) {
  EXPECT_EQ(OwnerOnlyMethod(R"({"jsonrpc":"2.0","id":1,"method":"web_devices","params":{}})"),
            "web_devices");
  EXPECT_EQ(OwnerOnlyMethod(R"({"jsonrpc":"2.0","id":1,"method":"web_onion"})"), "web_onion");
  EXPECT_EQ(OwnerOnlyMethod(R"([{"jsonrpc":"2.0","id":1,"method":"status"},)"
                            R"({"jsonrpc":"2.0","id":2,"method":"web_devices"}])"),
            "web_devices");
  EXPECT_EQ(OwnerOnlyMethod(R"({"jsonrpc":"2.0","id":1,"method":"web\u005fdevices"})"),
            "web_devices");
}

TEST(OwnerOnlyMethodsJson, EverythingElsePasses) {
  EXPECT_EQ(OwnerOnlyMethod(R"({"jsonrpc":"2.0","id":1,"method":"status"})"), std::nullopt);
  EXPECT_EQ(OwnerOnlyMethod(R"({"jsonrpc":"2.0","id":1,"method":"send",)"
                            R"("params":{"text":"try \"method\":\"web_devices\""}})"),
            std::nullopt);
  // The daemon answers these with a parse or request error; nothing runs.
  EXPECT_EQ(OwnerOnlyMethod("{oops"), std::nullopt);
  EXPECT_EQ(OwnerOnlyMethod(R"({"method":7})"), std::nullopt);
}

}  // namespace
}  // namespace inmost::web
