/* The program's version, for vfmgr --version and the vfmgr_build_info metric. */
#ifndef VFMGR_VERSION_H
#define VFMGR_VERSION_H

#ifndef VFMGR_VERSION
#define VFMGR_VERSION "0.1"
#endif

#endif
