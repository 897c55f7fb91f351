// The Boost.Asio headers the peer link uses, in one place, with the workaround they
// need on Debian 12 (below). Nothing else belongs in this header. (The other one,
// <utility> before awaitable.hpp, is forced for every file by CMakeLists.txt.)
#pragma once

// clang-format off
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
// clang-format on

// GCC 12 reports -Wmismatched-new-delete at the end of every Asio coroutine: the frame's
// operator new and sized operator delete (awaitable_frame_base) do match, the warning is
// a false positive. Disabled for the rest of each file that includes this header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
