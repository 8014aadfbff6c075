/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/tls server contexts and key schedule: certificate days to expiry
 * (valid and expired), refusals when building a server (key mismatch,
 * missing file, bad lists, too many domains), the RFC 8448 key vectors, and
 * the counter table.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "config.h"
#include "tls_harness.h"
#include "tls_priv.h"

static struct th_pki pki;

static int group_setup(void **state)
{
	(void)state;
	th_pki_make(&pki);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	th_pki_remove(&pki);
	return 0;
}

static void test_days_left(void **state)
{
	struct sb_tls_error err;
	struct sb_tls_server *srv = sb_tls_server_new(NULL, NULL, &err);
	time_t now = time(NULL);
	int days = 0;

	(void)state;
	assert_non_null(srv);
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", pki.cert[0], pki.key[0],
						  &err), 0);
	assert_int_equal(sb_tls_server_add_domain(srv, "expired.test", pki.cert[2], pki.key[2],
						  &err), 0);
	assert_int_equal(sb_tls_server_domains(srv), 2);
	assert_string_equal(sb_tls_server_domain(srv, 1), "expired.test");
	assert_int_equal(sb_tls_server_days_left(srv, 0, now, &days), 0);
	assert_true(days == 29 || days == 30);
	assert_int_equal(sb_tls_server_days_left(srv, 1, now, &days), 0);
	assert_int_equal(days, -1); /* expired 12 hours ago: rounded down */
	assert_int_equal(sb_tls_server_days_left(srv, 1, now - 3 * 86400, &days), 0);
	assert_int_equal(days, 2);  /* as seen three days ago: 2 days 12 hours left */
	assert_int_equal(sb_tls_server_days_left(srv, 2, now, &days), -ENOENT);
	sb_tls_server_put(srv);
}

/* tls-server-end-point (RFC 5929 §4.1): SHA-256 of the DER certificate
 * for our ECDSA-with-SHA256 certificates. */
static void test_endpoint(void **state)
{
	struct sb_tls_error err;
	struct sb_tls_server *srv = sb_tls_server_new(NULL, NULL, &err);
	uint8_t got[SB_TLS_ENDPOINT_MAX], want[EVP_MAX_MD_SIZE];
	unsigned want_len = 0;
	size_t len = 0;
	FILE *f = fopen(pki.cert[1], "r");
	X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);

	(void)state;
	fclose(f);
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", pki.cert[0], pki.key[0],
						  &err), 0);
	assert_int_equal(sb_tls_server_add_domain(srv, "other.test", pki.cert[1], pki.key[1],
						  &err), 0);
	assert_int_equal(X509_digest(cert, EVP_sha256(), want, &want_len), 1);
	assert_int_equal(sb_tls_server_endpoint(srv, 1, got, &len), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(got, want, 32);
	assert_int_equal(sb_tls_server_endpoint(srv, 0, got, &len), 0);
	assert_memory_not_equal(got, want, 32);
	assert_int_equal(sb_tls_server_endpoint(srv, 2, got, &len), -ENOENT);
	X509_free(cert);
	sb_tls_server_put(srv);
}

static void test_add_domain_refusals(void **state)
{
	struct sb_tls_error err;
	struct sb_tls_server *srv = sb_tls_server_new(NULL, NULL, &err);

	(void)state;
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", pki.cert[0], pki.key[1],
						  &err), -EINVAL);
	/* libssl itself checks the key against the certificate on load */
	assert_non_null(strstr(err.msg, "private key"));
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", "/nonexistent.pem",
						  pki.key[0], &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent.pem"));
	assert_int_equal(sb_tls_server_add_domain(srv, "", pki.cert[0], pki.key[0], &err), -EINVAL);
	assert_int_equal(sb_tls_server_domains(srv), 0);
	for (unsigned i = 0; i < SB_TLS_DOMAINS_MAX; i++)
		assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", pki.cert[0],
							  pki.key[0], &err), 0);
	assert_int_equal(sb_tls_server_add_domain(srv, "switchboard.test", pki.cert[0],
						  pki.key[0], &err), -E2BIG);
	sb_tls_server_put(srv);
}

static void test_bad_lists(void **state)
{
	struct sb_tls_error err;
	struct sb_tls_server_opts o = {.ciphersuites = "TLS_NO_SUCH_SUITE"};
	char long_list[600];

	(void)state;
	assert_null(sb_tls_server_new(&o, NULL, &err));
	assert_non_null(strstr(err.msg, "ciphersuites"));
	o = (struct sb_tls_server_opts){.groups = "X25519:nope"};
	assert_null(sb_tls_server_new(&o, NULL, &err));
	assert_non_null(strstr(err.msg, "groups"));
	memset(long_list, 'A', sizeof(long_list) - 1);
	long_list[sizeof(long_list) - 1] = 0;
	o = (struct sb_tls_server_opts){.ciphersuites = long_list};
	assert_null(sb_tls_server_new(&o, NULL, &err));
	o = (struct sb_tls_server_opts){.ciphersuites = "TLS_AES_256_GCM_SHA384",
					.groups = "P-256"};
	struct sb_tls_server *srv = sb_tls_server_new(&o, NULL, &err);
	assert_non_null(srv);
	sb_tls_server_put(srv);
}

