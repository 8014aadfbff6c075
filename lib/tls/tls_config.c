/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The [tls] keys (lib/config/config_keys.def) turned into a server and
 * worker options, so that both ports' glue and a reload build them the
 * same way: xmpp.domain's certificate first (the default), then each name
 * of tls.domains from tls.cert_dir. Key relations were checked by
 * sb_config_check(); here the files are loaded and each failure names its
 * file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "tls.h"

static int add_from_dir(struct sb_tls_server *srv, const char *dir, const char *domain,
			struct sb_tls_error *err)
{
	char cert[2 * SB_CONFIG_STR_MAX + 8], key[2 * SB_CONFIG_STR_MAX + 8];

	snprintf(cert, sizeof(cert), "%s/%s.pem", dir, domain);
	snprintf(key, sizeof(key), "%s/%s.key", dir, domain);
	return sb_tls_server_add_domain(srv, domain, cert, key, err);
}

struct sb_tls_server *sb_tls_server_from_config(const struct sb_config *cfg,
						const struct sb_tls_server *prev,
						struct sb_tls_error *err)
{
	struct sb_tls_server_opts o = {
		.ciphersuites = cfg->tls_ciphersuites,
		.ciphers12 = cfg->tls_ciphers12,
		.groups = cfg->tls_groups,
		.min_version = strcmp(cfg->tls_min_version, "1.3") == 0 ? SB_TLS_V13 : SB_TLS_V12,
		.ticket_rotate_s = (uint32_t)cfg->tls_ticket_rotate_s,
		/* ALPN on both ports: STARTTLS clients send none, and one that
		 * names only other protocols is not an XMPP client. */
		.alpn_xmpp = true,
	};
	struct sb_tls_server *srv = sb_tls_server_new(&o, prev, err);
	char list[SB_CONFIG_STR_MAX], *save = NULL;
	int rc;

	if (srv == NULL)
		return NULL;
	if (cfg->tls_cert_file[0] != '\0')
		rc = sb_tls_server_add_domain(srv, cfg->xmpp_domain, cfg->tls_cert_file,
					      cfg->tls_key_file, err);
	else
		rc = add_from_dir(srv, cfg->tls_cert_dir, cfg->xmpp_domain, err);
	snprintf(list, sizeof(list), "%s", cfg->tls_domains);
	for (char *d = strtok_r(list, " \t", &save); rc == 0 && d != NULL;
	     d = strtok_r(NULL, " \t", &save))
		rc = add_from_dir(srv, cfg->tls_cert_dir, d, err);
	if (rc < 0) {
		sb_tls_server_put(srv);
		return NULL;
	}
	return srv;
}

void sb_tls_worker_opts_from_config(const struct sb_config *cfg, struct sb_tls_worker_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hs_max = (uint32_t)cfg->tls_handshakes_per_worker;
	o->rekey_records = cfg->tls_rekey_records;
}
