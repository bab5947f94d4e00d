// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb-agent: the exec check. `/bin/sh -c CHECK_EXEC` in a process group of
 * its own, with L4LB_BACKEND_ADDR, L4LB_BACKEND_PORT and L4LB_VIP in its
 * environment and /dev/null as stdin, stdout and stderr; exit status 0 is
 * healthy. At the timeout the whole group gets SIGKILL (a shell's children
 * too) and the check fails; the child is still reaped when it is gone,
 * by a run detached from the backend.
 */
#define _GNU_SOURCE	/* asprintf, posix_spawn_file_actions_addclosefrom_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "check.h"

extern char **environ;

static const char *const own_vars[] = {
	"L4LB_BACKEND_ADDR=", "L4LB_BACKEND_PORT=", "L4LB_VIP=",
};

/* The agent's environment without our three, then ours. NULL: ENOMEM. */
static char **exec_env(const struct abackend *b, char *vars[3])
{
	char addr[ADDR_STRLEN], vip[ADDR_STRLEN];
	const struct check_cfg *c = check_cfg_of(b);
	size_t n = 0, i, j, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < 3; j++)
			if (!strncmp(environ[i], own_vars[j], strlen(own_vars[j])))
				break;
		if (j == 3)
			env[k++] = environ[i];
	}
	if (asprintf(&vars[0], "L4LB_BACKEND_ADDR=%s",
		     addr_format(&b->ep, addr, sizeof(addr))) < 0)
		vars[0] = NULL;
	if (asprintf(&vars[1], "L4LB_BACKEND_PORT=%u",
		     c->port ? c->port : b->ep.port) < 0)
		vars[1] = NULL;
	if (asprintf(&vars[2], "L4LB_VIP=%s",
		     endpoint_format(&b->vip->cfg->vip, vip, sizeof(vip))) < 0)
		vars[2] = NULL;
	if (!vars[0] || !vars[1] || !vars[2]) {
		free(env);
		return NULL;
	}
	env[k++] = vars[0];
	env[k++] = vars[1];
	env[k++] = vars[2];
	env[k] = NULL;
	return env;
}

static void exec_kill(struct check_run *r)
{
	if (r->pid > 0)
		kill(-r->pid, SIGKILL);
}

static int exec_on_child(sd_event_source *s, const siginfo_t *si, void *arg)
{
	struct check_run *r = arg;

	(void)s;
	r->pid = 0;	/* reaped by sd-event (WEXITED) */
	if (!r->b) {
		/* a detached run: only the child was left to wait for */
		check_run_free(r);
		return 0;
	}
	if (si->si_code == CLD_EXITED && si->si_status == 0)
		check_done(r, true, NULL);
	else if (si->si_code == CLD_EXITED)
		check_done(r, false, "exit status %d", si->si_status);
	else
		check_done(r, false, "killed by signal %d (%s)", si->si_status,
			   strsignal(si->si_status));
	return 0;
}

/*
 * The run outlives the check until its child is reaped: without a backend
 * (r->b NULL) and without a timer, owned by its child event source.
 */
static void exec_detach(struct check_run *r)
{
	if (r->b && r->b->check == r)
		r->b->check = NULL;
	r->b = NULL;
	r->timer = sd_event_source_disable_unref(r->timer);
	if (!r->child)
		check_run_free(r);
}

static int exec_on_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct check_run *r = arg;
	struct abackend *b = r->b;
	const struct check_cfg *c = check_cfg_of(b);
	uint64_t lat = now_usec(CLOCK_MONOTONIC) - r->start_usec;
	char why[64];

	(void)s;
	(void)usec;
	exec_kill(r);
	exec_detach(r);
	snprintf(why, sizeof(why), "timed out after %ums: killed",
		 c->timeout_ms);
	health_result(b, false, lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat,
		      why);
	return 0;
}

static void exec_cancel(struct abackend *b)
{
	struct check_run *r = b->check;

	if (!r)
		return;
	exec_kill(r);
	exec_detach(r);
}

/*
 * /bin/sh -c @cmd in a process group of its own (the timeout kills the
 * shell's children too), default signal mask and dispositions, /dev/null
 * as stdin, stdout and stderr, nothing else of the agent's open. Returns 0
 * or an errno.
 */
static int exec_spawn(pid_t *pid, const char *cmd, char **env)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int err;

	err = posix_spawn_file_actions_init(&fa);
	if (err)
		return err;
	err = posix_spawnattr_init(&at);
	if (err) {
		posix_spawn_file_actions_destroy(&fa);
		return err;
	}
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, 0, 1);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, 0, 2);
	if (!err)
		err = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!err)
		err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					       POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);
	if (!err)
		err = posix_spawnattr_setpgroup(&at, 0);
	if (!err)
		err = posix_spawnattr_setsigmask(&at, &none);
	if (!err)
		err = posix_spawnattr_setsigdefault(&at, &dfl);
	if (!err)
		err = posix_spawn(pid, "/bin/sh", &fa, &at,
				  (char *[]){ "sh", "-c", (char *)cmd, NULL }, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

static int exec_start(struct abackend *b)
{
	const struct check_cfg *c = check_cfg_of(b);
	struct check_run *r;
	char *vars[3] = { NULL, NULL, NULL };
	char **env;
	static bool sigchld_blocked;
	sigset_t ss;
	pid_t pid;
	int err;

	if (!c->exec || !*c->exec)
		return -EINVAL;
	/*
	 * sd-event watches children only with SIGCHLD blocked (main should
	 * have; the agent has no threads, so doing it here is safe too).
	 */
	if (!sigchld_blocked) {
		sigemptyset(&ss);
		sigaddset(&ss, SIGCHLD);
		sigprocmask(SIG_BLOCK, &ss, NULL);
		sigchld_blocked = true;
	}

	r = check_run_new(b);
	if (!r)
		return -ENOMEM;
	env = exec_env(b, vars);
	if (!env) {
		free(vars[0]);
		free(vars[1]);
		free(vars[2]);
		check_done(r, false, "exec: out of memory");
		return 0;
	}

	/*
	 * posix_spawn, not fork: the parent is suspended until the child
	 * execs, and the child drops every descriptor but 0-2 before that.
	 * A forked child that held copies of the agent's descriptors while
	 * the parent went on could keep a socket the parent closed (libcurl's)
	 * alive in the parent's epoll set, which then delivered events for a
	 * freed sd-event source.
	 */
	err = exec_spawn(&pid, c->exec, env);
	free(vars[0]);
	free(vars[1]);
	free(vars[2]);
	free(env);
	if (err) {
		check_done(r, false, "spawn: %s", check_errstr(err));
		return 0;
	}
	r->pid = pid;
	err = sd_event_add_child(check_event_of(b), &r->child, pid, WEXITED,
				 exec_on_child, r);
	if (err < 0) {
		/* unwatched: kill it and wait here, it cannot linger */
		exec_kill(r);
		waitpid(pid, NULL, 0);
		r->pid = 0;
		check_done(r, false, "event loop: %s", check_errstr(err));
		return 0;
	}
	err = check_timeout_start(r, exec_on_timeout);
	if (err < 0) {
		exec_kill(r);
		exec_detach(r);
		health_result(b, false, 0, "event loop: cannot arm the timeout");
	}
	return 0;
}

const struct check_ops check_exec_ops = {
	.type = CHECK_EXEC,
	.name = "exec",
	.start = exec_start,
	.cancel = exec_cancel,
};
