# What `cmake --install build --prefix P` puts in place (issue #10), all in one file:
#
#   P/bin/crosswalk                               the tool (exported as crosswalk::crosswalk)
#   P/lib/libcrosswalk.so.X.Y.Z, .so.X.Y, .so     the runtime (crosswalk::runtime)
#   P/lib/libcrosswalk.a                          the runtime, static (crosswalk::runtime_static)
#   P/lib/libcrosswalk_compiler.a                 the compiler, for hosts that compile maps (crosswalk::compiler)
#   P/lib/libcrosswalk_serve.a                    the live-feed parts of `crosswalk serve` (crosswalk::serve)
#   P/include/crosswalk/*.h                       the public runtime and C API headers
#   P/include/crosswalk/compiler/*.h              the public compiler headers
#   P/lib/cmake/crosswalk/                        crosswalkConfig.cmake + version, targets, FindCrosswalkRocksDB.cmake,
#                                                 CrosswalkMaps.cmake
#   P/lib/pkgconfig/crosswalk.pc, crosswalk-compiler.pc, crosswalk-serve.pc
#   P/share/crosswalk/maps/                       the shipped programs (.cwb) and their sources (.cw)
#   P/share/crosswalk/terminology/                the terminology seeds and the SEEDS list
#
# The install tree is relocatable: the CMake files compute the prefix from their own location, and the .pc
# files from ${pcfiledir}.
include(CMakePackageConfigHelpers)

set(CW_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/crosswalk)

set(CW_INSTALL_TARGETS crosswalk_runtime_shared crosswalk_runtime_static crosswalk_serve crosswalk)
if(TARGET crosswalk_compiler)
  list(APPEND CW_INSTALL_TARGETS crosswalk_compiler)
endif()
install(TARGETS ${CW_INSTALL_TARGETS} EXPORT crosswalkTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT crosswalkTargets NAMESPACE crosswalk:: DESTINATION ${CW_CMAKE_DIR})

# Public headers by glob: every header in runtime/include/crosswalk/ is public (and nothing else is).
file(GLOB CW_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/runtime/include/crosswalk/*.h)
install(FILES ${CW_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/crosswalk)
file(GLOB CW_COMPILER_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/compiler/include/crosswalk/compiler/*.h)
install(FILES ${CW_COMPILER_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/crosswalk/compiler)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/crosswalkConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/crosswalkConfig.cmake INSTALL_DESTINATION ${CW_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_DATADIR)
# Before 1.0 only the same minor release is compatible (the SONAME says the same).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/crosswalkConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/crosswalkConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/crosswalkConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindCrosswalkRocksDB.cmake
              ${PROJECT_SOURCE_DIR}/cmake/CrosswalkMaps.cmake
        DESTINATION ${CW_CMAKE_DIR})

# pkg-config. Libs.private lists what a static link (pkg-config --static) needs besides libcrosswalk.a.
file(RELATIVE_PATH CW_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
set(CW_PC_LIBS_PRIVATE "-lrocksdb -lfmt -lpthread -lstdc++ -lm")
configure_file(${PROJECT_SOURCE_DIR}/cmake/crosswalk.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/crosswalk.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/crosswalk.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(${PROJECT_SOURCE_DIR}/cmake/crosswalk-serve.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/crosswalk-serve.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/crosswalk-serve.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(TARGET crosswalk_compiler)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/crosswalk-compiler.pc.in
    ${PROJECT_BINARY_DIR}/pkgconfig/crosswalk-compiler.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/crosswalk-compiler.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# The shipped maps: the compiled programs and their sources.
install(FILES ${PROJECT_BINARY_DIR}/maps/hl7v2-to-fhir.cwb ${PROJECT_BINARY_DIR}/maps/fhir-to-internal.cwb
              ${PROJECT_BINARY_DIR}/maps/fhir-to-hl7v2.cwb
        DESTINATION ${CMAKE_INSTALL_DATADIR}/crosswalk/maps)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/maps/hl7v2 ${PROJECT_SOURCE_DIR}/maps/fhir
        DESTINATION ${CMAKE_INSTALL_DATADIR}/crosswalk/maps FILES_MATCHING PATTERN "*.cw")

# The terminology seeds (the store is built from them by the user's build: crosswalk_add_terminology).
file(STRINGS ${PROJECT_SOURCE_DIR}/maps/terminology/SEEDS CW_INSTALL_SEED_NAMES)
set(CW_INSTALL_SEEDS ${PROJECT_SOURCE_DIR}/maps/terminology/SEEDS ${PROJECT_SOURCE_DIR}/maps/terminology/README.md)
foreach(name ${CW_INSTALL_SEED_NAMES})
  if(name)
    list(APPEND CW_INSTALL_SEEDS ${PROJECT_SOURCE_DIR}/maps/terminology/${name})
  endif()
endforeach()
install(FILES ${CW_INSTALL_SEEDS} DESTINATION ${CMAKE_INSTALL_DATADIR}/crosswalk/terminology)
