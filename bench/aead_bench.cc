// certvault-bench aead: the two AEADs libsodium offers, on the block size sealed objects use
// (XChaCha20-Poly1305-IETF, the one certvault uses, and AES-256-GCM where the CPU has AES-NI),
// and Argon2id's time at a few costs (the key slots' default, docs/design.md "Keys").
#include <fmt/core.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench_mode.h"

namespace certvault::bench {
namespace {

constexpr int kPasses = 5;

template <typename Pass>
double median_seconds(Pass pass) {
  std::vector<double> seconds;
  for (int i = 0; i < kPasses; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pass();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[kPasses / 2];
}

int run(int argc, char** argv) {
  CLI::App app{"AEAD throughput on 64 KiB blocks, and Argon2id time"};
  size_t mib = 256;
  bool kdf = true;
  app.add_option("--mib", mib, "bytes sealed per pass, in MiB");
  app.add_flag("!--no-kdf", kdf, "skip the Argon2id timings");
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  constexpr size_t kBlock = 64 * 1024;
  const size_t blocks = (mib << 20) / kBlock;
  std::vector<uint8_t> plain(kBlock), sealed(kBlock + 16), out(kBlock);
  randombytes_buf(plain.data(), plain.size());
  std::vector<uint8_t> key(32), nonce(24), ad(96);
  randombytes_buf(key.data(), key.size());
  unsigned long long length = 0;
  nlohmann::json result;
  const auto report = [&](const char* name, double seal_s, double open_s) {
    const double bytes = static_cast<double>(blocks * kBlock);
    std::printf("%-26s seal %7.0f MB/s   open %7.0f MB/s\n", name, bytes / seal_s / 1e6, bytes / open_s / 1e6);
    result[name] = {{"seal_mb_s", bytes / seal_s / 1e6}, {"open_mb_s", bytes / open_s / 1e6}};
  };
  {
    const double s = median_seconds([&] {
      for (size_t i = 0; i < blocks; ++i) {
        crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), &length, plain.data(), kBlock, ad.data(), ad.size(),
                                                   nullptr, nonce.data(), key.data());
      }
    });
    const double o = median_seconds([&] {
      for (size_t i = 0; i < blocks; ++i) {
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &length, nullptr, sealed.data(), sealed.size(),
                                                       ad.data(), ad.size(), nonce.data(), key.data()) != 0) {
          throw std::runtime_error("xchacha20poly1305 did not open its own block");
        }
      }
    });
    report("xchacha20poly1305-ietf", s, o);
  }
  if (crypto_aead_aes256gcm_is_available()) {
    const double s = median_seconds([&] {
      for (size_t i = 0; i < blocks; ++i) {
        crypto_aead_aes256gcm_encrypt(sealed.data(), &length, plain.data(), kBlock, ad.data(), ad.size(), nullptr,
                                      nonce.data(), key.data());
      }
    });
    const double o = median_seconds([&] {
      for (size_t i = 0; i < blocks; ++i) {
        if (crypto_aead_aes256gcm_decrypt(out.data(), &length, nullptr, sealed.data(), sealed.size(), ad.data(),
                                          ad.size(), nonce.data(), key.data()) != 0) {
          throw std::runtime_error("aes256gcm did not open its own block");
        }
      }
    });
    report("aes256gcm", s, o);
  } else {
    std::printf("aes256gcm: not available on this CPU (libsodium needs AES-NI and PCLMUL)\n");
    result["aes256gcm"] = nullptr;
  }
  if (kdf) {
    std::vector<uint8_t> salt(crypto_pwhash_SALTBYTES), derived(32);
    for (const auto& [ops, mem_mib] :
         std::vector<std::pair<uint64_t, uint64_t>>{{1, 64}, {2, 64}, {3, 64}, {1, 256}, {2, 256}}) {
      const auto start = std::chrono::steady_clock::now();
      if (crypto_pwhash(derived.data(), derived.size(), "passphrase", 10, salt.data(), ops, mem_mib << 20,
                        crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("crypto_pwhash failed (out of memory?)");
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("argon2id opslimit %llu memlimit %4llu MiB: %.2f s\n", static_cast<unsigned long long>(ops),
                  static_cast<unsigned long long>(mem_mib), s);
      result["argon2id"].push_back({{"opslimit", ops}, {"memlimit_mib", mem_mib}, {"seconds", s}});
    }
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

const ModeRegistration registration{{"aead", "AEAD throughput (XChaCha20-Poly1305 vs AES-256-GCM), Argon2id", run}};

}  // namespace
}  // namespace certvault::bench
