#include "core/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "core/engine.h"
#include "core/file_layer.h"
#include "core/log_reader.h"
#include "core/page_content.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {
namespace {

class Problems {
 public:
  explicit Problems(std::vector<std::string>& out) : out_(out) {}
  void add(const std::string& kind, const std::string& text) {
    if (++counts_[kind] <= 5) out_.push_back(text);
  }
  void summarize() {
    for (const auto& [kind, count] : counts_) {
      if (count > 5) out_.push_back(fmt::format("... {} {} problems in all", count, kind));
    }
  }

 private:
  std::vector<std::string>& out_;
  std::map<std::string, uint64_t> counts_;
};

uint64_t check_pages(const CaLayout& layout, uint64_t seed, uint32_t& pages, Problems& problems) {
  files::File database(layout.database, files::OpenMode::kRead);
  const uint64_t size = database.size();
  if (size % kPageSize != 0) {
    problems.add("database", fmt::format("{} is {} bytes, not a whole number of {}-byte pages",
                                         path_to_utf8(layout.database), size, kPageSize));
  }
  if (size < kHeaderPages * static_cast<uint64_t>(kPageSize)) {
    problems.add("database",
                 fmt::format("{} is {} bytes, shorter than its two header pages", path_to_utf8(layout.database), size));
    pages = 0;
    return 0;
  }
  pages = static_cast<uint32_t>(size / kPageSize) - kHeaderPages;
  uint64_t digest = 0;
  constexpr uint32_t kBatchPages = 256;
  std::vector<uint8_t> batch(static_cast<size_t>(kBatchPages) * kPageSize);
  std::vector<uint8_t> expected(kPageSize);
  for (uint32_t first = 1; first <= pages; first += kBatchPages) {
    const uint32_t count = std::min(kBatchPages, pages - first + 1);
    const uint64_t offset = static_cast<uint64_t>(first + kHeaderPages - 1) * kPageSize;
    database.read_exact(offset, std::span(batch).first(static_cast<size_t>(count) * kPageSize));
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t number = first + i;
      const auto page = std::span<const uint8_t>(batch).subspan(static_cast<size_t>(i) * kPageSize, kPageSize);
      const uint64_t page_at = offset + static_cast<uint64_t>(i) * kPageSize;
      if (load_u32(page, 0) != block_checksum(page)) {
        problems.add("page checksum", fmt::format("page {} (offset {}): checksum 0x{:08X}, computed 0x{:08X}", number,
                                                  page_at, load_u32(page, 0), block_checksum(page)));
        continue;
      }
      if (load_u32(page, kPageNumberOffset) != number) {
        problems.add("page number", fmt::format("page {} (offset {}): header says page {}", number, page_at,
                                                load_u32(page, kPageNumberOffset)));
        continue;
      }
      const uint64_t counter = load_u64(page, kPageCounterOffset);
      fill_page(seed, number, counter, expected);
      if (std::memcmp(expected.data(), page.data(), kPageSize) != 0) {
        problems.add("page content", fmt::format("page {} (offset {}): contents differ from update {} of that page",
                                                 number, page_at, counter));
      }
      digest += digest_term(number, counter);
    }
  }
  return digest;
}

uint32_t check_logs(const CaLayout& layout, const SimState& state, Problems& problems) {
  std::vector<uint32_t> generations;
  for (const auto& name : files::list_file_names(layout.certlog)) {
    if (auto generation = generation_from_log_name(name)) generations.push_back(*generation);
  }
  std::sort(generations.begin(), generations.end());
  generations.push_back(state.current_generation);  // edb.log
  uint32_t checked = 0;
  bool have_previous = false;
  uint64_t previous_created = 0;
  for (size_t i = 0; i < generations.size(); ++i) {
    const uint32_t generation = generations[i];
    const bool current = i + 1 == generations.size();
    if (i > 0 && generation != generations[i - 1] + 1) {
      problems.add("log chain", fmt::format("log generations jump from {} to {} in {}", generations[i - 1], generation,
                                            path_to_utf8(layout.certlog)));
      have_previous = false;
    }
    const auto path = current ? layout.current_log : layout.finished_log(generation);
    try {
      const LoadedLog log = read_log(path, generation, state.log_signature);
      if (have_previous && log.header.previous_created != previous_created) {
        problems.add("log chain",
                     fmt::format("log {}: previous-log time {} differs from generation {}'s {}", path_to_utf8(path),
                                 log.header.previous_created, generation - 1, previous_created));
      }
      have_previous = true;
      previous_created = log.header.created;
      ++checked;
    } catch (const SimError& error) {
      problems.add("log", error.what());
      have_previous = false;
    }
  }
  if (state.checkpoint_generation > state.current_generation) {
    problems.add("checkpoint", fmt::format("checkpoint generation {} is past the current log {}",
                                           state.checkpoint_generation, state.current_generation));
  } else if (!generations.empty() && generations.front() > state.checkpoint_generation) {
    problems.add("checkpoint", fmt::format("logs from the checkpoint generation {} are missing (oldest log is {})",
                                           state.checkpoint_generation, generations.front()));
  }
  try {
    const uint32_t on_disk = decode_checkpoint(files::read_bytes(layout.checkpoint), path_to_utf8(layout.checkpoint));
    if (on_disk != state.checkpoint_generation) {
      problems.add("checkpoint", fmt::format("{} says generation {}, the state {}", path_to_utf8(layout.checkpoint),
                                             on_disk, state.checkpoint_generation));
    }
  } catch (const SimError& error) {
    problems.add("checkpoint", error.what());
  }
  return checked;
}

}  // namespace

VerifyReport verify_ca(const std::filesystem::path& root) {
  Engine engine(root);
  const SimState& state = engine.state();
  const CaLayout& layout = engine.layout();
  VerifyReport report;
  Problems problems(report.problems);
  uint64_t seed = state.seed;
  try {
    const DbHeader header = engine.read_db_header();
    seed = header.seed;
    if (!(header.log_signature == state.log_signature)) {
      problems.add("database header", "the database's log signature (offset 104) differs from the CA's logs");
    }
  } catch (const SimError& error) {
    problems.add("database header", error.what());
  }
  report.digest = check_pages(layout, seed, report.pages, problems);
  report.logs = check_logs(layout, state, problems);
  if (state.truth_generation == 0) {
    problems.add("truth",
                 "no ground truth for this state: the last recovery replayed logs this folder's truth.log "
                 "does not describe (restored from another CA folder?)");
  } else if (const auto truth = find_truth(layout, state.epoch, state.truth_generation)) {
    report.truth_epoch = truth->epoch;
    report.truth_generation = state.truth_generation;
    if (truth->digest != report.digest || truth->page_count != report.pages) {
      problems.add("truth",
                   fmt::format("logical state differs from the ground truth of generation {}: digest "
                               "{:016x} with {} pages, truth {:016x} with {} pages",
                               state.truth_generation, report.digest, report.pages, truth->digest, truth->page_count));
    }
  } else {
    problems.add("truth", fmt::format("truth.log has no line for epoch {} up to generation {}", state.epoch,
                                      state.truth_generation));
  }
  problems.summarize();
  report.ok = report.problems.empty();
  return report;
}

}  // namespace casim
