# Builds one seed directory for the fuzz targets from files already in the tree (run at build time, so no
# fixture is copied into git twice):
#   cmake -DOUT=<dir> -DROOT=<dir names are made relative to> -DDIRS=<a|b> -DEXTS=<hl7|json> -P make_seeds.cmake
# Every file under DIRS whose name ends in one of EXTS is copied to OUT, its relative path flattened into
# its name (tests/fixtures/hl7v2/x/a.hl7 -> tests__fixtures__hl7v2__x__a.hl7). OUT is emptied first.
foreach(var OUT ROOT DIRS EXTS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "make_seeds.cmake: -D${var}= is required")
  endif()
endforeach()
string(REPLACE "|" ";" dirs "${DIRS}")
string(REPLACE "|" ";" exts "${EXTS}")
file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
set(count 0)
foreach(dir IN LISTS dirs)
  foreach(ext IN LISTS exts)
    file(GLOB_RECURSE files "${dir}/*.${ext}")
    foreach(f IN LISTS files)
      file(RELATIVE_PATH rel "${ROOT}" "${f}")
      string(REPLACE "/" "__" name "${rel}")
      file(COPY_FILE "${f}" "${OUT}/${name}")
      math(EXPR count "${count} + 1")
    endforeach()
  endforeach()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "make_seeds.cmake: no seed found for ${OUT}")
endif()
