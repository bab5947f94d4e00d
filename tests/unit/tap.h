/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP checks for the small unit test programs: each prints ok / not ok and
 * counts into tap_tests / tap_failed (the program prints the plan).
 */
#ifndef L4LB_TEST_TAP_H
#define L4LB_TEST_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_tests, tap_failed;

static inline void check_str(const char *desc, const char *got,
			     const char *want)
{
	tap_tests++;
	if (got && !strcmp(got, want)) {
		printf("ok %d - %s\n", tap_tests, desc);
		return;
	}
	tap_failed++;
	printf("not ok %d - %s\n#   got  '%s'\n#   want '%s'\n", tap_tests, desc,
	       got ? got : "(null)", want);
}

static inline void check_int(const char *desc, long got, long want)
{
	tap_tests++;
	if (got == want) {
		printf("ok %d - %s\n", tap_tests, desc);
		return;
	}
	tap_failed++;
	printf("not ok %d - %s\n#   got %ld, want %ld\n", tap_tests, desc, got,
	       want);
}

#endif
