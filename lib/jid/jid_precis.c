/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/jid slow path for non-ASCII parts: PRECIS UsernameCaseMapped (RFC 8265
 * §3.3) for localparts and OpaqueString (RFC 8265 §4.2) for resourceparts,
 * built on ICU's Unicode properties, case mapping and normalisation; and
 * IDNA2008 domainparts through libidn2 (UTS #46 non-transitional mapping,
 * then back to U-labels as RFC 7622 §3.2.1 requires). The PRECIS derived
 * property (RFC 8264 §8) is computed here from ICU's character properties;
 * README.md lists what is and is not covered.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <idn2.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "jid.h"
#include "jid_priv.h"

/* Room for a 1023-octet part in UTF-16 with the few expansions case mapping
 * and NFC can make; a part that needs more is too long anyway. */
#define PRECIS_U16_MAX 2048

/* RFC 5892 §2.6 Exceptions (F), as RFC 8264 §9.6 uses them: a few code
 * points are PVALID, the rest CONTEXTO or DISALLOWED. Contextual rules are
 * not evaluated, so CONTEXTO code points are refused (see README.md). */
static int jid_precis_exception(UChar32 c)
{
	switch (c) {
	case 0x00DF: case 0x03C2: case 0x06FD: case 0x06FE: case 0x0F0B: case 0x3007:
		return 1;
	case 0x00B7: case 0x0375: case 0x05F3: case 0x05F4: case 0x30FB:
	case 0x0640: case 0x07FA: case 0x302E: case 0x302F: case 0x303B:
		return 0;
	default:
		break;
	}
	if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9) ||
	    (c >= 0x3031 && c <= 0x3035))
		return 0;
	return -1;
}

static bool jid_precis_has_compat(const UNormalizer2 *nfkc, UChar32 c)
{
	UChar s[2];
	int32_t n = 0;
	UErrorCode err = U_ZERO_ERROR;
	UBool ok;

	U16_APPEND_UNSAFE(s, n, c);
	ok = unorm2_isNormalized(nfkc, s, n, &err);
	return U_SUCCESS(err) && !ok;
}

/* RFC 8264 §8 derived property, in its order; true if c is PVALID in the
 * IdentifierClass (freeform == false) or the FreeformClass. */
static bool jid_precis_allowed(const UNormalizer2 *nfkc, UChar32 c, bool freeform)
{
	int8_t gc;
	int32_t hst;
	int ex;

	if (c >= 0x21 && c <= 0x7E)
		return true; /* ASCII7 (§9.11) */
	ex = jid_precis_exception(c);
	if (ex >= 0)
		return ex == 1;
	gc = u_charType(c);
	if (gc == U_UNASSIGNED || gc == U_CONTROL_CHAR || gc == U_SURROGATE)
		return false; /* Unassigned (§9.10), Controls (§9.15) */
	if (c == 0x200C || c == 0x200D)
		return false; /* JoinControl is CONTEXTJ (§9.12), not evaluated */
	hst = u_getIntPropertyValue(c, UCHAR_HANGUL_SYLLABLE_TYPE);
	if (hst == U_HST_LEADING_JAMO || hst == U_HST_VOWEL_JAMO || hst == U_HST_TRAILING_JAMO)
		return false; /* OldHangulJamo (§9.13) */
	if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
	    u_hasBinaryProperty(c, UCHAR_NONCHARACTER_CODE_POINT))
		return false; /* PrecisIgnorableProperties (§9.14) */
	if (jid_precis_has_compat(nfkc, c))
		return freeform; /* HasCompat (§9.17): ID_DIS / FREE_PVAL */
	switch (gc) {
	case U_LOWERCASE_LETTER: case U_UPPERCASE_LETTER: case U_OTHER_LETTER:
	case U_DECIMAL_DIGIT_NUMBER: case U_MODIFIER_LETTER: case U_NON_SPACING_MARK:
	case U_COMBINING_SPACING_MARK:
		return true; /* LetterDigits (§9.1) */
	case U_TITLECASE_LETTER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
	case U_ENCLOSING_MARK: /* OtherLetterDigits (§9.18) */
	case U_SPACE_SEPARATOR: /* Spaces (§9.19) */
	case U_MATH_SYMBOL: case U_CURRENCY_SYMBOL: case U_MODIFIER_SYMBOL:
	case U_OTHER_SYMBOL: /* Symbols (§9.20) */
	case U_CONNECTOR_PUNCTUATION: case U_DASH_PUNCTUATION: case U_START_PUNCTUATION:
	case U_END_PUNCTUATION: case U_INITIAL_PUNCTUATION: case U_FINAL_PUNCTUATION:
	case U_OTHER_PUNCTUATION: /* Punctuation (§9.21) */
		return freeform;
	default:
		return false;
	}
}

