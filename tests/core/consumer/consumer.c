/* A program built against an installed supermachine-kernel, through
 * pkg-config or find_package.  With a directory argument it checks the
 * assets staged there. */
#include <supermachine_kernel.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	const smk_kernel_info *k = NULL;
	int rc = smk_kernel_get_info(&k);
	if (rc) {
		fprintf(stderr, "kernel info: %s\n", smk_strerror(rc));
		return 1;
	}
	printf("supermachine-kernel %s: kernel %zu bytes, release %s\n",
	       smk_version_string(), smk_kernel_len(), k->release);
	if (argc > 1) {
		rc = smk_verify(argv[1]);
		if (rc) {
			fprintf(stderr, "%s: %s\n", argv[1], smk_strerror(rc));
			return 1;
		}
		printf("%s: verified\n", argv[1]);
	}
	return smk_version_number() == SMK_VERSION_NUMBER ? 0 : 1;
}
