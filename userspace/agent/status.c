// SPDX-License-Identifier: GPL-2.0
/*
 * GET /: one self-contained HTML page (no scripts, styles or images from
 * elsewhere: the monitoring port may be reached through a tunnel with no
 * internet) that reloads itself every 2 s. Every string that comes from
 * configuration, a discovery source or a check is HTML-escaped: instance
 * ids and error messages are not ours.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/l4lb.h>

#include "agent.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':  fputs("&amp;", f); break;
		case '<':  fputs("&lt;", f); break;
		case '>':  fputs("&gt;", f); break;
		case '"':  fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:   fputc(*s, f);
		}
	}
}

static const char style[] =
	"body{font-family:sans-serif;margin:1em 2em;color:#222;background:#fafafa}"
	"h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}"
	"table{border-collapse:collapse;margin:.4em 0}"
	"th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left;font-size:.9em}"
	"th{background:#eee}"
	".up{background:#d8f5d8}.drain{background:#fff1c2}.down{background:#f8d0d0}"
	".unknown{background:#e4e4e4}.absent{background:#e4e4e4}"
	".ok{color:#080}.bad{color:#b00;font-weight:bold}"
	".spark{display:inline-block;margin-right:2em;vertical-align:top}"
	".spark svg{background:#fff;border:1px solid #ccc}"
	"small{color:#666}";

static const char *state_name(int st)
{
	switch (st) {
	case L4LB_BACKEND_UP:	 return "up";
	case L4LB_BACKEND_DRAIN: return "drain";
	case L4LB_BACKEND_DOWN:	 return "down";
	default:		 return "absent";
	}
}

static const char *health_name(enum health h)
{
	switch (h) {
	case HEALTH_UP:	  return "up";
	case HEALTH_DOWN: return "down";
	default:	  return "unknown";
	}
}

/* Human units: 1.2k, 3.4M... */
static void human(FILE *f, double v)
{
	static const char units[] = " kMGTP";
	int i = 0;

	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i)
		fprintf(f, "%.1f%c", v, units[i]);
	else
		fprintf(f, "%.0f", v);
}

/*
 * A polyline of the history (oldest left), scaled to its maximum. Each
 * sample is a rate per second (kernel.c divides by the time between reads).
 */
static void sparkline(FILE *f, const struct avip *v, const uint64_t *hist,
		      const char *what)
{
	const unsigned int W = 240, H = 40;
	uint64_t max = 0, last = 0;
	unsigned int i, n = v->hist_n;

	if (n > AGENT_HISTORY)
		n = AGENT_HISTORY;

	for (i = 0; i < n; i++) {
		uint64_t x = hist[(v->hist_pos + AGENT_HISTORY - n + i) % AGENT_HISTORY];

		if (x > max)
			max = x;
		last = x;
	}
	fprintf(f, "<div class=\"spark\"><small>%s/s, last %u samples: now ", what, n);
	human(f, (double)last);
	fputs(", max ", f);
	human(f, (double)max);
	fprintf(f, "</small><br><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" role=\"img\" aria-label=\"%s per second\">",
		W, H, W, H, what);
	if (n > 1) {
		fputs("<polyline fill=\"none\" stroke=\"#2a6ebb\" stroke-width=\"1.5\" points=\"", f);
		for (i = 0; i < n; i++) {
			uint64_t x = hist[(v->hist_pos + AGENT_HISTORY - n + i) % AGENT_HISTORY];
			double px = (double)i * (W - 2) / (n - 1) + 1;
			double py = H - 2 - (max ? (double)x * (H - 4) / (double)max : 0);

			fprintf(f, "%s%.1f,%.1f", i ? " " : "", px, py);
		}
		fputs("\"/>", f);
	} else {
		fprintf(f, "<text x=\"4\" y=\"%u\" font-size=\"10\" fill=\"#888\">no data yet</text>",
			H / 2 + 3);
	}
	fputs("</svg></div>\n", f);
}

static void backend_row(FILE *f, const struct abackend *b)
{
	const struct health_state *hs = &b->hs;
	int st = b->in_kernel ? b->kstate : backend_desired_state(b);
	char addr[ADDR_STRLEN];
	uint64_t conns = 0;

	if (b->in_kernel && (b->kstats.present & (1u << L4LB_STATS_ATTR_ACTIVE_CONNS)))
		conns = b->kstats.val[L4LB_STATS_ATTR_ACTIVE_CONNS];
	endpoint_format(&b->ep, addr, sizeof(addr));
	fputs("<tr data-backend=\"", f);
	esc(f, addr);
	fprintf(f, "\" class=\"%s\"><td>", state_name(st));
	esc(f, b->id[0] ? b->id : addr);
	fputs("</td><td>", f);
	esc(f, addr);
	fprintf(f, "</td><td>%s%s</td><td>%s%s%s</td><td>%" PRIu32 "</td><td>%" PRIu64 "</td><td>",
		state_name(st), b->in_kernel ? "" : " (not in kernel)",
		health_name(hs->state), hs->passive_down ? " (passive)" : "",
		b->adopted ? " (adopted)" : "",
		b->in_kernel ? b->kweight : b->weight, conns);
	if (hs->last_check_usec) {
		char tbuf[32];

		fprintf(f, "%s <small>%.1f ms</small>",
			rfc3339(hs->last_check_usec, tbuf, sizeof(tbuf)),
			hs->last_latency_us / 1000.0);
	} else
		fputs("never", f);
	fputs("</td><td>", f);
	esc(f, hs->last_error);
	fputs("</td></tr>\n", f);
}

