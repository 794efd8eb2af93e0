# CMake toolchain file for bare-metal Arm Cortex-M with the GNU Arm Embedded
# toolchain (Debian: gcc-arm-none-eabi + libnewlib-arm-none-eabi).
#
#   cmake -S examples/cortex-m4 -B build/fw \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
#
# The CPU defaults to a Cortex-M4 with its single-precision FPU (hard float);
# choose another one with -DNNOM_ARM_CPU_FLAGS="-mcpu=cortex-m7 -mthumb
# -mfloat-abi=hard -mfpu=fpv5-d16", or "-mcpu=cortex-m0plus -mthumb" for a
# core without the DSP extension (the portable kernels are then used).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_CROSSCOMPILING ON)

set(NNOM_ARM_TRIPLE arm-none-eabi CACHE STRING "Prefix of the cross tools (arm-none-eabi-gcc ...)")
set(NNOM_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
    CACHE STRING "Target CPU flags, used to compile and to link")

set(CMAKE_C_COMPILER ${NNOM_ARM_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${NNOM_ARM_TRIPLE}-g++)
set(CMAKE_ASM_COMPILER ${NNOM_ARM_TRIPLE}-gcc)
set(CMAKE_AR ${NNOM_ARM_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${NNOM_ARM_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${NNOM_ARM_TRIPLE}-objcopy CACHE FILEPATH "")
set(CMAKE_SIZE ${NNOM_ARM_TRIPLE}-size CACHE FILEPATH "")

# There is no OS to run a test program on: try_compile builds a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Every function and object in its own section, so that the linker's
# --gc-sections keeps only what the firmware reaches.
set(CMAKE_C_FLAGS_INIT "${NNOM_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${NNOM_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${NNOM_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${NNOM_ARM_CPU_FLAGS} -Wl,--gc-sections")

# Look for programs on the host, for libraries and headers in the target's sysroot only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH) # find_package(nnom) in a CMAKE_PREFIX_PATH
