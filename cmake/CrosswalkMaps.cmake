# CrosswalkMaps.cmake: compile Crosswalk maps (.cw) into a program (.cwb) and seed a terminology store as
# build steps. Used by the project's own maps/CMakeLists.txt and installed into lib/cmake/crosswalk for users:
#
#   find_package(crosswalk CONFIG REQUIRED)   # includes this file (or: include(CrosswalkMaps) with
#                                             # <prefix>/lib/cmake/crosswalk on CMAKE_MODULE_PATH)
#   crosswalk_add_maps(TARGET my_maps OUTPUT ${CMAKE_BINARY_DIR}/maps/my.cwb
#                      SOURCES maps/adt.cw maps/oru.cw INCLUDE_DIRS maps [TERMINOLOGY my_term] [ALL])
#   crosswalk_add_terminology(TARGET my_term DB ${CMAKE_BINARY_DIR}/terminology
#                             SEEDS codes.ndjson local-lab.csv [ALL]
#                             [CSV_MAP_URL url] [CSV_MAP_VERSION v] [CSV_COLUMNS source_code=LocalCode ...])
#
# The crosswalk tool, found by itself: the target crosswalk::crosswalk when there is one (the Crosswalk
# build itself, add_subdirectory/FetchContent of the source tree, or find_package(crosswalk), whose
# crosswalkConfig.cmake includes this file); else CROSSWALK_EXECUTABLE, found on PATH or in the bin/
# directory of the prefix this file is installed in (<prefix>/lib/cmake/crosswalk/../../../bin).
# With TERMINOLOGY (a target made by crosswalk_add_terminology, declared before or after), the program is
# compiled against that store (`crosswalk compile --term`: it records the version and content hash of each
# terminology resource it names, and compiling fails, naming what is missing, when the store lacks one),
# and the build loads it against the store (`crosswalk run --check`).
# A program is recompiled only when a source, a .cw file under an include dir, or the tool changed; the
# store is re-imported only when a seed file or the tool changed (a stamp file records it).
include_guard(GLOBAL)

set(_CROSSWALK_MAPS_MODULE_DIR "${CMAKE_CURRENT_LIST_DIR}" CACHE INTERNAL "where CrosswalkMaps.cmake lives")

function(_crosswalk_tool out_var out_dep)
  if(TARGET crosswalk::crosswalk)
    set(${out_var} $<TARGET_FILE:crosswalk::crosswalk> PARENT_SCOPE)
    get_target_property(real crosswalk::crosswalk ALIASED_TARGET)
    if(real)
      set(${out_dep} ${real} PARENT_SCOPE)                              # a target of this build
    else()
      set(${out_dep} $<TARGET_FILE:crosswalk::crosswalk> PARENT_SCOPE)  # imported: depend on the file
    endif()
  else()
    get_filename_component(prefix_bin "${_CROSSWALK_MAPS_MODULE_DIR}/../../../bin" ABSOLUTE)
    find_program(CROSSWALK_EXECUTABLE crosswalk HINTS ${prefix_bin} REQUIRED)
    set(${out_var} ${CROSSWALK_EXECUTABLE} PARENT_SCOPE)
    set(${out_dep} ${CROSSWALK_EXECUTABLE} PARENT_SCOPE)
  endif()
endfunction()

