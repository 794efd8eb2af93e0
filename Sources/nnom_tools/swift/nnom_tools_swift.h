/* The host tools' C API, for the Swift module NNoM (SwiftPM's public headers of the CNNoM target). */
#include "nnom/tools.h"
