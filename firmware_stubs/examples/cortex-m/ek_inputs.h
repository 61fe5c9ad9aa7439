/* Validation inputs embedded in the Cortex-M example (ek_inputs.c is written by the test or
 * benchmark that builds it: EK_NUM_INPUTS normalised feature vectors of the model's shape). */
#ifndef EK_INPUTS_H
#define EK_INPUTS_H

#include "edgekit_model.h"

#ifndef EK_NUM_INPUTS
#define EK_NUM_INPUTS ek_num_inputs
#endif
#ifndef EK_DEMO_MARGIN
#define EK_DEMO_MARGIN ek_demo_margin
#endif

extern const int ek_num_inputs;
extern const float ek_demo_margin; /* the early-exit margin the example runs */
extern const float ek_inputs[][EK_MODEL_INPUT_STEPS * EK_MODEL_INPUT_CHANNELS];

#endif
