/* Nothing of its own: the target exists for its header and its link setting. */
#include "cyaml.h"
