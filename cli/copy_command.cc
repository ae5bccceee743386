// `certvault copy`: snapshots from one repository into another (operations/snapshot_copy.h).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/operations/snapshot_copy.h"
#include "cli_support.h"
#include "commands.h"
#include "console.h"
#include "progress_line.h"

namespace certvault::cli {

namespace {

struct CopyOptions {
  std::string from, to;
  std::string from_password_file, from_key_file, to_password_file, to_key_file;
  std::vector<std::string> ids;
  bool all = false, json = false, plaintext_target = false;
};

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// The source's credentials: --from-password-file (CERTVAULT_FROM_PASSWORD_FILE), else
// CERTVAULT_FROM_PASSWORD; --from-key-file (CERTVAULT_FROM_KEY_FILE). None of them: the target's,
// so that two repositories under one passphrase need it once.
Credentials source_credentials(const CopyOptions& options, const Credentials& target) {
  Credentials result;
  if (!options.from_password_file.empty()) {
    result.passphrase = Credentials::read_passphrase_file(os::path_from_utf8(options.from_password_file));
    result.passphrase_origin = "--from-password-file " + options.from_password_file;
  } else if (const auto passphrase = environment("CERTVAULT_FROM_PASSWORD")) {
    result.passphrase = *passphrase;
    result.passphrase_origin = "CERTVAULT_FROM_PASSWORD";
  }
  if (!options.from_key_file.empty()) result.key_file = os::path_from_utf8(options.from_key_file);
  if (!result.passphrase && !result.key_file) {
    if (target.passphrase || target.key_file) return target;
    if (console::stdin_is_terminal()) {
      result.prompt = [] { return console::read_secret("certvault: passphrase of the source repository: "); };
    }
  }
  return result;
}

// The target's: --to-password-file / --to-key-file, else what every command takes
// (--password-file's variables CERTVAULT_PASSWORD_FILE, CERTVAULT_PASSWORD, CERTVAULT_KEY_FILE).
Credentials target_credentials(const CopyOptions& options) {
  Credentials result = Credentials::from_environment();
  if (!options.to_password_file.empty()) {
    result.passphrase = Credentials::read_passphrase_file(os::path_from_utf8(options.to_password_file));
    result.passphrase_origin = "--to-password-file " + options.to_password_file;
  }
  if (!options.to_key_file.empty()) result.key_file = os::path_from_utf8(options.to_key_file);
  if (!result.passphrase && !result.key_file && console::stdin_is_terminal()) {
    result.prompt = [] { return console::read_secret("certvault: passphrase of the target repository: "); };
  }
  return result;
}

std::unique_ptr<Repository> open_side(const std::string& which, const std::string& path, LockMode mode,
                                      const Credentials& credentials) {
  try {
    return Repository::open(repository_location(path), mode, warn, credentials);
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("{} repository {}: {}", which, path, e.what()));
  }
}

bool same_folder(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  const auto left = std::filesystem::weakly_canonical(os::path_from_utf8(a), ec1);
  const auto right = std::filesystem::weakly_canonical(os::path_from_utf8(b), ec2);
  return !ec1 && !ec2 && left == right;
}

std::string line_of(const CopiedSnapshot& s) {
  std::string line = fmt::format("{:<7} {}  {}  {:<11}  {}", s.copied ? "copied" : "skipped", s.id.substr(0, 12),
                                 format_utc(s.created_unix), s.kind, s.source);
  if (s.copied) {
    line += fmt::format("  ({} files, read {}, added {})", s.files, format_bytes(s.bytes_read),
                        format_bytes(s.bytes_added));
  } else {
    line += "  (already in the target)";
  }
  if (s.needed_by) line += "  [needed by a selected incremental]";
  return line;
}

nlohmann::json json_of(const CopiedSnapshot& s) {
  return {{"id", s.id},
          {"kind", s.kind},
          {"source", s.source},
          {"created", format_utc(s.created_unix)},
          {"copied", s.copied},
          {"needed_by_selected_incremental", s.needed_by},
          {"files", s.files},
          {"bytes_read", s.bytes_read},
          {"bytes_added", s.bytes_added}};
}

void run_copy(const CopyOptions& options) {
  if (same_folder(options.from, options.to)) {
    throw Error(
        ErrorKind::kUsage,
        fmt::format("copy: --from and --to name the same repository ({}): a copy needs another one", options.to));
  }
  const auto to_credentials = target_credentials(options);
  const auto from_credentials = source_credentials(options, to_credentials);
  auto from = open_side("source", options.from, LockMode::kShared, from_credentials);
  auto to = open_side("target", options.to, LockMode::kExclusive, to_credentials);
  if (!options.json) warn_if_not_encrypted(*to);

  CopyRequest request;
  request.snapshots = options.ids;
  request.all = options.all;
  request.allow_plaintext_target = options.plaintext_target;
  if (!options.json) {
    request.on_snapshot = [](const CopiedSnapshot& s) {
      std::printf("%s\n", line_of(s).c_str());
      std::fflush(stdout);
    };
  }
  const auto result = copy_snapshots(*from, *to, request);
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : result.snapshots) list.push_back(json_of(s));
    print_json({{"from", options.from},
                {"to", options.to},
                {"copied", result.copied},
                {"skipped", result.skipped},
                {"bytes_read", result.bytes_read},
                {"bytes_added", result.bytes_added},
                {"encrypted", to->encrypted()},
                // What went over the network (object stores only; both openings included).
                {"traffic", {{"from", traffic_json(from->objects())}, {"to", traffic_json(to->objects())}}},
                {"snapshots", list}});
  } else if (result.copied == 0) {
    std::printf("nothing to copy: all %u selected snapshot%s already in %s\n", result.skipped,
                result.skipped == 1 ? " is" : "s are", options.to.c_str());
  } else {
    std::printf("copied %u snapshot%s (skipped %u already in the target): read %s, added %s to %s\n", result.copied,
                result.copied == 1 ? "" : "s", result.skipped, format_bytes(result.bytes_read).c_str(),
                format_bytes(result.bytes_added).c_str(), options.to.c_str());
  }
}

}  // namespace

