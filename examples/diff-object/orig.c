/* The original of a translation unit: a /proc-style show function. */
extern int seq_printf(void *m, const char *fmt, ...);
extern const char *saved_command_line;

static unsigned long reads;

static int cmdline_len(const char *s)
{
	int n = 0;
	while (s[n])
		n++;
	return n;
}

int cmdline_proc_show(void *m, void *v)
{
	reads++;
	seq_printf(m, "%s\n", saved_command_line);
	return 0;
}

int cmdline_proc_len(void)
{
	return cmdline_len(saved_command_line);
}
