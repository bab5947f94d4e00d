// SPDX-License-Identifier: GPL-2.0
/*
 * BACKENDS_FILE: the operator's JSON format in a file, read at start, again
 * when it changes (inotify) and on SIGHUP.
 *
 * The watch is on the directory, not the file: editors and config managers
 * replace a file (write a temporary, rename it over), which a watch on the
 * old inode would never see. Events are debounced briefly so that a burst
 * (create, write, close) is read once, complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instances.h"

#define FILE_MAX_SIZE	((off_t)16 * 1024 * 1024)
#define FILE_DEBOUNCE_US	50000

struct file_src {
	struct source_state *s;
	char *dir, *base;
	sd_event_source *watch;		/* NULL: the directory is not watched */
	sd_event_source *timer;		/* debounced (re)load */
	size_t last_n;
};

static const char *path_of(const struct file_src *p)
{
	return p->s->cfg->path;
}

/* The whole file, NUL-terminated, or NULL with errno (EFBIG, EISDIR...). */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, e;

	/* O_NONBLOCK: a FIFO put there must not hang the loop in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (st.st_size > FILE_MAX_SIZE) {
		errno = EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	/* to the end, whatever the size said: it may have grown meanwhile */
	for (;;) {
		if (n == (size_t)st.st_size) {
			char c;

			r = read(fd, &c, 1);
			if (r > 0) {
				errno = EAGAIN;	/* still being written */
				goto fail;
			}
		} else {
			r = read(fd, buf + n, (size_t)st.st_size - n);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	e = errno;
	free(buf);
	close(fd);
	errno = e;
	return NULL;
}

static void load(struct file_src *p)
{
	struct source_state *s = p->s;
	char err[AGENT_ERR_MAX], label[AGENT_ERR_MAX];
	struct instance *inst;
	size_t len, n;
	char *text;

	text = read_file(path_of(p), &len);
	if (!text) {
		vip_source_failed(s->vip, s->idx, "BACKENDS_FILE %s: %s",
				  path_of(p),
				  errno == EAGAIN ? "changed while read" :
				  errno == EINVAL ? "not a regular file" :
				  strerror(errno));
		return;
	}
	if (instances_parse_json(text, len, source_default_port(s),
				 source_default_weight(s), &inst, &n, err,
				 sizeof(err))) {
		free(text);
		vip_source_failed(s->vip, s->idx, "BACKENDS_FILE %s: %s",
				  path_of(p), err);
		return;
	}
	free(text);
	snprintf(label, sizeof(label), "BACKENDS_FILE %s", path_of(p));
	source_deliver(s, label, inst, n, &p->last_n);
	free(inst);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	(void)es;
	(void)usec;
	load(userdata);
	return 0;
}

static void load_soon(struct file_src *p, uint64_t delay_us)
{
	sd_event_source_set_time(p->timer,
				 now_usec(CLOCK_MONOTONIC) + delay_us);
	sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static int on_inotify(sd_event_source *es, const struct inotify_event *ev,
		      void *userdata)
{
	struct file_src *p = userdata;

	(void)es;
	if (ev->mask & IN_IGNORED) {
		/* the directory itself went away: the watch is gone with it */
		sd_event_source_disable_unref(p->watch);
		p->watch = NULL;
		log_warn("vip %s: BACKENDS_FILE directory %s is gone, not watched until SIGHUP",
			 p->s->vip->cfg->name, p->dir);
		load_soon(p, 0);
		return 0;
	}
	/*
	 * Ours, or "..data" and the like: a Kubernetes ConfigMap volume makes
	 * the file a symlink through "..data", which is swapped by rename.
	 */
	if ((ev->mask & IN_Q_OVERFLOW) ||
	    (ev->len && (!strcmp(ev->name, p->base) ||
			 !strncmp(ev->name, "..", 2))))
		load_soon(p, FILE_DEBOUNCE_US);
	return 0;
}

static int watch(struct file_src *p)
{
	int r;

	r = sd_event_add_inotify(source_event(p->s), &p->watch, p->dir,
				 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
				 IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR,
				 on_inotify, p);
	if (r < 0) {
		p->watch = NULL;
		log_warn("vip %s: cannot watch %s for BACKENDS_FILE changes: %s (SIGHUP retries)",
			 p->s->vip->cfg->name, p->dir, strerror(-r));
		return r;
	}
	sd_event_source_set_description(p->watch, "source-file");
	return 0;
}

static void file_stop(struct source_state *s)
{
	struct file_src *p = s->priv;

	if (!p)
		return;
	sd_event_source_disable_unref(p->watch);
	sd_event_source_disable_unref(p->timer);
	free(p->dir);
	free(p->base);
	free(p);
	s->priv = NULL;
}

static int file_start(struct source_state *s)
{
	struct file_src *p;
	char *a, *b;
	int r;

	if (!s->cfg->path || !*s->cfg->path) {
		log_err("vip %s: file source without a path", s->vip->cfg->name);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->s = s;
	s->priv = p;
	/* dirname() and basename() may modify their argument: copies */
	a = strdup(s->cfg->path);
	b = strdup(s->cfg->path);
	if (a && b) {
		p->dir = strdup(dirname(a));
		p->base = strdup(basename(b));
	}
	free(a);
	free(b);
	if (!p->dir || !p->base) {
		file_stop(s);
		return -ENOMEM;
	}
	/* read from the loop, like every later read */
	r = sd_event_add_time(source_event(s), &p->timer, CLOCK_MONOTONIC, 0, 0,
			      on_timer, p);
	if (r < 0) {
		file_stop(s);
		return r;
	}
	sd_event_source_set_description(p->timer, "source-file-load");
	/* a missing directory is a failure to report, not a reason to die */
	watch(p);
	return 0;
}

static void file_reload(struct source_state *s)
{
	struct file_src *p = s->priv;

	if (!p)
		return;
	if (!p->watch)
		watch(p);
	load_soon(p, 0);
}

const struct source_ops source_file_ops = {
	.type = SRC_FILE,
	.name = "file",
	.start = file_start,
	.stop = file_stop,
	.reload = file_reload,
};