/* RFC 5893 §2 Bidi Rule, which UsernameCaseMapped applies to strings that
 * contain right-to-left code points (RFC 8265 §3.3.2 step 5). */
static bool jid_precis_bidi_ok(const UChar *s, int32_t n)
{
	bool rtl = false, has_en = false, has_an = false;
	int32_t i = 0, last = U_OTHER_NEUTRAL;
	UChar32 c;

	while (i < n) {
		int32_t d;

		U16_NEXT(s, i, n, c);
		d = u_charDirection(c);
		if (d == U_RIGHT_TO_LEFT || d == U_RIGHT_TO_LEFT_ARABIC || d == U_ARABIC_NUMBER)
			rtl = true;
	}
	if (!rtl)
		return true;
	i = 0;
	U16_NEXT(s, i, n, c);
	if (u_charDirection(c) != U_RIGHT_TO_LEFT && u_charDirection(c) != U_RIGHT_TO_LEFT_ARABIC)
		return false; /* rule 1 */
	i = 0;
	while (i < n) {
		int32_t d;

		U16_NEXT(s, i, n, c);
		d = u_charDirection(c);
		switch (d) {
		case U_RIGHT_TO_LEFT: case U_RIGHT_TO_LEFT_ARABIC: case U_COMMON_NUMBER_SEPARATOR:
		case U_EUROPEAN_NUMBER_TERMINATOR: case U_OTHER_NEUTRAL: case U_BOUNDARY_NEUTRAL:
		case U_EUROPEAN_NUMBER_SEPARATOR:
			break;
		case U_EUROPEAN_NUMBER:
			has_en = true;
			break;
		case U_ARABIC_NUMBER:
			has_an = true;
			break;
		case U_DIR_NON_SPACING_MARK:
			continue; /* rule 3 looks through trailing NSMs */
		default:
			return false; /* rule 2 */
		}
		last = d;
	}
	if (has_en && has_an)
		return false; /* rule 4 */
	return last == U_RIGHT_TO_LEFT || last == U_RIGHT_TO_LEFT_ARABIC ||
	       last == U_EUROPEAN_NUMBER || last == U_ARABIC_NUMBER; /* rule 3 */
}

static int jid_precis_to_utf16(const char *in, size_t len, UChar *u, int32_t *n,
			       enum sb_jid_reason *why)
{
	UErrorCode err = U_ZERO_ERROR;

	/* u_strFromUTF8 refuses ill-formed UTF-8 (no substitution). */
	u_strFromUTF8(u, PRECIS_U16_MAX, n, in, (int32_t)len, &err);
	if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING)
		return -ENAMETOOLONG;
	if (U_FAILURE(err))
		return jid_fail(why, SB_JID_BAD_UTF8);
	return 0;
}

static int jid_precis_to_utf8(const UChar *u, int32_t n, char *out, size_t cap,
			      size_t *out_len, enum sb_jid_reason *why, enum sb_jid_reason too_long)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t len = 0;
	int32_t ucap = cap > SB_JID_PART_MAX + 1 ? (int32_t)SB_JID_PART_MAX + 1 : (int32_t)cap;

	u_strToUTF8(out, ucap, &len, u, n, &err);
	if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING ||
	    (size_t)len > SB_JID_PART_MAX)
		return cap > SB_JID_PART_MAX ? jid_fail(why, too_long) : -ENOSPC;
	if (U_FAILURE(err))
		return jid_fail(why, SB_JID_BAD_UTF8);
	*out_len = (size_t)len;
	return 0;
}