function(crosswalk_add_maps)
  cmake_parse_arguments(CW "ALL" "TARGET;OUTPUT;TERMINOLOGY" "SOURCES;INCLUDE_DIRS" ${ARGN})
  if(NOT CW_TARGET OR NOT CW_OUTPUT OR NOT CW_SOURCES)
    message(FATAL_ERROR "crosswalk_add_maps: TARGET, OUTPUT and SOURCES are required")
  endif()
  if(CW_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "crosswalk_add_maps: unknown arguments: ${CW_UNPARSED_ARGUMENTS}")
  endif()
  _crosswalk_tool(tool tool_dep)
  set(sources)
  foreach(src ${CW_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE)
    list(APPEND sources ${abs})
  endforeach()
  set(include_args)
  set(deps ${sources})
  foreach(dir ${CW_INCLUDE_DIRS})
    get_filename_component(abs ${dir} ABSOLUTE)
    list(APPEND include_args -I ${abs})
    file(GLOB_RECURSE imported CONFIGURE_DEPENDS ${abs}/*.cw)
    list(APPEND deps ${imported})
  endforeach()
  # Modules imported from the sources' own folders.
  foreach(src ${sources})
    get_filename_component(dir ${src} DIRECTORY)
    file(GLOB siblings CONFIGURE_DEPENDS ${dir}/*.cw)
    list(APPEND deps ${siblings})
  endforeach()
  list(REMOVE_DUPLICATES deps)
  get_filename_component(out_dir ${CW_OUTPUT} DIRECTORY)
  get_filename_component(out_name ${CW_OUTPUT} NAME)
  # With TERMINOLOGY the program is bound to the store (`compile --term`: the version and content hash of
  # each resource it names), so it is recompiled when the store is re-imported.
  set(term_args)
  if(CW_TERMINOLOGY)
    set(term_args --term $<TARGET_PROPERTY:${CW_TERMINOLOGY},CROSSWALK_DB>)
    list(APPEND deps ${CW_TERMINOLOGY} $<TARGET_PROPERTY:${CW_TERMINOLOGY},CROSSWALK_STAMP>)
  endif()
  add_custom_command(
    OUTPUT ${CW_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${tool} compile ${sources} -o ${CW_OUTPUT} ${include_args} ${term_args}
    DEPENDS ${deps} ${tool_dep}
    COMMENT "Compiling Crosswalk maps into ${out_name}"
    VERBATIM)
  set(outputs ${CW_OUTPUT})
  if(CW_TERMINOLOGY)
    set(db $<TARGET_PROPERTY:${CW_TERMINOLOGY},CROSSWALK_DB>)
    set(checked ${CW_OUTPUT}.checked)
    add_custom_command(
      OUTPUT ${checked}
      COMMAND ${tool} run ${CW_OUTPUT} --term ${db} --check
      COMMAND ${CMAKE_COMMAND} -E touch ${checked}
      DEPENDS ${CW_OUTPUT} ${CW_TERMINOLOGY} $<TARGET_PROPERTY:${CW_TERMINOLOGY},CROSSWALK_STAMP>
      COMMENT "Checking that the terminology store holds what ${out_name} uses"
      VERBATIM)
    list(APPEND outputs ${checked})
  endif()
  if(CW_ALL)
    add_custom_target(${CW_TARGET} ALL DEPENDS ${outputs})
  else()
    add_custom_target(${CW_TARGET} DEPENDS ${outputs})
  endif()
  set_target_properties(${CW_TARGET} PROPERTIES CROSSWALK_PROGRAM ${CW_OUTPUT})
endfunction()

# CSV options apply to every CSV seed of the store: CSV_MAP_URL (--map-url: the map URL of rows without
# one), CSV_MAP_VERSION (--map-version), CSV_COLUMNS canonical=Header... (--column, e.g.
# source_code=LocalCode). FHIR JSON/NDJSON seeds ignore them.
function(crosswalk_add_terminology)
  cmake_parse_arguments(CW "ALL" "TARGET;DB;CSV_MAP_URL;CSV_MAP_VERSION" "SEEDS;CSV_COLUMNS" ${ARGN})
  if(NOT CW_TARGET OR NOT CW_DB OR NOT CW_SEEDS)
    message(FATAL_ERROR "crosswalk_add_terminology: TARGET, DB and SEEDS are required")
  endif()
  if(CW_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "crosswalk_add_terminology: unknown arguments: ${CW_UNPARSED_ARGUMENTS}")
  endif()
  _crosswalk_tool(tool tool_dep)
  set(seeds)
  foreach(seed ${CW_SEEDS})
    get_filename_component(abs ${seed} ABSOLUTE)
    list(APPEND seeds ${abs})
  endforeach()
  set(csv_args)
  if(CW_CSV_MAP_URL)
    list(APPEND csv_args --map-url ${CW_CSV_MAP_URL})
  endif()
  if(CW_CSV_MAP_VERSION)
    list(APPEND csv_args --map-version ${CW_CSV_MAP_VERSION})
  endif()
  foreach(column ${CW_CSV_COLUMNS})
    list(APPEND csv_args --column ${column})
  endforeach()
  get_filename_component(db ${CW_DB} ABSOLUTE)
  set(stamp ${db}.stamp)
  # A fresh store each time: an import replaces versions it names but keeps resources no longer seeded.
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${db}
    COMMAND ${tool} term import --db ${db} ${csv_args} ${seeds} > ${db}.import.log
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${seeds} ${tool_dep}
    COMMENT "Seeding the Crosswalk terminology store ${db}"
    VERBATIM)
  if(CW_ALL)
    add_custom_target(${CW_TARGET} ALL DEPENDS ${stamp})
  else()
    add_custom_target(${CW_TARGET} DEPENDS ${stamp})
  endif()
  set_target_properties(${CW_TARGET} PROPERTIES CROSSWALK_DB ${db} CROSSWALK_STAMP ${stamp})
endfunction()
