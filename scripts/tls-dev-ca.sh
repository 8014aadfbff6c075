#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A development PKI for `make run` and the tests, made once per folder with
# OpenSSL's command line: a CA (ca.pem, ca.key) and, signed by it, a
# certificate for DOMAIN (DOMAIN.pem: leaf then CA; DOMAIN.key), EC P-256,
# subjectAltName DNS:DOMAIN. Clients in the namespace verify the gateway
# with ca.pem (a file: slixmpp, libstrophe's cafile, openssl -CAfile) or
# with the folder trust/ (ca.pem under its hash name, for clients that take
# a CA folder: profanity's `/tls certpath set`). Files that exist and stay valid for another day are kept, so
# a running client's trust survives a restart. Never for production.
#
# usage: tls-dev-ca.sh DIR [DOMAIN]     (DOMAIN defaults to switchboard.test)
# SB_TLS_LEAF_DAYS [397]: the new certificate's lifetime (tests use a short
# one to see the expiry warning).
# Prints the CA file's path on its last line.
set -euo pipefail

dir=${1:?usage: tls-dev-ca.sh DIR [DOMAIN]}
domain=${2:-switchboard.test}
mkdir -p "$dir"
umask 077

valid() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

if ! valid "$dir/ca.pem" || [ ! -s "$dir/ca.key" ]; then
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 825 -sha256 \
		-subj "/CN=Switchboard development CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	rm -f "$dir/$domain.pem" # a new CA: the old leaf no longer chains
fi
if ! valid "$dir/$domain.pem" || [ ! -s "$dir/$domain.key" ]; then
	ext=$(mktemp)
	trap 'rm -f "$ext" "$dir/$domain.csr" "$dir/$domain.leaf"' EXIT
	printf '%s\n' "subjectAltName=DNS:$domain" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > "$ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/$domain.key" -out "$dir/$domain.csr" -subj "/CN=$domain" 2>/dev/null
	openssl x509 -req -in "$dir/$domain.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
		-CAcreateserial -out "$dir/$domain.leaf" -days "${SB_TLS_LEAF_DAYS:-397}" -sha256 \
		-extfile "$ext" 2>/dev/null
	cat "$dir/$domain.leaf" "$dir/ca.pem" > "$dir/$domain.pem"
fi
mkdir -p "$dir/trust"
cp "$dir/ca.pem" "$dir/trust/ca.pem"
openssl rehash "$dir/trust" >/dev/null
chmod 755 "$dir/trust"
chmod 644 "$dir/ca.pem" "$dir/$domain.pem" "$dir/trust/ca.pem"
echo "$dir/ca.pem"
