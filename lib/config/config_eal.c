/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Turning the configuration into EAL arguments, for both processes (the
 * control plane links this file too: one place decides how the two attach).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_eal.h"

static int eal_push(struct sb_eal_args *a, const char *s)
{
	size_t len = strlen(s) + 1;

	if (a->argc >= SB_EAL_ARGV_MAX || a->used + len > sizeof(a->buf))
		return -E2BIG;
	memcpy(a->buf + a->used, s, len);
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += len;
	return 0;
}

static int eal_pushf(struct sb_eal_args *a, const char *opt, const char *val)
{
	char tmp[SB_CONFIG_STR_MAX + 32];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", opt, val) >= sizeof(tmp))
		return -E2BIG;
	return eal_push(a, tmp);
}

/* Split extra_args on blanks; quoting is not supported, and not needed by
 * any EAL option. */
static int eal_push_extra(struct sb_eal_args *a, const char *extra)
{
	char tmp[SB_CONFIG_STR_MAX];
	char *save = NULL, *tok;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s", extra);
	for (tok = strtok_r(tmp, " \t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, " \t", &save))
		rc = eal_push(a, tok);
	return rc;
}

int sb_eal_args_primary(struct sb_eal_args *a, const char *prog, const struct sb_config *cfg)
{
	char mem[32];
	int rc = 0;

	memset(a, 0, sizeof(*a));
	rc |= eal_push(a, prog);
	/* A mapping such as "0@0,1@1,2@1" (several lcores on one core, e.g.
	 * two workers on a small box) needs --lcores; a plain list is -l. */
	if (strpbrk(cfg->eal_lcores, "@(") != NULL)
		rc |= eal_pushf(a, "--lcores=", cfg->eal_lcores);
	else
		rc |= eal_pushf(a, "-l", cfg->eal_lcores);
	rc |= eal_pushf(a, "--file-prefix=", cfg->eal_file_prefix);
	rc |= eal_push(a, "--proc-type=primary");
	if (cfg->port0_pci[0] != '\0')
		rc |= eal_pushf(a, "--allow=", cfg->port0_pci);
	else
		rc |= eal_push(a, "--no-pci");
	if (cfg->port0_vdev[0] != '\0')
		rc |= eal_pushf(a, "--vdev=", cfg->port0_vdev);
	if (cfg->eal_mem_mb != 0) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)cfg->eal_mem_mb);
		rc |= eal_pushf(a, "-m", mem);
	}
	rc |= eal_push_extra(a, cfg->eal_extra_args);
	return rc ? -E2BIG : 0;
}

int sb_eal_args_secondary(struct sb_eal_args *a, const char *prog, const struct sb_config *cfg)
{
	int rc = 0;

	memset(a, 0, sizeof(*a));
	rc |= eal_push(a, prog);
	rc |= eal_pushf(a, "--lcores=", cfg->eal_control_lcores);
	rc |= eal_pushf(a, "--file-prefix=", cfg->eal_file_prefix);
	rc |= eal_push(a, "--proc-type=secondary");
	rc |= eal_push(a, "--no-pci");
	/* The control plane uses no port; it must not share the telemetry
	 * socket name with the primary either. */
	rc |= eal_push(a, "--no-telemetry");
	rc |= eal_push(a, "--log-level=lib.eal:error");
	return rc ? -E2BIG : 0;
}
