// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: the HTTP and HTTPS checks, one GET through httpc (libcurl
 * multi on the loop). Healthy: the expected status (CHECK_HTTP_STATUS, or
 * any 2xx/3xx) and, when CHECK_HTTP_BODY is set, a body that contains it.
 */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "check.h"

static void http_done(void *arg, const struct httpc_result *res)
{
	struct check_run *r = arg;
	const struct check_cfg *c = check_cfg_of(r->b);

	r->req = NULL;	/* httpc frees it after this returns */
	if (res->curl_code) {
		check_done(r, false, "%s", res->error && *res->error ?
			   res->error : "transfer failed");
		return;
	}
	if (c->http_status ? res->status != c->http_status :
	    res->status < 200 || res->status > 399) {
		check_done(r, false, "HTTP status %ld", res->status);
		return;
	}
	if (c->http_body && *c->http_body &&
	    (!res->body || !memmem(res->body, res->body_len, c->http_body,
				  strlen(c->http_body)))) {
		check_done(r, false, "HTTP body lacks \"%.64s\"", c->http_body);
		return;
	}
	check_done(r, true, NULL);
}

static int http_check_start(struct abackend *b)
{
	const struct check_cfg *c = check_cfg_of(b);
	struct check_run *r = check_run_new(b);
	struct endpoint ep = b->ep;
	struct httpc_opts o = {
		.timeout_ms = c->timeout_ms,
		.host_header = c->http_host,
		.source = c->source.family ? &c->source : NULL,
		.tls_verify = c->tls_verify,
		/* a health page is small: a body over 256 KiB fails the check */
		.max_body = 256 * 1024,
	};
	const char *path = c->http_path && *c->http_path ? c->http_path : "/";
	char url[ADDR_STRLEN + 1024], host[ADDR_STRLEN];

	if (!r)
		return -ENOMEM;
	if (c->port)
		ep.port = c->port;
	snprintf(url, sizeof(url), "%s://%s%s%s",
		 c->type == CHECK_HTTPS ? "https" : "http",
		 endpoint_format(&ep, host, sizeof(host)),
		 path[0] == '/' ? "" : "/", path);
	if (!b->vip->agent->httpc) {
		check_done(r, false, "no HTTP client");
		return 0;
	}
	r->req = httpc_get(b->vip->agent->httpc, url, &o, http_done, r);
	if (!r->req)
		check_done(r, false, "cannot start the request");
	return 0;
}

const struct check_ops check_http_ops = {
	.type = CHECK_HTTP,
	.name = "http",
	.start = http_check_start,
	.cancel = check_cancel_free,
};

const struct check_ops check_https_ops = {
	.type = CHECK_HTTPS,
	.name = "https",
	.start = http_check_start,
	.cancel = check_cancel_free,
};
