// MLLP framing: MllpDeframer and AppendMllpFrame are public (crosswalk/serve.h); this internal name stays
// for the server's sources.
#pragma once

#include "crosswalk/serve.h"
