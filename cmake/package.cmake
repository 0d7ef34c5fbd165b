# What `cmake --install` puts where, and the Debian package of it (scripts/package,
# CPack's DEB generator). Paths are relative to the prefix (/usr in the package):
# klp-build finds the template and the fetch script at ../share/klpkit/ from its
# own directory.
include(GNUInstallDirs)

install(TARGETS create-diff-object klp-convert klp-build kpatch-build klpkit
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The module template klp-build compiles for each target, with the headers patch
# authors include (klp-macros.h, kpatch-macros.h, ...).
install(DIRECTORY kmod-template/ DESTINATION ${CMAKE_INSTALL_DATADIR}/klpkit/kmod-template
        PATTERN "*.o" EXCLUDE PATTERN ".*" EXCLUDE)
install(PROGRAMS scripts/kernel/fetch-debian-kernel scripts/kernel/debian_archive.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/klpkit/scripts/kernel)
install(FILES examples/cmdline.patch examples/cmdline.check
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md docs/klp-build.md docs/exit-codes.md docs/bundled-core.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES tools/klpkit/klpkit.service DESTINATION lib/systemd/system)
file(GLOB klpkit_man_pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.1)
install(FILES ${klpkit_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
if(EXISTS ${PROJECT_SOURCE_DIR}/tools/completion/klpkit.bash)
  install(FILES tools/completion/klpkit.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          RENAME klpkit)
  foreach(tool klp-build kpatch-build create-diff-object klp-convert)
    # bash-completion loads completions/<command> on first use: one file, a link per tool.
    install(CODE "file(CREATE_LINK klpkit \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/bash-completion/completions/${tool} SYMBOLIC)")
  endforeach()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME klpkit)
set(CPACK_PACKAGE_VENDOR klpkit)
set(CPACK_PACKAGE_CONTACT "klpkit developers <klpkit@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "build, prove and manage Linux livepatch modules from source patches")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "klp-build turns a kernel source patch into a verified livepatch module for\n\
the exact kernel it is for (Debian's 5.10 to 7.x, distribution kernels,\n\
out-of-tree modules, kernels without CONFIG_LIVEPATCH through klpkit-core.ko),\n\
and proves it in that kernel under QEMU. klpkit loads, lists, unloads and\n\
installs livepatches on the machine being patched; klpkit.service loads the\n\
installed ones at boot. kpatch-build takes kpatch-build's command line.")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What klp-build runs: the kernel's build (make, the compiler, flex, bison, bc,
# libelf-dev, libssl-dev for objtool and modpost), patch, the archive fetch
# (python3, xz, zstd), build roots (debootstrap, bubblewrap) and proofs (QEMU,
# a static busybox).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "make, gcc, bc, flex, bison, libelf-dev, libssl-dev, patch, python3, xz-utils, zstd, cpio, debootstrap, bubblewrap, qemu-system-x86, busybox-static")
# klpkit.service enabled (not started) on install: it loads nothing until a
# livepatch is installed with klpkit install (ConditionDirectoryNotEmpty).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/cmake/debian/postinst
    ${PROJECT_SOURCE_DIR}/cmake/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
