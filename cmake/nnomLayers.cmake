# Linking only the layer types a firmware's models use (docs/porting.md, "Linking only the layers a
# model uses"). Included by nnom's CMakeLists.txt (nnom added from source with add_subdirectory or
# FetchContent) and by the installed package (find_package(nnom)).

# nnom_layers_of_header(header out_var): the layer types a generated weights.h (or any header with an
# "nnom-layers:" line) lists, as a CMake list.
function(nnom_layers_of_header header out_var)
  file(STRINGS "${header}" line REGEX "nnom-layers:")
  if(NOT line)
    message(FATAL_ERROR "nnom: ${header} has no 'nnom-layers:' line (headers written by nnom 0.1 and later have one)")
  endif()
  list(GET line 0 line)
  string(REGEX REPLACE ".*nnom-layers:[ ]*" "" line "${line}")
  string(STRIP "${line}" line)
  string(REGEX REPLACE "[ ]+" ";" line "${line}")
  set(${out_var} ${line} PARENT_SCOPE)
endfunction()

# nnom_link_only_layers(type...): the runtime is built with only these layer types (names as
# nnom_layer_type_name() gives them: conv2d, max_pool2d, dense, ...; input and output are always in).
# Other types, their kernels and float code are not linked; a model needing one fails to load with
# "layer '...': type ... is not supported by this build".
# - nnom added from source: sets the definitions of the nnom_static target.
# - installed package (a static or runtime-only install, as for firmware): compiles the installed
#   runtime sources with this project's toolchain and flags into nnom_selected_runtime, which nnom::nnom
#   then stands for. (A package whose nnom::nnom is the shared library cannot drop layers.)
function(nnom_link_only_layers)
  set(defs NNOM_LAYERS_ONLY)
  foreach(type ${ARGN})
    if(type STREQUAL "input" OR type STREQUAL "output")
      continue()
    endif()
    string(TOUPPER "${type}" TYPE)
    list(APPEND defs NNOM_WITH_${TYPE}=1)
  endforeach()
  if(TARGET nnom_static)
    target_compile_definitions(nnom_static PRIVATE ${defs})
    return()
  endif()
  if(NOT NNOM_INSTALLED_RUNTIME_DIR OR NOT TARGET nnom::nnom_static)
    message(FATAL_ERROR "nnom_link_only_layers: neither nnom's source tree nor its installed package is loaded")
  endif()
  get_target_property(_kind nnom::nnom TYPE)
  if(NOT _kind STREQUAL "INTERFACE_LIBRARY")
    message(FATAL_ERROR "nnom_link_only_layers: this installed nnom::nnom is the shared library, which holds every "
                        "layer; link nnom::nnom_static of a runtime-only install, or add nnom from source")
  endif()
  if(TARGET nnom_selected_runtime)
    message(FATAL_ERROR "nnom_link_only_layers: call it once, with every type the project's models use")
  endif()
  set(_srcs)
  foreach(dir ${NNOM_INSTALLED_RUNTIME_DIRS})
    file(GLOB _dir_srcs "${NNOM_INSTALLED_RUNTIME_DIR}/${dir}/*.c")
    list(APPEND _srcs ${_dir_srcs})
  endforeach()
  add_library(nnom_selected_runtime STATIC ${_srcs})
  target_include_directories(nnom_selected_runtime PRIVATE "${NNOM_INSTALLED_RUNTIME_DIR}")
  get_target_property(_includes nnom::nnom_static INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(nnom_selected_runtime PUBLIC ${_includes})
  get_target_property(_public_defs nnom::nnom_static INTERFACE_COMPILE_DEFINITIONS)
  if(_public_defs)
    list(REMOVE_ITEM _public_defs NNOM_HAS_TOOLS=1)
    target_compile_definitions(nnom_selected_runtime PUBLIC ${_public_defs})
  endif()
  target_compile_definitions(nnom_selected_runtime PRIVATE ${defs})
  set_target_properties(nnom_selected_runtime PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)
  if(NOT CMAKE_CROSSCOMPILING)
    target_link_libraries(nnom_selected_runtime PUBLIC m)
  endif()
  set_property(TARGET nnom::nnom PROPERTY INTERFACE_LINK_LIBRARIES nnom_selected_runtime)
endfunction()

# nnom_link_only_layers_of_header(header...): nnom_link_only_layers() with every type the headers list.
function(nnom_link_only_layers_of_header)
  set(_all)
  foreach(header ${ARGN})
    nnom_layers_of_header("${header}" _types)
    list(APPEND _all ${_types})
  endforeach()
  list(REMOVE_DUPLICATES _all)
  message(STATUS "nnom: linking layer types ${_all}")
  nnom_link_only_layers(${_all})
endfunction()
