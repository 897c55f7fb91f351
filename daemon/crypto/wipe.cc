#include "daemon/crypto/wipe.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <sodium.h>

#include <vector>

namespace inmost::crypto {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// A string field's own std::string, to wipe in place. Reflection hands out only const
// references, but they name the field's real, non-const string.
std::string& Stored(const std::string& field) {
  return const_cast<std::string&>(field);
}

}  // namespace

void WipeString(std::string& text) {
  // Growing to the capacity never reallocates, and makes every allocated byte ours.
  text.resize(text.capacity());
  sodium_memzero(text.data(), text.size());
  text.clear();
}

void WipeCpuScratch() {
  // libsodium's cipher frames take well under this; a coroutine runs on its thread's
  // stack, which has far more room below.
  constexpr size_t kStackBytes = 8 * 1024;
  sodium_stackzero(kStackBytes);
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx")) {
    __asm__ __volatile__("vzeroall" ::
                             : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                               "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                               "xmm15");
  } else {
    __asm__ __volatile__(
        "pxor %%xmm0, %%xmm0\n pxor %%xmm1, %%xmm1\n pxor %%xmm2, %%xmm2\n"
        "pxor %%xmm3, %%xmm3\n pxor %%xmm4, %%xmm4\n pxor %%xmm5, %%xmm5\n"
        "pxor %%xmm6, %%xmm6\n pxor %%xmm7, %%xmm7\n pxor %%xmm8, %%xmm8\n"
        "pxor %%xmm9, %%xmm9\n pxor %%xmm10, %%xmm10\n pxor %%xmm11, %%xmm11\n"
        "pxor %%xmm12, %%xmm12\n pxor %%xmm13, %%xmm13\n pxor %%xmm14, %%xmm14\n"
        "pxor %%xmm15, %%xmm15" ::
            : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
              "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  }
  if (__builtin_cpu_supports("avx512f")) {
    // glibc's memcpy uses these on such CPUs; the compiler here never does.
    __asm__ __volatile__(
        "vpxord %%zmm16, %%zmm16, %%zmm16\n vpxord %%zmm17, %%zmm17, %%zmm17\n"
        "vpxord %%zmm18, %%zmm18, %%zmm18\n vpxord %%zmm19, %%zmm19, %%zmm19\n"
        "vpxord %%zmm20, %%zmm20, %%zmm20\n vpxord %%zmm21, %%zmm21, %%zmm21\n"
        "vpxord %%zmm22, %%zmm22, %%zmm22\n vpxord %%zmm23, %%zmm23, %%zmm23\n"
        "vpxord %%zmm24, %%zmm24, %%zmm24\n vpxord %%zmm25, %%zmm25, %%zmm25\n"
        "vpxord %%zmm26, %%zmm26, %%zmm26\n vpxord %%zmm27, %%zmm27, %%zmm27\n"
        "vpxord %%zmm28, %%zmm28, %%zmm28\n vpxord %%zmm29, %%zmm29, %%zmm29\n"
        "vpxord %%zmm30, %%zmm30, %%zmm30\n vpxord %%zmm31, %%zmm31, %%zmm31" ::
            : "memory");
  }
#endif
}

void EraseFront(std::string& text, size_t count) {
  const size_t old_size = text.size();
  text.erase(0, count);
  const size_t new_size = text.size();
  text.resize(old_size);  // Within the capacity: the stale tail, now ours to zero.
  sodium_memzero(text.data() + new_size, old_size - new_size);
  text.resize(new_size);
}

void WipeMessage(Message& message) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // Only those set: unset ones hold nothing.
  std::string scratch;
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          WipeString(Stored(reflection->GetRepeatedStringReference(message, field, i, &scratch)));
        }
      } else {
        // An empty value may be the shared default instance: never write to that.
        const std::string& value = reflection->GetStringReference(message, field, &scratch);
        if (!value.empty()) WipeString(Stored(value));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          WipeMessage(*reflection->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        WipeMessage(*reflection->MutableMessage(&message, field));
      }
    }
  }
  WipeString(scratch);
  // A newer partner's fields this build does not know are kept as raw bytes.
  UnknownFieldSet* unknown = reflection->MutableUnknownFields(&message);
  for (int i = 0; i < unknown->field_count(); ++i) {
    UnknownField* field = unknown->mutable_field(i);
    if (field->type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      WipeString(*field->mutable_length_delimited());
    } else if (field->type() == UnknownField::TYPE_GROUP) {
      unknown->mutable_field(i)->mutable_group()->Clear();
    }
  }
}

}  // namespace inmost::crypto
