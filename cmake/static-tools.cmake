# Static tools. create-diff-object runs once per changed object, and on a typical
# pair a dynamically linked build of it spent most of its start in the dynamic
# loader: 66k relative relocations of a PIE holding LLVM's tables, the symbol
# relocations of libstdc++, libfmt, libelf and Boost (4.5M instructions and ~620 page
# faults before main for --help). Linked -static it starts in 0.5M instructions and
# ~90 faults. A tool opts in with klp_link_static(<target>); the dependencies below
# then resolve to archives for that target only, and every library and test that
# shares them stays dynamic. Off for sanitizer and fuzzer builds (ASan has no
# -static), or when an archive is missing (said at configure time).
option(KLPKIT_STATIC_TOOLS "link create-diff-object statically (a faster start)" ON)

set(klp_static_ok ${KLPKIT_STATIC_TOOLS})
if(KLPKIT_SANITIZE OR KLPKIT_FUZZERS)
  set(klp_static_ok OFF)
endif()

# The archives a static link needs besides the C and C++ runtimes. Debian ships no
# libfmt.a: fmt's compiled part is built here from its own header (fmt 9).
if(klp_static_ok)
  find_library(KLP_LIBELF_A NAMES libelf.a)
  find_library(KLP_LIBZ_A NAMES libz.a)
  find_library(KLP_LIBTINFO_A NAMES libtinfo.a)
  find_library(KLP_PROGRAM_OPTIONS_A NAMES libboost_program_options.a)
  find_library(KLP_LIBFMT_A NAMES libfmt.a)
  foreach(a KLP_LIBELF_A KLP_LIBZ_A KLP_LIBTINFO_A KLP_PROGRAM_OPTIONS_A)
    if(NOT ${a})
      message(STATUS "KLPKIT_STATIC_TOOLS: ${a} not found; tools linked dynamically")
      set(klp_static_ok OFF)
    endif()
  endforeach()
  if(NOT KLP_LIBFMT_A AND (fmt_VERSION VERSION_LESS 9 OR NOT fmt_VERSION VERSION_LESS 10))
    message(STATUS "KLPKIT_STATIC_TOOLS: no libfmt.a for fmt ${fmt_VERSION}; tools linked dynamically")
    set(klp_static_ok OFF)
  endif()
endif()
if(klp_static_ok)
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS -static)
  check_cxx_source_compiles("#include <string>\nint main() { return std::string(\"x\").size() - 1; }"
                            KLP_CXX_LINKS_STATIC)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT KLP_CXX_LINKS_STATIC)
    message(STATUS "KLPKIT_STATIC_TOOLS: no static C/C++ runtime; tools linked dynamically")
    set(klp_static_ok OFF)
  endif()
endif()

set(klp_static "$<BOOL:$<TARGET_PROPERTY:KLPKIT_STATIC>>")
set(klp_dynamic "$<NOT:${klp_static}>")

# klp::<name>: the imported shared library `shared`, or for a static tool the
# archives that follow; the headers either way.
function(klp_dependency name shared)
  add_library(klp_dep_${name} INTERFACE)
  target_link_libraries(klp_dep_${name} INTERFACE "$<${klp_dynamic}:${shared}>")
  foreach(archive IN LISTS ARGN)
    target_link_libraries(klp_dep_${name} INTERFACE "$<${klp_static}:${archive}>")
  endforeach()
  target_include_directories(klp_dep_${name} SYSTEM INTERFACE
    $<TARGET_PROPERTY:${shared},INTERFACE_INCLUDE_DIRECTORIES>)
  add_library(klp::${name} ALIAS klp_dep_${name})
endfunction()

if(klp_static_ok)
  if(KLP_LIBFMT_A)
    set(klp_fmt_archive ${KLP_LIBFMT_A})
  else()
    add_library(klp_fmt_static STATIC ${PROJECT_SOURCE_DIR}/cmake/fmt-static.cc)
    target_include_directories(klp_fmt_static SYSTEM PRIVATE
      $<TARGET_PROPERTY:fmt::fmt,INTERFACE_INCLUDE_DIRECTORIES>)
    set(klp_fmt_archive klp_fmt_static)
  endif()
  klp_dependency(fmt fmt::fmt ${klp_fmt_archive})
  klp_dependency(libelf PkgConfig::LIBELF ${KLP_LIBELF_A} ${KLP_LIBZ_A})
  klp_dependency(program_options Boost::program_options ${KLP_PROGRAM_OPTIONS_A})
  # LLVM's component archives are static already; LLVMSupport's interface names
  # shared zlib and terminfo (and Z3, whose only user, Z3Solver.cpp, a static link
  # never pulls in).
  get_target_property(llvm_support_deps LLVMSupport INTERFACE_LINK_LIBRARIES)
  set(deps)
  foreach(dep IN LISTS llvm_support_deps)
    if(dep MATCHES "\\.so$" OR dep STREQUAL "ZLIB::ZLIB" OR dep STREQUAL "Terminfo::terminfo")
      list(APPEND deps "$<${klp_dynamic}:${dep}>")
    else()
      list(APPEND deps "${dep}")
    endif()
  endforeach()
  list(APPEND deps "$<${klp_static}:${KLP_LIBZ_A}>" "$<${klp_static}:${KLP_LIBTINFO_A}>")
  set_target_properties(LLVMSupport PROPERTIES INTERFACE_LINK_LIBRARIES "${deps}")
else()
  klp_dependency(fmt fmt::fmt)
  klp_dependency(libelf PkgConfig::LIBELF)
  klp_dependency(program_options Boost::program_options)
endif()

# Links <target> -static when the archives are there; else a plain dynamic link.
# ld warns that LLVM's Path.cpp uses getpwnam()/getpwuid() (for `~user` paths):
# the tools never expand one.
function(klp_link_static target)
  if(klp_static_ok)
    set_target_properties(${target} PROPERTIES KLPKIT_STATIC ON)
    target_link_options(${target} PRIVATE -static -Wl,--gc-sections)
  endif()
endfunction()
