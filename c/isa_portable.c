/* The kernels for any CPU: the loops of rows/ compiled for the baseline target. */
#define PK_KERNELS_NAME "portable"
#define PK_KERNELS_TABLE pk_kernels_portable
#include "rows/table.h"
