// GroupCommit hands batches from the io thread to its writer thread and back; these
// tests drive both threads for real (and run under ThreadSanitizer in scripts/test).
#include "daemon/core/group_commit.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <string>

#include "daemon/crypto/bytes.h"
#include "daemon/store/storage_key.h"
#include "tests/unit/temp_dir.h"

namespace inmost::core {
namespace {

namespace asio = boost::asio;
using test::TempDir;

std::unique_ptr<store::SealedStore> OpenStore(const TempDir& dir) {
  auto store = store::SealedStore::Open(dir.path() / "store",
                                        crypto::SecretBytes::Random(store::kStorageKeySize),
                                        store::OpenMode::kCreate);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(*store);
}

TEST(GroupCommit, EveryCallbackSeesItsBatchOnDisk) {
  TempDir dir;
  auto store = OpenStore(dir);
  asio::io_context io;
  GroupCommit commit(io, *store);
  constexpr int kWrites = 2000;
  int synced = 0;
  int lazy = 0;
  // The writer thread posts results back; keep io running until all have come.
  auto guard = asio::make_work_guard(io);
  auto count = [&] {
    if (synced + lazy == kWrites) guard.reset();
  };
  // Bursts of writes from many handlers: some synced, some not, as the daemon does.
  for (int i = 0; i < kWrites; ++i) {
    asio::post(io, [&, i] {
      std::string key = "k/" + std::to_string(i);
      commit.batch().Put(key, crypto::AsBytes("value " + std::to_string(i)));
      auto check = [&, key](const Status& status) {
        ASSERT_TRUE(status.ok()) << status.ToString();
        ASSERT_TRUE(store->Get(key).ok()) << key << " not on disk when its callback ran";
      };
      if (i % 3 == 0) {
        commit.AfterWrite([&, check](const Status& s) {
          check(s);
          ++lazy;
          count();
        });
      } else {
        commit.AfterSync([&, check](const Status& s) {
          check(s);
          ++synced;
          count();
        });
      }
    });
  }
  io.run();
  EXPECT_EQ(synced + lazy, kWrites);
  EXPECT_EQ(*store->Get("k/1999"), "value 1999");
}

TEST(GroupCommit, SyncResumesACoroutineAfterTheWrite) {
  TempDir dir;
  auto store = OpenStore(dir);
  asio::io_context io;
  GroupCommit commit(io, *store);
  int done = 0;
  for (int c = 0; c < 50; ++c) {
    asio::co_spawn(
        io,
        [&, c]() -> asio::awaitable<void> {
          for (int i = 0; i < 20; ++i) {
            std::string key = "c/" + std::to_string(c) + "/" + std::to_string(i);
            commit.batch().Put(key, crypto::AsBytes(key));
            Status status = co_await commit.Sync();
            EXPECT_TRUE(status.ok());
            EXPECT_TRUE(store->Get(key).ok());
          }
          ++done;
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(done, 50);
}

TEST(GroupCommit, FlushNowWaitsForTheWriteInProgress) {
  TempDir dir;
  auto store = OpenStore(dir);
  asio::io_context io;
  GroupCommit commit(io, *store);
  bool first_done = false;
  auto guard = asio::make_work_guard(io);
  asio::post(io, [&] {
    commit.batch().Put("a", crypto::AsBytes("1"));
    commit.AfterSync([&](const Status& s) {
      first_done = s.ok();
      guard.reset();
    });
    asio::post(io, [&] {
      commit.batch().Put("b", crypto::AsBytes("2"));
      commit.FlushNow();  // On the io thread, while the writer may hold "a".
      EXPECT_TRUE(store->Get("a").ok());
      EXPECT_TRUE(store->Get("b").ok());
    });
  });
  io.run();
  EXPECT_TRUE(first_done);
}

}  // namespace
}  // namespace inmost::core
