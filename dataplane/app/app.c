/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The table of applications a listener can name.
 */
#include "app.h"

const struct sb_app_ops *const sb_apps[SB_APP_MAX] = {
	[SB_APP_ECHO] = &sb_app_echo,
	[SB_APP_DISCARD] = &sb_app_discard,
	[SB_APP_C2S] = &sb_xc_app,
};
