#include "core/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <sstream>

#include "core/configuration.h"
#include "core/page_content.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {
namespace {

files::FileLock lock_ca_folder(const std::filesystem::path& root) {
  if (!is_ca_folder(root)) {
    throw SimError(certadm_sim::kBadNetPath,
                   fmt::format("{} is not a simulated CA folder (no .casim/state.json)", path_to_utf8(root)));
  }
  return files::FileLock(state_dir_of(root) / "lock", files::FileLock::Kind::kExclusive);
}

uint64_t page_offset(uint32_t page) { return static_cast<uint64_t>(page + kHeaderPages - 1) * kPageSize; }

void check_ca_name(const std::string& name) {
  if (name.empty() || name.size() > 200) {
    throw SimError(certadm_sim::kEInvalidArg, "CA name must have 1 to 200 bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || std::string_view("/\\:*?\"<>|").find(static_cast<char>(c)) != std::string_view::npos) {
      throw SimError(certadm_sim::kEInvalidArg,
                     fmt::format("CA name \"{}\" contains a character a Windows file name cannot hold", name));
    }
  }
  utf8_to_utf16(name);  // rejects invalid UTF-8
}

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  uint32_t below(uint32_t bound) { return static_cast<uint32_t>((next() >> 32) * bound >> 32); }

 private:
  uint64_t state_;
};

std::vector<uint8_t> random_blob(uint64_t seed, size_t size) {
  std::vector<uint8_t> bytes(size);
  Random random(seed);
  for (auto& byte : bytes) byte = static_cast<uint8_t>(random.next());
  return bytes;
}

}  // namespace

void create_log_file(const std::filesystem::path& path, const LogHeader& header) {
  std::array<uint8_t, kLogHeaderSize> block{};
  encode_log_header(header, block);
  files::File file(path, files::OpenMode::kCreate);
  file.resize(0);
  file.write_at(0, block);
  file.resize(kLogFileSize);  // ESE preallocates its logs; the tail reads as zero (end of records)
}

uint32_t init_ca(const InitOptions& options) {
  check_ca_name(options.ca_name);
  if (is_ca_folder(options.root)) {
    throw SimError(certadm_sim::kEInvalidArg,
                   fmt::format("{} already holds a simulated CA; use a new folder", path_to_utf8(options.root)));
  }
  const uint64_t minimum = (kHeaderPages + 16) * static_cast<uint64_t>(kPageSize);
  if (options.database_bytes < minimum) {
    throw SimError(certadm_sim::kEInvalidArg,
                   fmt::format("database size {} bytes is below the minimum of {} bytes (16 data pages)",
                               options.database_bytes, minimum));
  }
  if (options.database_bytes / kPageSize > 0x7FFFFFFF) {
    throw SimError(certadm_sim::kEInvalidArg,
                   fmt::format("database size {} bytes is too large", options.database_bytes));
  }
  SimState state;
  state.ca_name = options.ca_name;
  state.seed = options.seed;
  state.page_count = static_cast<uint32_t>(options.database_bytes / kPageSize) - kHeaderPages;
  const uint64_t now = now_seconds();
  // Signatures identify this database and its log sequence among all others, as ESE's random ones do:
  // two CAs created in the same second with the same seed must still differ.
  std::random_device entropy;
  state.db_signature = Signature{entropy(), now};
  state.log_signature = Signature{entropy(), now};
  state.log_created = now;
  const CaLayout layout(options.root, options.ca_name);
  files::create_directories(layout.certlog);
  files::create_directories(layout.certenroll);
  files::create_directories(layout.state_dir);

  // Pages in batches: one write per 2 MiB keeps a 1 GiB database to a few seconds.
  files::File database(layout.database, files::OpenMode::kCreate);
  database.resize(0);
  constexpr uint32_t kBatchPages = 256;
  std::vector<uint8_t> batch(static_cast<size_t>(kBatchPages) * kPageSize);
  for (uint32_t first = 1; first <= state.page_count; first += kBatchPages) {
    const uint32_t count = std::min(kBatchPages, state.page_count - first + 1);
    for (uint32_t i = 0; i < count; ++i) {
      fill_page(state.seed, first + i, 1, std::span(batch).subspan(static_cast<size_t>(i) * kPageSize, kPageSize));
      state.digest += digest_term(first + i, 1);
    }
    database.write_at(page_offset(first), std::span(batch).first(static_cast<size_t>(count) * kPageSize));
  }
  state.dbtime = state.page_count;
  DbHeader header;
  header.state = static_cast<uint32_t>(DbState::kDirtyShutdown);
  header.dbtime = state.dbtime;
  header.db_signature = state.db_signature;
  header.log_signature = state.log_signature;
  header.gen_min_required = 1;
  header.gen_max_required = 1;
  header.seed = state.seed;
  std::array<uint8_t, kPageSize> header_page{};
  encode_db_header(header, header_page);
  database.write_at(0, header_page);
  database.write_at(kPageSize, header_page);
  database.close();

  create_log_file(layout.current_log, LogHeader{1, state.log_created, 0, state.log_signature, 0});
  std::array<uint8_t, kCheckpointFileSize> checkpoint{};
  encode_checkpoint(1, state.log_signature, checkpoint);
  files::write_bytes(layout.checkpoint, checkpoint);
  write_ca_certificate(layout, state.seed);
  write_configuration(layout, state.ca_name);
  save_state(layout, state);
  append_truth(layout, state, 1);
  publish_crls(options.root);
  return state.page_count;
}