static const char *source_type_name(enum source_type t)
{
	switch (t) {
	case SRC_STATIC:   return "static";
	case SRC_OPERATOR: return "operator";
	case SRC_FILE:	   return "file";
	case SRC_DNS:	   return "dns";
	}
	return "?";
}

static void sources_table(FILE *f, const struct avip *v)
{
	char tbuf[32];
	size_t k;

	if (!v->cfg->n_sources)
		return;
	fputs("<table><tr><th>source</th><th>from</th><th>status</th><th>last good answer</th><th>updates</th><th>errors</th><th>last error</th></tr>\n", f);
	for (k = 0; k < v->cfg->n_sources && k < AGENT_MAX_SOURCES; k++) {
		const struct source_cfg *sc = &v->cfg->sources[k];
		const struct source_state *s = &v->src[k];
		const char *from = sc->url ? sc->url : sc->path ? sc->path :
				   sc->name ? sc->name : sc->list ? sc->list : "";
		bool ok = s->answered && !s->failing;

		fprintf(f, "<tr class=\"%s\"><td>%s</td><td>", ok ? "up" :
			s->answered ? "drain" : "down", source_type_name(sc->type));
		esc(f, from);
		fprintf(f, "</td><td>%s</td><td>", ok ? "ok" : s->failing ?
			"failing (last good set kept)" : "no answer yet");
		if (s->last_ok_usec)
			fputs(rfc3339(s->last_ok_usec, tbuf, sizeof(tbuf)), f);
		fprintf(f, "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>",
			s->updates, s->errors);
		esc(f, s->last_error);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void vip_section(FILE *f, const struct avip *v)
{
	const struct abackend *b;
	char addr[ADDR_STRLEN];
	size_t healthy = 0, total = vip_count(v, &healthy);

	endpoint_format(&v->cfg->vip, addr, sizeof(addr));
	fputs("<section class=\"vip\" data-vip=\"", f);
	esc(f, v->cfg->name);
	fputs("\">\n<h2>", f);
	esc(f, v->cfg->name);
	fputs(" &mdash; ", f);
	esc(f, addr);
	fprintf(f, " %s, ", v->cfg->proto == IPPROTO_UDP ? "udp" : "tcp");
	esc(f, v->cfg->algorithm[0] ? v->cfg->algorithm : v->cfg->sched);
	fprintf(f, " <span class=\"%s\">%zu/%zu healthy</span>%s</h2>\n",
		healthy ? "ok" : "bad", healthy, total,
		v->in_kernel ? "" : " <span class=\"bad\">(not in the kernel)</span>");
	sparkline(f, v, v->hist_flows, "flows");
	sparkline(f, v, v->hist_bytes, "bytes");
	fputs("<table><tr><th>id</th><th>address</th><th>state</th><th>health</th><th>weight</th><th>connections</th><th>last check</th><th>last error</th></tr>\n", f);
	for (b = v->backends; b; b = b->next)
		backend_row(f, b);
	if (!v->backends)
		fputs("<tr><td colspan=\"8\">no backends</td></tr>\n", f);
	fputs("</table>\n", f);
	sources_table(f, v);
	fputs("</section>\n", f);
}

char *status_render(const struct agent *a, size_t *len)
{
	char *buf = NULL, tbuf[32];
	size_t n = 0, i;
	FILE *f;

	f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta http-equiv=\"refresh\" content=\"2\">"
		"<meta name=\"viewport\" content=\"width=device-width\">"
		"<title>l4lb-agent</title><style>%s</style></head><body>\n", style);
	fputs("<h1>l4lb-agent", f);
	if (a->cfg.environment[0]) {
		fputs(" &mdash; ", f);
		esc(f, a->cfg.environment);
	}
	fprintf(f, "</h1>\n<p>kernel: <span class=\"%s\">%s</span> &middot; %s UTC",
		a->kernel_ok ? "ok" : "bad",
		a->kernel_ok ? "l4lb reachable" : "l4lb module NOT reachable",
		rfc3339(now_usec(CLOCK_REALTIME), tbuf, sizeof(tbuf)));
	if (a->net.present & (1u << L4LB_NET_ATTR_CONNS))
		fprintf(f, " &middot; flow table %" PRIu64 "/%" PRIu64,
			a->net.val[L4LB_NET_ATTR_CONNS],
			a->net.val[L4LB_NET_ATTR_CONN_MAX]);
	fputs(" &middot; <a href=\"/health\">/health</a> <a href=\"/backends\">/backends</a> <a href=\"/metrics\">/metrics</a></p>\n", f);
	for (i = 0; i < a->cfg.n_vips; i++)
		vip_section(f, &a->vips[i]);
	fputs("</body></html>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}
