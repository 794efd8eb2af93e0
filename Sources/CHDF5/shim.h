/* Resolved through pkg-config hdf5's include path (/usr/include/hdf5/serial on Debian). */
#include <hdf5.h>
