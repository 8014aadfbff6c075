/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See http.h. One thread (libmicrohttpd's internal polling thread) serves
 * every connection, so the reply scratch buffer needs no lock; the reply
 * is copied into the response, so the buffer is free again at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "expo.h"
#include "http.h"
#include "out.h"

#define HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result http_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct sb_metrics_http *h = cls;

	(void)len;
	if (sb_allow_match(&h->allow, addr))
		return MHD_YES;
	h->ctr[SB_HTTP_CTR_refused_addr]++;
	return MHD_NO;
}

static enum MHD_Result http_reply(struct MHD_Connection *conn, unsigned status, const char *body,
				  size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_CONTENT_TYPE);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result http_request(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **con_cls)
{
	struct sb_metrics_http *h = cls;
	struct sb_out o;
	struct sb_expo e;
	static const char not_found[] = "only GET /metrics is served here\n";

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 || strcmp(url, "/metrics") != 0) {
		h->ctr[SB_HTTP_CTR_not_found]++;
		return http_reply(conn,
				  strcmp(method, MHD_HTTP_METHOD_GET) != 0
					  ? MHD_HTTP_METHOD_NOT_ALLOWED
					  : MHD_HTTP_NOT_FOUND,
				  not_found, sizeof(not_found) - 1);
	}
	h->ctr[SB_HTTP_CTR_scrapes]++;
	sb_out_init(&o, h->buf, SB_HTTP_REPLY_MAX);
	sb_expo_begin(&e, &o, SB_EXPO_PROMETHEUS);
	sb_metrics_collect(h->src, sb_expo_sample, &e);
	sb_expo_end(&e);
	if (o.truncated) {
		static const char cut[] = "metrics reply over SB_HTTP_REPLY_MAX\n";

		h->ctr[SB_HTTP_CTR_reply_cut]++;
		return http_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, cut, sizeof(cut) - 1);
	}
	return http_reply(conn, MHD_HTTP_OK, o.buf, o.len);
}

/* "a.b.c.d:port" or "[v6]:port" into ss. 0 or -EINVAL. */
static int http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	const char *h0 = listen;
	size_t hlen;
	char *end;
	unsigned long port;

	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port > 65535)
		return -EINVAL;
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		h0++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h0, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

int sb_metrics_http_start(struct sb_metrics_http *h, const char *listen, const char *allow,
			  const struct sb_metrics_src *src, char *why, size_t why_len)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	char host[INET6_ADDRSTRLEN];
	int rc;

	memset(h, 0, sizeof(*h));
	h->src = src;
	rc = sb_allow_parse(&h->allow, allow, why, why_len);
	if (rc < 0)
		return rc;
	if (http_parse_listen(listen, &ss, &slen) < 0) {
		snprintf(why, why_len, "'%s' is not address:port", listen);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->buf = malloc(SB_HTTP_REPLY_MAX);
	if (h->buf == NULL) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	h->d = MHD_start_daemon(flags, 0, http_accept, h, http_request, h, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)SB_HTTP_CONN_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)SB_HTTP_PER_IP_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)SB_HTTP_TIMEOUT_S, MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(why, why_len, "cannot listen on %s (in use, or not an address of this "
				       "host?)", listen);
		free(h->buf);
		h->buf = NULL;
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
					  : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  host, sizeof(host));
	snprintf(h->bound, sizeof(h->bound), ss.ss_family == AF_INET ? "%s:%u" : "[%s]:%u", host,
		 info != NULL ? (unsigned)info->port : 0u);
	return 0;
}

void sb_metrics_http_stop(struct sb_metrics_http *h)
{
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	h->d = NULL;
	free(h->buf);
	h->buf = NULL;
}
