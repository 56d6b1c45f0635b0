// crosswalk::Disassemble (crosswalk/runtime.h): the public face of the bytecode disassembler.
#include <exception>
#include <new>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "crosswalk/runtime.h"

namespace crosswalk {

Result<std::string> Disassemble(std::string_view cwb_bytes) noexcept {
  try {
    auto program = bytecode::ReadProgram(cwb_bytes);
    if (!program.ok()) return program.status();
    return bytecode::Disassemble(*program);
  } catch (const std::bad_alloc&) {
    return LimitExceeded("out of memory disassembling the program");
  } catch (const std::exception& e) {
    return Internal(std::string("disassembling the program: ") + e.what());
  }
}

}  // namespace crosswalk
