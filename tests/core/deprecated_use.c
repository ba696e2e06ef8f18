/* Compiled by ctest only to check that the compiler reports the
 * deprecation (the build of this file is expected to warn). */
#include "supermachine_kernel.h"

int use_deprecated(void);
int use_deprecated(void)
{
	return smk_extract_to("/nonexistent/kernel");
}
