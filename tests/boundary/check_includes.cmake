# The include boundaries of runtime/CMakeLists.txt ("Boundaries"), checked by preprocessing one-line sources
# with a target's own include path (its include directories and those it gets from what it links, as the
# build computes them): each header of ALLOWED must be found with everything it includes, each of
# FORBIDDEN must fail as not found. Reachability is the preprocessor's business, so -E is enough (fast).
# A header that should be reachable and is not fails the test as surely as one that should not be and is.
#
#   cmake -DCXX=... -DNAME=... -DINCLUDES=<dirs> -DALLOWED=<headers> -DFORBIDDEN=<headers> -DWORK=<dir>
#         -P check_includes.cmake
foreach(var CXX NAME INCLUDES ALLOWED FORBIDDEN WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_includes.cmake: -D${var}=... is required")
  endif()
endforeach()
set(flags -std=c++20 -E -o /dev/null)
foreach(dir IN LISTS INCLUDES)
  if(NOT dir STREQUAL "")  # a target with no directories of its own gives an empty entry
    list(APPEND flags -I${dir})
  endif()
endforeach()
file(MAKE_DIRECTORY ${WORK})
set(failures "")
function(probe header outcome)
  string(MAKE_C_IDENTIFIER "${header}" id)
  set(src ${WORK}/${NAME}_${id}.cc)
  file(WRITE ${src} "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} ${flags} ${src} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(outcome STREQUAL "allowed" AND NOT rc EQUAL 0)
    set(failures "${failures}\n  ${NAME} cannot include \"${header}\", which it is given:\n${out}" PARENT_SCOPE)
  elseif(outcome STREQUAL "forbidden")
    if(rc EQUAL 0)
      set(failures "${failures}\n  ${NAME} can include \"${header}\", which is not on its side of the boundary" PARENT_SCOPE)
    elseif(NOT out MATCHES "No such file or directory")
      set(failures "${failures}\n  ${NAME}: \"${header}\" failed for another reason than not being found:\n${out}"
          PARENT_SCOPE)
    endif()
  endif()
endfunction()
foreach(h IN LISTS ALLOWED)
  probe(${h} allowed)
endforeach()
foreach(h IN LISTS FORBIDDEN)
  probe(${h} forbidden)
endforeach()
list(LENGTH ALLOWED n_allowed)
list(LENGTH FORBIDDEN n_forbidden)
if(failures)
  message(FATAL_ERROR "include boundary broken:${failures}")
endif()
message(STATUS "${NAME}: ${n_allowed} headers reachable, ${n_forbidden} internal headers out of reach, as intended")
