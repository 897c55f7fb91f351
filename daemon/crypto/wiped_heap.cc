// Every block the program frees through operator delete is zeroed first, so the copies
// of secrets that libraries make in ordinary memory (protobuf's parse and JSON
// buffers, LevelDB's, a std::string's old buffer after it grew) do not linger in the
// free heap, where a core or a later bug could find them. Live copies still need
// wiping where they are held (crypto/wipe.h). Replaces the global operator delete, so
// it must never be built into a sanitizer build, whose allocator does its own.
#include <malloc.h>
#include <sodium.h>

#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define INMOST_WIPED_HEAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define INMOST_WIPED_HEAP 0
#endif
#endif
#ifndef INMOST_WIPED_HEAP
#define INMOST_WIPED_HEAP 1
#endif

#if INMOST_WIPED_HEAP

// The default operator new takes its memory from malloc, so free() releases it; the
// other forms of delete (nothrow, array, sized array) call these.
void operator delete(void* block) noexcept {
  if (block == nullptr) return;
  sodium_memzero(block, malloc_usable_size(block));
  std::free(block);
}

void operator delete(void* block, std::size_t /*size*/) noexcept {
  operator delete(block);
}

#endif
