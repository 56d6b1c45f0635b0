# FindCrosswalkRocksDB: the RocksDB Crosswalk links, as the imported target crosswalk::rocksdb.
#
# Found by header and library path (the shared librocksdb.so when there is one). Debian's librocksdb-dev
# does ship a CMake package, but its RocksDB::rocksdb is the static, non-PIC librocksdb.a, which cannot go
# into libcrosswalk.so; and a target of our own name cannot collide with a host's own RocksDB targets.
# Crosswalk's build uses this module, and crosswalkConfig.cmake (next to which it is installed) too.
#
# Result: CrosswalkRocksDB_FOUND, ROCKSDB_INCLUDE_DIR, ROCKSDB_LIBRARY (cache; set them to choose another
# RocksDB) and the target crosswalk::rocksdb.
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h)
find_library(ROCKSDB_LIBRARY NAMES rocksdb)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CrosswalkRocksDB REQUIRED_VARS ROCKSDB_LIBRARY ROCKSDB_INCLUDE_DIR)

if(CrosswalkRocksDB_FOUND AND NOT TARGET crosswalk::rocksdb)
  add_library(crosswalk::rocksdb UNKNOWN IMPORTED)
  set_target_properties(crosswalk::rocksdb PROPERTIES
    IMPORTED_LOCATION "${ROCKSDB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ROCKSDB_INCLUDE_DIR}")
endif()