/* RFC 8448 §3, {server} derive write traffic keys for handshake data:
 * key and IV from the server handshake traffic secret. */
static void test_rfc8448_keys(void **state)
{
	static const uint8_t secret[32] = {
		0xb6, 0x7b, 0x7d, 0x69, 0x0c, 0xc1, 0x6c, 0x4e, 0x75, 0xe5, 0x42,
		0x13, 0xcb, 0x2d, 0x37, 0xb4, 0xe9, 0xc9, 0x12, 0xbc, 0xde, 0xd9,
		0x10, 0x5d, 0x42, 0xbe, 0xfd, 0x59, 0xd3, 0x91, 0xad, 0x38};
	static const uint8_t key[16] = {0x3f, 0xce, 0x51, 0x60, 0x09, 0xc2, 0x17, 0x27,
					0xd0, 0xf2, 0xe4, 0xe8, 0x6e, 0xe4, 0x03, 0xbc};
	static const uint8_t iv[12] = {0x5d, 0x31, 0x3e, 0xb2, 0x67, 0x12,
				       0x76, 0xee, 0x13, 0x00, 0x0b, 0x30};
	struct sb_tls_worker w;
	struct sb_tls_dir d = {.seq = 7};
	uint8_t before[32];

	(void)state;
	assert_int_equal(sb_tls_worker_init(&w, NULL), 0);
	assert_int_equal(tls_dir_set(&w, SB_TLS_AES_128_GCM_SHA256, &d, secret), 0);
	assert_memory_equal(d.key, key, 16);
	assert_memory_equal(d.iv, iv, 12);
	assert_int_equal(d.seq, 0);
	/* KeyUpdate: a new secret, a new key, seq back to 0 */
	memcpy(before, d.secret, 32);
	d.seq = 9;
	assert_int_equal(tls_dir_update(&w, SB_TLS_AES_128_GCM_SHA256, &d), 0);
	assert_memory_not_equal(d.secret, before, 32);
	assert_memory_not_equal(d.key, key, 16);
	assert_int_equal(d.seq, 0);
	sb_tls_worker_fini(&w);
}

/* [tls] keys to a server: the primary from cert_file/key_file or from
 * cert_dir, the others from cert_dir; a missing file is named. */
static void test_from_config(void **state)
{
	struct sb_config cfg;
	struct sb_tls_error err;
	struct sb_tls_server *srv;
	struct sb_tls_worker_opts wo;

	(void)state;
	sb_config_defaults(&cfg);
	snprintf(cfg.tls_cert_file, sizeof(cfg.tls_cert_file), "%s", pki.cert[0]);
	snprintf(cfg.tls_key_file, sizeof(cfg.tls_key_file), "%s", pki.key[0]);
	snprintf(cfg.tls_cert_dir, sizeof(cfg.tls_cert_dir), "%s", pki.dir);
	snprintf(cfg.tls_domains, sizeof(cfg.tls_domains), " other.test  expired.test ");
	srv = sb_tls_server_from_config(&cfg, NULL, &err);
	assert_non_null(srv);
	assert_int_equal(sb_tls_server_domains(srv), 3);
	assert_string_equal(sb_tls_server_domain(srv, 0), "switchboard.test");
	assert_string_equal(sb_tls_server_domain(srv, 2), "expired.test");
	sb_tls_server_put(srv);
	/* the primary from the folder too */
	cfg.tls_cert_file[0] = cfg.tls_key_file[0] = '\0';
	cfg.tls_domains[0] = '\0';
	srv = sb_tls_server_from_config(&cfg, NULL, &err);
	assert_non_null(srv);
	assert_int_equal(sb_tls_server_domains(srv), 1);
	sb_tls_server_put(srv);
	snprintf(cfg.tls_domains, sizeof(cfg.tls_domains), "missing.test");
	assert_null(sb_tls_server_from_config(&cfg, NULL, &err));
	assert_non_null(strstr(err.msg, "missing.test.pem"));
	sb_tls_worker_opts_from_config(&cfg, &wo);
	assert_int_equal(wo.hs_max, 1024);
	assert_int_equal(wo.rekey_records, 1u << 24);
}

static void test_counter_table(void **state)
{
	(void)state;
	assert_string_equal(sb_tls_ctr_name(SB_TLS_CTR_hs_started), "hs_started");
	assert_non_null(sb_tls_ctr_desc[SB_TLS_CTR_MAX - 1].help);
	assert_null(sb_tls_ctr_name(SB_TLS_CTR_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_left),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_add_domain_refusals),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_rfc8448_keys),
		cmocka_unit_test(test_from_config),
		cmocka_unit_test(test_counter_table),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
