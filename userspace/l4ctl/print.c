// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output (see print.h). The JSON side is a tiny streaming
 * writer: output is small and flat, a library would buy nothing.
 */
#include <inttypes.h>
#include <stdio.h>

#include "print.h"

#define MAX_DEPTH	16

static struct {
	FILE *out;
	bool json;
	bool pretty;
	int depth;
	unsigned int members[MAX_DEPTH];	/* per open container */
} P = { .out = NULL };

static FILE *out(void)
{
	return P.out ? P.out : stdout;
}

void print_init(FILE *f, bool json, bool pretty)
{
	P.out = f;
	P.json = json;
	P.pretty = pretty;
	P.depth = 0;
}

bool print_is_json(void)
{
	return P.json;
}

/* Length in bytes of the valid UTF-8 sequence at @s, 0 if invalid. */
static int utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* reject overlong forms, UTF-16 surrogates and > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void json_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', f);
	while (*s) {
		switch (*s) {
		case '"':  fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\b': fputs("\\b", f); s++; continue;
		case '\f': fputs("\\f", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		}
		if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s);
			s++;
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else if ((n = utf8_seq_len(s)) > 0) {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		} else {
			/* strings from the kernel are not promised to be
			 * UTF-8; keep the document valid regardless */
			fputs("\\ufffd", f);
			s++;
		}
	}
	fputc('"', f);
}

static void indent(void)
{
	int i;

	fputc('\n', out());
	for (i = 0; i < P.depth; i++)
		fputs("  ", out());
}

/* Separator, indentation and key before any JSON value. */
static void json_member(const char *key)
{
	if (P.depth > 0) {
		if (P.members[P.depth - 1]++)
			fputc(',', out());
		if (P.pretty)
			indent();
	}
	if (key) {
		json_escape(out(), key);
		fputs(P.pretty ? ": " : ":", out());
	}
}

static void json_open(const char *key, char c)
{
	json_member(key);
	fputc(c, out());
	if (P.depth < MAX_DEPTH)
		P.members[P.depth] = 0;
	P.depth++;
}

static void json_close(char c)
{
	if (P.depth == 0)
		return;
	P.depth--;
	if (P.pretty && P.depth < MAX_DEPTH && P.members[P.depth])
		indent();
	fputc(c, out());
}

void print_open_object(const char *key)
{
	if (P.json)
		json_open(key, '{');
}

void print_close_object(void)
{
	if (P.json)
		json_close('}');
}

void print_open_array(const char *key)
{
	if (P.json)
		json_open(key, '[');
}

void print_close_array(void)
{
	if (P.json)
		json_close(']');
}

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *val)
{
	if (P.json) {
		if (t & PRINT_JSON) {
			json_member(key);
			json_escape(out(), val);
		}
	} else if ((t & PRINT_FP) && fmt) {
		fprintf(out(), fmt, val);
	}
}

void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t val)
{
	if (P.json) {
		if (t & PRINT_JSON) {
			json_member(key);
			fprintf(out(), "%" PRIu64, val);
		}
	} else if ((t & PRINT_FP) && fmt) {
		fprintf(out(), fmt, val);
	}
}

void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int val)
{
	if (P.json) {
		if (t & PRINT_JSON) {
			json_member(key);
			fprintf(out(), "%u", val);
		}
	} else if ((t & PRINT_FP) && fmt) {
		fprintf(out(), fmt, val);
	}
}

void print_double(enum output_type t, const char *key, const char *fmt,
		  double val)
{
	if (P.json) {
		if (t & PRINT_JSON) {
			json_member(key);
			fprintf(out(), fmt ? fmt : "%.6f", val);
		}
	} else if ((t & PRINT_FP) && fmt) {
		fprintf(out(), fmt, val);
	}
}

void print_bool(enum output_type t, const char *key, const char *fmt,
		bool val)
{
	if (P.json) {
		if (t & PRINT_JSON) {
			json_member(key);
			fputs(val ? "true" : "false", out());
		}
	} else if ((t & PRINT_FP) && fmt && val) {
		fputs(fmt, out());
	}
}

void print_nl(void)
{
	if (!P.json)
		fputc('\n', out());
}

void print_end(void)
{
	if (P.json)
		fputc('\n', out());
	fflush(out());
}