/* RFC 8265 §3.3.2 step 1: fullwidth and halfwidth code points are mapped to
 * their decomposition mappings; nothing else is. */
static int jid_precis_width_map(const UNormalizer2 *nfkc, const UChar *src, int32_t n,
				UChar *dst, int32_t *dn)
{
	int32_t i = 0, o = 0;

	while (i < n) {
		UChar32 c;
		int32_t dt;

		U16_NEXT(src, i, n, c);
		dt = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
		if (dt == U_DT_WIDE || dt == U_DT_NARROW) {
			UErrorCode err = U_ZERO_ERROR;
			int32_t k = unorm2_getRawDecomposition(nfkc, c, dst + o,
							       PRECIS_U16_MAX - o, &err);

			if (U_FAILURE(err) || k < 0)
				return -ENAMETOOLONG;
			o += k;
			continue;
		}
		if (o + 2 > PRECIS_U16_MAX)
			return -ENAMETOOLONG;
		U16_APPEND_UNSAFE(dst, o, c);
	}
	*dn = o;
	return 0;
}

static int jid_precis_nfc(const UChar *src, int32_t n, UChar *dst, int32_t *dn)
{
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&err);

	if (U_FAILURE(err))
		return -ENOMEM;
	*dn = unorm2_normalize(nfc, src, n, dst, PRECIS_U16_MAX, &err);
	if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING)
		return -ENAMETOOLONG;
	return U_FAILURE(err) ? -ENOMEM : 0;
}

static int jid_precis_check(const UNormalizer2 *nfkc, const UChar *s, int32_t n, bool local,
			    enum sb_jid_reason *why)
{
	int32_t i = 0;

	while (i < n) {
		UChar32 c;

		U16_NEXT(s, i, n, c);
		if (local && c < 0x80 && strchr(" \"&'/:<>@", (int)c) != NULL)
			return jid_fail(why, SB_JID_LOCAL_FORBIDDEN);
		if (!jid_precis_allowed(nfkc, c, !local))
			return jid_fail(why, local ? SB_JID_LOCAL_DISALLOWED :
						     SB_JID_RESOURCE_DISALLOWED);
	}
	return 0;
}

static int jid_precis_too_long(int rc, enum sb_jid_reason *why, enum sb_jid_reason r)
{
	return rc == -ENAMETOOLONG ? jid_fail(why, r) : rc;
}

int jid_precis_local(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
		     enum sb_jid_reason *why)
{
	UChar a[PRECIS_U16_MAX], b[PRECIS_U16_MAX];
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);
	int32_t na = 0, nb = 0;
	int rc;

	if (U_FAILURE(err))
		return -ENOMEM;
	rc = jid_precis_to_utf16(in, len, a, &na, why);
	if (rc == 0)
		rc = jid_precis_width_map(nfkc, a, na, b, &nb);
	if (rc < 0)
		return jid_precis_too_long(rc, why, SB_JID_LOCAL_TOO_LONG);
	/* Step 3: Unicode toLowerCase, root locale (RFC 8265 §3.3.2). */
	na = u_strToLower(a, PRECIS_U16_MAX, b, nb, "", &err);
	if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING)
		return jid_fail(why, SB_JID_LOCAL_TOO_LONG);
	rc = jid_precis_nfc(a, na, b, &nb);
	if (rc < 0)
		return jid_precis_too_long(rc, why, SB_JID_LOCAL_TOO_LONG);
	if (nb == 0)
		return jid_fail(why, SB_JID_EMPTY_LOCAL);
	rc = jid_precis_check(nfkc, b, nb, true, why);
	if (rc < 0)
		return rc;
	if (!jid_precis_bidi_ok(b, nb))
		return jid_fail(why, SB_JID_LOCAL_DISALLOWED);
	rc = jid_precis_to_utf8(b, nb, out, cap, out_len, why, SB_JID_LOCAL_TOO_LONG);
	return rc < 0 ? rc : jid_fail(why, SB_JID_OK);
}

