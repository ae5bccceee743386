// The test binaries' main: every repository that a test creates through `certvault init` is
// encrypted (the default), so the tests run with a passphrase in the environment, which the
// binaries they start inherit, and with the cheapest Argon2id parameters (CERTVAULT_TEST_KDF=fast,
// for tests only: a slot made with them is cheap to attack). A test that needs another setting
// overrides it for the command it runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>

int main(int argc, char* argv[]) {
  setenv("CERTVAULT_PASSWORD", "certvault test passphrase", 0);
  setenv("CERTVAULT_TEST_KDF", "fast", 0);
  return Catch::Session().run(argc, argv);
}
