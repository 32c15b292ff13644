#ifndef UPSHIFT_CLIBPQ_SHIM_H
#define UPSHIFT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
