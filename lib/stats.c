// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stddef.h>

#include "stats.h"

static const char *const stat_names[XM_STAT__MAX] = {
#define XM_STAT_NAME(id, name, help) [XM_STAT_##id] = name,
	XM_STATS(XM_STAT_NAME)
#undef XM_STAT_NAME
};

static const char *const stat_help[XM_STAT__MAX] = {
#define XM_STAT_HELP(id, name, help) [XM_STAT_##id] = help,
	XM_STATS(XM_STAT_HELP)
#undef XM_STAT_HELP
};

const char *xm_stat_name(unsigned int stat)
{
	return stat < XM_STAT__MAX ? stat_names[stat] : NULL;
}

const char *xm_stat_help(unsigned int stat)
{
	return stat < XM_STAT__MAX ? stat_help[stat] : NULL;
}
