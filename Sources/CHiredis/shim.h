/* CHiredis: exposes hiredis 0.14's protocol layer (command formatting, the reply reader) to Swift. */
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