Engine::Engine(const std::filesystem::path& root)
    : lock_(lock_ca_folder(root)), state_(load_state(root)), layout_(layout_of(root, state_)) {}

DbHeader Engine::read_db_header() const {
  files::File database(layout_.database, files::OpenMode::kRead);
  std::array<uint8_t, kPageSize> page{};
  database.read_exact(0, page);
  return decode_db_header(page, path_to_utf8(layout_.database));
}

bool Engine::upgrade_legacy_db_header() {
  std::array<uint8_t, kPageSize> page{};
  try {
    files::File database(layout_.database, files::OpenMode::kRead);
    if (database.read_at(0, page) != page.size() || !is_legacy_db_header(page)) return false;
  } catch (const SimError&) {
    return false;  // a missing or unreadable database is reported by the call that needs its bytes
  }
  write_db_header(decode_db_header(page, path_to_utf8(layout_.database)));
  return true;
}

void Engine::write_db_header(const DbHeader& header) {
  std::array<uint8_t, kPageSize> page{};
  encode_db_header(header, page);
  files::File database(layout_.database, files::OpenMode::kReadWrite);
  database.write_at(0, page);
  database.write_at(kPageSize, page);
}

void Engine::write_checkpoint(uint32_t generation) {
  std::array<uint8_t, kCheckpointFileSize> block{};
  encode_checkpoint(generation, state_.log_signature, block);
  files::write_bytes(layout_.checkpoint, block);
  state_.checkpoint_generation = generation;
}

uint32_t Engine::close_current_log() {
  const uint32_t closed = state_.current_generation;
  files::rename_file(layout_.current_log, layout_.finished_log(closed));
  state_.previous_log_created = state_.log_created;
  state_.log_created = std::max(now_seconds(), state_.log_created + 1);
  state_.current_generation = closed + 1;
  state_.log_used = kLogHeaderSize;
  create_log_file(layout_.current_log, LogHeader{state_.current_generation, state_.log_created,
                                                 state_.previous_log_created, state_.log_signature, state_.epoch});
  if (state_.current_generation > kCheckpointLag &&
      state_.current_generation - kCheckpointLag > state_.checkpoint_generation) {
    write_checkpoint(state_.current_generation - kCheckpointLag);
  }
  update_db_header([&](DbHeader& header) {
    header.dbtime = state_.dbtime;
    header.gen_min_required = state_.checkpoint_generation;
    header.gen_max_required = state_.current_generation;
  });
  return closed;
}

std::vector<uint32_t> Engine::commit_transaction(std::span<const uint32_t> updates, uint32_t appended) {
  std::vector<uint32_t> pages(updates.begin(), updates.end());
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  files::File database(layout_.database, files::OpenMode::kReadWrite);
  const size_t total = pages.size() + appended;
  if (kLogHeaderSize + total * kRedoRecordSize > kLogFileSize) {
    throw SimError(certadm_sim::kEInvalidArg, fmt::format("a transaction of {} pages does not fit in one log", total));
  }
  std::vector<uint8_t> images(total * kPageSize);
  std::vector<uint64_t> counters(total);
  for (size_t i = 0; i < pages.size(); ++i) {
    if (pages[i] == 0 || pages[i] > state_.page_count) {
      throw SimError(certadm_sim::kEInvalidArg,
                     fmt::format("page {} is outside the database (1..{})", pages[i], state_.page_count));
    }
    std::array<uint8_t, 16> page_header{};
    database.read_exact(page_offset(pages[i]), page_header);
    const uint64_t counter = load_u64(page_header, kPageCounterOffset);
    counters[i] = counter + 1;
    state_.digest += digest_term(pages[i], counters[i]) - digest_term(pages[i], counter);
  }
  for (uint32_t i = 0; i < appended; ++i) {
    pages.push_back(state_.page_count + 1 + i);
    counters[pages.size() - 1] = 1;
    state_.digest += digest_term(pages.back(), 1);
  }
  std::vector<uint8_t> records(total * kRedoRecordSize);
  for (size_t i = 0; i < total; ++i) {
    auto image = std::span(images).subspan(i * kPageSize, kPageSize);
    fill_page(state_.seed, pages[i], counters[i], image);
    encode_redo(RedoRecord{pages[i], counters[i], image}, std::span(records).subspan(i * kRedoRecordSize));
  }
  if (state_.log_used + records.size() > kLogFileSize) close_current_log();
  {
    files::File log(layout_.current_log, files::OpenMode::kReadWrite);
    log.write_at(state_.log_used, records);  // write-ahead: the log first, then the pages
  }
  state_.log_used += static_cast<uint32_t>(records.size());
  for (size_t i = 0; i < total; ++i) {
    database.write_at(page_offset(pages[i]), std::span(images).subspan(i * kPageSize, kPageSize));
  }
  state_.page_count += appended;
  state_.dbtime += total;
  std::string changed;
  for (uint32_t page : pages) changed += fmt::format("{}\n", page);
  files::append_text(layout_.changed_pages_file, changed);
  state_.truth_generation = state_.current_generation;
  save();
  append_truth(layout_, state_, state_.current_generation);
  return pages;
}

