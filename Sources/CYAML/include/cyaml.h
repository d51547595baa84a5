#ifndef LLMR_CYAML_H
#define LLMR_CYAML_H

/* libyaml's event parser, for the config loader (libyaml-dev). A C target
   rather than a system library so that Package.swift can link the static
   archive when there is one. */
#include <yaml.h>

#endif
