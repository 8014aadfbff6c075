/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0115 §5.1 ver computation (caps_ver.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "caps_ver.h"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int caps_ver_sha1(char **ids, unsigned ni, char **feats, unsigned nf,
		  char out[CAPS_VER_B64_LEN + 1])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdl = 0;
	bool ok;

	if (ctx == NULL)
		return -1;
	qsort(ids, ni, sizeof(*ids), str_cmp);
	qsort(feats, nf, sizeof(*feats), str_cmp);
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
	for (unsigned i = 0; ok && i < ni; i++)
		ok = EVP_DigestUpdate(ctx, ids[i], strlen(ids[i])) == 1 &&
		     EVP_DigestUpdate(ctx, "<", 1) == 1;
	for (unsigned i = 0; ok && i < nf; i++)
		ok = EVP_DigestUpdate(ctx, feats[i], strlen(feats[i])) == 1 &&
		     EVP_DigestUpdate(ctx, "<", 1) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdl) == 1 && mdl == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdl);
	return 0;
}
