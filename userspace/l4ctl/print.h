/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output layer for text and JSON, in the style of iproute2's
 * json_print: every value is emitted by a single call which names both its
 * JSON key and its text format, so the two outputs cannot drift apart.
 *
 *	print_uint(PRINT_ANY, "weight", " weight %u", w);
 *
 * Text formats start with a space (the first item of a line excepted) so
 * that lines carry no trailing blanks.
 */
#ifndef L4CTL_PRINT_H
#define L4CTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum output_type {
	PRINT_FP = 1,		/* text output only */
	PRINT_JSON = 2,		/* JSON output only */
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};

/* Select the mode and the stream (stdout normally, a memstream in tests). */
void print_init(FILE *out, bool json, bool pretty);
bool print_is_json(void);

/* JSON structure; no-ops in text mode. @key is NULL inside arrays. */
void print_open_object(const char *key);
void print_close_object(void);
void print_open_array(const char *key);
void print_close_array(void);

void print_string(enum output_type t, const char *key, const char *fmt,
		  const char *val);
void print_uint(enum output_type t, const char *key, const char *fmt,
		unsigned int val);
void print_u64(enum output_type t, const char *key, const char *fmt,
	       uint64_t val);
/* JSON: @val with @fmt if given, else %.6f. */
void print_double(enum output_type t, const char *key, const char *fmt,
		  double val);
/* JSON true/false; in text, @fmt is printed when @val is true. */
void print_bool(enum output_type t, const char *key, const char *fmt,
		bool val);

/* End of a text line; nothing in JSON mode. */
void print_nl(void);

/* End of the document: the final newline of JSON output, and a flush. */
void print_end(void);

/* Write @s as a quoted JSON string, escaping as RFC 8259 requires. */
void json_escape(FILE *f, const char *s);

#endif
