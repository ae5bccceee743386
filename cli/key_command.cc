#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "certvault/base/account_protection.h"
#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/utc_time.h"
#include "certvault/repository/keys.h"
#include "cli_support.h"
#include "commands.h"
#include "console.h"

namespace certvault::cli {
namespace {

struct KeyOptions {
  std::string repo, id, new_password_file, new_key_file;
  bool json = false;
  bool dpapi = false;
};

// The credential of a new key slot: --new-key-file, --new-password-file, CERTVAULT_NEW_PASSWORD,
// or typed twice on a terminal.
Credentials new_key_credentials(const KeyOptions& options, bool passphrase_only) {
  Credentials result;
  if (!options.new_key_file.empty() && !passphrase_only) {
    result.key_file = os::path_from_utf8(options.new_key_file);
    if (options.dpapi) os::require_account_protection();
    result.protect_new_key_file_with_dpapi = options.dpapi;
    return result;
  }
  if (options.dpapi) throw Error(ErrorKind::kUsage, "--dpapi protects a new key file: give --new-key-file");
  if (!options.new_password_file.empty()) {
    result.passphrase = Credentials::read_passphrase_file(os::path_from_utf8(options.new_password_file));
    return result;
  }
  if (const char* text = std::getenv("CERTVAULT_NEW_PASSWORD"); text != nullptr && *text != '\0') {
    result.passphrase = text;
    return result;
  }
  if (!console::stdin_is_terminal()) {
    throw Error(ErrorKind::kUsage, passphrase_only
                                       ? "give the new passphrase: --new-password-file, CERTVAULT_NEW_PASSWORD, or "
                                         "type it on a terminal"
                                       : "give the new key: --new-password-file, --new-key-file, "
                                         "CERTVAULT_NEW_PASSWORD, or type a passphrase on a terminal");
  }
  const auto first = console::read_secret("certvault: new passphrase: ");
  if (console::read_secret("certvault: the same passphrase again: ") != first) {
    throw Error(ErrorKind::kUsage, "the two passphrases differ; no key was changed");
  }
  result.passphrase = first;
  return result;
}

void add_new_key_options(CLI::App& command, KeyOptions& options, bool with_key_file) {
  command.add_option("--new-password-file", options.new_password_file,
                     "read the new passphrase from this file's first line (else CERTVAULT_NEW_PASSWORD, else a "
                     "prompt)");
  if (with_key_file) {
    command.add_option("--new-key-file", options.new_key_file,
                       "add a key file instead of a passphrase (created with a random key when absent)");
    command.add_flag("--dpapi", options.dpapi,
                     "Windows: seal the new key file with DPAPI for the account running this command (run it as "
                     "SYSTEM for the scheduled task's key file)");
  }
}

}  // namespace

void register_key_command(CLI::App& app) {
  auto* command = app.add_subcommand("key", "list, add, remove or change the keys of an encrypted repository");
  command->require_subcommand(1);
  auto options = std::make_shared<KeyOptions>();

  auto* list = command->add_subcommand("list", "list the key slots");
  add_repo_option(*list, options->repo);
  list->add_flag("--json", options->json, "print JSON");
  list->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kShared);
    const auto slots = list_key_slots(*repository);
    if (options->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& slot : slots) {
        if (!slot.damage.empty()) {
          out.push_back({{"id", slot.id}, {"damaged", slot.damage}, {"current", false}});
          continue;
        }
        out.push_back({{"id", slot.id},
                       {"kind", slot.kind},
                       {"opslimit", slot.opslimit},
                       {"memlimit", slot.memlimit},
                       {"created", format_utc(slot.created_unix)},
                       {"current", slot.current}});
      }
      print_json(out);
      return;
    }
    std::string out = fmt::format(" {:<16}  {:<10}  {:<20}  {}\n", "id", "kind", "created (UTC)", "Argon2id cost");
    for (const auto& slot : slots) {
      if (!slot.damage.empty()) {
        out += fmt::format(" {:<16}  DAMAGED: {}\n", slot.id, slot.damage);
        continue;
      }
      out += fmt::format(
          "{}{:<16}  {:<10}  {:<20}  {}\n", slot.current ? '*' : ' ', slot.id, slot.kind, format_utc(slot.created_unix),
          slot.kind == "passphrase" ? fmt::format("opslimit {}, memlimit {} KiB", slot.opslimit, slot.memlimit >> 10)
                                    : std::string("-"));
    }
    out += fmt::format("{} key slot{} (* opened this time)\n", slots.size(), slots.size() == 1 ? "" : "s");
    std::fwrite(out.data(), 1, out.size(), stdout);
  });

  auto* add = command->add_subcommand("add", "add a key slot: another passphrase or a key file");
  add_repo_option(*add, options->repo);
  add_new_key_options(*add, *options, true);
  add->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kExclusive);
    const auto id = add_key_slot(*repository, new_key_credentials(*options, false), default_kdf_params());
    std::printf("added key slot %s\n", id.c_str());
  });

  auto* remove = command->add_subcommand("remove", "remove a key slot (never the last one)");
  add_repo_option(*remove, options->repo);
  remove->add_option("ID", options->id, "the slot's id (or a unique prefix), as `key list` shows it")->required();
  remove->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kExclusive);
    remove_key_slot(*repository, options->id);
    std::printf("removed key slot %s\n", options->id.c_str());
  });

  auto* passwd = command->add_subcommand("passwd", "change the passphrase: a new slot replaces the one that opened");
  add_repo_option(*passwd, options->repo);
  add_new_key_options(*passwd, *options, false);
  passwd->callback([options] {
    auto repository = open_repository(options->repo, LockMode::kExclusive);
    const auto old_id = repository->opened_key_slot();
    // The new slot is committed before the old one is removed: a crash between leaves both.
    const auto id = add_key_slot(*repository, new_key_credentials(*options, true), default_kdf_params());
    remove_key_slot(*repository, old_id);
    std::printf("changed the passphrase: key slot %s replaces %s\n", id.c_str(), old_id.c_str());
  });
}

}  // namespace certvault::cli
