// libFuzzer's driver, for fuzz targets whose `main` is Swift's (SwiftPM names an executable's entry
// point itself, so libFuzzer's own `main` cannot be used). Defined by -sanitize=fuzzer's runtime.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