void register_copy_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "copy",
      "copy snapshots into another repository (e.g. an offsite one): only the chunks it lacks are added, "
      "re-encrypted under its key; snapshots already there are skipped, so a rerun completes an interrupted copy");
  auto options = std::make_shared<CopyOptions>();
  command->add_option("ids", options->ids, "snapshot ids, unique prefixes or 'latest' in the source");
  command->add_flag("--all", options->all, "copy every snapshot of the source");
  command->add_option("--from", options->from, "the source repository (opened for reading)")->required();
  command->add_option("--to", options->to, "the target repository (locked exclusively while copying)")->required();
  command
      ->add_option("--from-password-file", options->from_password_file,
                   "the source's passphrase: this file's first line (default: the target's credentials)")
      ->envname("CERTVAULT_FROM_PASSWORD_FILE");
  command->add_option("--from-key-file", options->from_key_file, "open the source with this key file")
      ->envname("CERTVAULT_FROM_KEY_FILE");
  command
      ->add_option("--to-password-file", options->to_password_file, "the target's passphrase: this file's first line")
      ->envname("CERTVAULT_PASSWORD_FILE");
  command->add_option("--to-key-file", options->to_key_file, "open the target with this key file")
      ->envname("CERTVAULT_KEY_FILE");
  command->add_flag("--insecure-plaintext-target", options->plaintext_target,
                    "allow copying an encrypted repository's snapshots into a plaintext one");
  command->add_flag("--json", options->json, "print JSON");
  add_remote_options(*command);  // for s3: locations on either side
  command->callback([options] { run_copy(*options); });
}

}  // namespace certvault::cli