namespace {

TransactionSummary run_transactions(const std::filesystem::path& root, uint64_t count, bool revoke) {
  TransactionSummary summary;
  for (uint64_t i = 0; i < count; ++i) {
    Engine engine(root);  // lock per transaction, so a backup in another process can interleave
    SimState& state = engine.state();
    if (!state.online) {
      throw SimError(certadm_sim::kServerUnavailable,
                     fmt::format("{}: the CA is stopped (casim start first)", path_to_utf8(root)));
    }
    if (i == 0) summary.first_generation = state.current_generation;
    const uint64_t serial = revoke ? state.revocations : state.certificates;
    Random random(mix64(state.seed ^ mix64(serial + (revoke ? 0x5245564Bull << 32 : 0))));
    std::vector<uint32_t> updates;
    const uint32_t touched = revoke ? 1 + random.below(2) : 2 + random.below(3);
    for (uint32_t k = 0; k < touched; ++k) updates.push_back(1 + random.below(state.page_count));
    const uint32_t appended = (!revoke && random.below(8) == 0) ? 1 : 0;
    if (revoke) {
      ++state.revocations;
    } else {
      ++state.certificates;
    }
    summary.pages_written += engine.commit_transaction(updates, appended).size();
    summary.last_generation = state.current_generation;
    ++summary.transactions;
  }
  return summary;
}

}  // namespace

TransactionSummary issue_certificates(const std::filesystem::path& root, uint64_t count) {
  return run_transactions(root, count, false);
}

TransactionSummary revoke_certificates(const std::filesystem::path& root, uint64_t count) {
  return run_transactions(root, count, true);
}

void write_ca_certificate(const CaLayout& layout, uint64_t seed) {
  std::vector<uint8_t> der = {0x30, 0x82, 0x03, 0x9C, 0x30, 0x82, 0x02, 0x84, 0xA0, 0x03, 0x02, 0x01, 0x02};
  const auto body = random_blob(mix64(seed ^ 0xCE27), 912);
  der.insert(der.end(), body.begin(), body.end());
  files::write_bytes(layout.certificate, der);
}

uint64_t publish_crls(const std::filesystem::path& root) {
  Engine engine(root);
  SimState& state = engine.state();
  ++state.crl_number;
  auto crl = [&](uint64_t first_revocation, bool delta) {
    std::vector<uint8_t> bytes = {0x30, 0x82, 0x00, 0x00, 0x30, 0x82, 0x00, 0x00, 0x02, 0x01, 0x01};
    const std::string issuer = "CN=" + state.ca_name + (delta ? " (delta)" : "");
    bytes.insert(bytes.end(), issuer.begin(), issuer.end());
    for (uint64_t r = first_revocation; r < state.revocations; ++r) {
      const auto serial = random_blob(mix64(state.seed ^ r ^ 0x5E71A1), 19);
      bytes.insert(bytes.end(), {0x30, 0x21, 0x02, 0x13});
      bytes.insert(bytes.end(), serial.begin(), serial.end());
      bytes.insert(bytes.end(), {0x17, 0x0D, '2', '6', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z'});
    }
    const auto signature = random_blob(mix64(state.seed ^ state.crl_number ^ (delta ? 1 : 0)), 256);
    bytes.insert(bytes.end(), signature.begin(), signature.end());
    return bytes;
  };
  const CaLayout& layout = engine.layout();
  files::write_bytes(layout.crl, crl(0, false));
  files::write_bytes(layout.delta_crl, crl(state.revocations > 8 ? state.revocations - 8 : 0, true));
  engine.save();
  return state.crl_number;
}

bool stop_ca(const std::filesystem::path& root) {
  Engine engine(root);
  SimState& state = engine.state();
  if (!state.online) return false;
  state.online = false;
  engine.write_checkpoint(state.current_generation);
  engine.update_db_header([&](DbHeader& header) {
    header.state = static_cast<uint32_t>(DbState::kCleanShutdown);
    header.dbtime = state.dbtime;
    header.gen_min_required = state.current_generation;
    header.gen_max_required = state.current_generation;
  });
  engine.save();
  return true;
}

std::vector<uint32_t> changed_pages(const std::filesystem::path& root, bool reset) {
  Engine engine(root);
  std::set<uint32_t> pages;
  if (files::exists(engine.layout().changed_pages_file)) {
    std::istringstream lines(files::read_text(engine.layout().changed_pages_file));
    uint32_t page = 0;
    while (lines >> page) pages.insert(page);
  }
  if (reset) files::remove_file(engine.layout().changed_pages_file);
  return std::vector<uint32_t>(pages.begin(), pages.end());
}

}  // namespace casim
