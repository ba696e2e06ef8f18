/* A file-size limit (RLIMIT_FSIZE) hit in the middle of writing: the call
 * fails with -EFBIG, the destination keeps its old content (or stays
 * absent), and no temporary is left. */
#include "test_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(void)
{
	char *root = test_mkdtemp("fsize");
	char *fresh = test_path(root, "fresh");
	char *old = test_path(root, "old");
	pid_t pid;
	int status = 0;

	test_write_file(old, "previous content");
	pid = fork();
	if (pid == 0) {
		/* Without this the kernel ends the process with SIGXFSZ. */
		struct rlimit rl = { 256 * 1024, 256 * 1024 };
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		int a = smk_extract_kernel_to(fresh);
		int b = smk_extract_kernel_to(old);
		int c = smk_extract_all_to(root);
		if (a != -EFBIG || b != -EFBIG || c != -EFBIG) {
			fprintf(stderr, "got %s %s %s, want EFBIG\n", smk_error_name(a),
			        smk_error_name(b), smk_error_name(c));
			_exit(1);
		}
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		struct stat st;
		size_t len = 0;
		unsigned char *c = test_read_file(old, &len);
		CHECK(lstat(fresh, &st) != 0 && errno == ENOENT);
		CHECK(c && strcmp((char *)c, "previous content") == 0);
		free(c);
	}
	CHECK(test_count_temps(root) == 0);
	test_rm_rf(root);
	free(fresh);
	free(old);
	free(root);
	return test_finish("core.fsize");
}