int jid_precis_resource(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			enum sb_jid_reason *why)
{
	UChar a[PRECIS_U16_MAX], b[PRECIS_U16_MAX];
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&err);
	int32_t na = 0, nb = 0;
	int rc;

	if (U_FAILURE(err))
		return -ENOMEM;
	rc = jid_precis_to_utf16(in, len, a, &na, why);
	if (rc < 0)
		return jid_precis_too_long(rc, why, SB_JID_RESOURCE_TOO_LONG);
	/* RFC 8265 §4.2.2 step 2: non-ASCII spaces become U+0020. No width or
	 * case mapping, no Bidi Rule for OpaqueString. */
	for (int32_t i = 0; i < na; i++)
		if (a[i] >= 0x80 && u_charType(a[i]) == U_SPACE_SEPARATOR)
			a[i] = 0x20;
	rc = jid_precis_nfc(a, na, b, &nb);
	if (rc < 0)
		return jid_precis_too_long(rc, why, SB_JID_RESOURCE_TOO_LONG);
	if (nb == 0)
		return jid_fail(why, SB_JID_EMPTY_RESOURCE);
	rc = jid_precis_check(nfkc, b, nb, false, why);
	if (rc < 0)
		return rc;
	rc = jid_precis_to_utf8(b, nb, out, cap, out_len, why, SB_JID_RESOURCE_TOO_LONG);
	return rc < 0 ? rc : jid_fail(why, SB_JID_OK);
}

/* RFC 5890 §2.3.2.1: U-labels and NR-LDH labels admit only LDH from ASCII.
 * Checked on libidn2's input too, because its STD3 mode silently deletes a
 * '_' next to non-ASCII ("b\u00fc_cher" would become "b\u00fccher"). */
static bool jid_idna_ldh(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* IDNA2008 with the UTS #46 non-transitional mapping (lower-casing, width
 * mapping, NFC: the mapping RFC 7622 §3.2.2 asks for via RFC 5895) and STD3
 * rules; libidn2 validates every label and returns A-labels, which are then
 * turned back into U-labels. */
int jid_idna_domain(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
		    enum sb_jid_reason *why)
{
	char tmp[SB_JID_PART_MAX + 1];
	char *ace = NULL, *ul = NULL;
	size_t n;
	int rc;

	if (!jid_idna_ldh(in, len))
		return jid_fail(why, SB_JID_DOMAIN_IDNA);
	memcpy(tmp, in, len);
	tmp[len] = '\0';
	rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&ace,
			    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL | IDN2_USE_STD3_ASCII_RULES);
	if (rc == IDN2_OK)
		rc = idn2_to_unicode_8z8z(ace, &ul, 0);
	idn2_free(ace);
	if (rc != IDN2_OK)
		return rc == IDN2_MALLOC ? -ENOMEM : jid_fail(why, SB_JID_DOMAIN_IDNA);
	n = strlen(ul);
	if (!jid_idna_ldh(ul, n)) {
		idn2_free(ul);
		return jid_fail(why, SB_JID_DOMAIN_IDNA);
	}
	if (n > 0 && ul[n - 1] == '.')
		n--; /* an ideographic full stop at the end maps to a final dot */
	if (n == 0 || n > SB_JID_PART_MAX || n >= cap) {
		idn2_free(ul);
		return jid_fail(why, n == 0 ? SB_JID_EMPTY_DOMAIN : SB_JID_DOMAIN_TOO_LONG);
	}
	memcpy(out, ul, n);
	out[n] = '\0';
	idn2_free(ul);
	*out_len = n;
	return 0;
}
