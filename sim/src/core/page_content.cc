#include "core/page_content.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "core/formats.h"

namespace casim {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  uint32_t below(uint32_t bound) { return static_cast<uint32_t>((next() >> 32) * bound >> 32); }

 private:
  uint64_t state_;
};

constexpr std::string_view kGivenNames[] = {"Giulia",   "Marco",  "Francesca", "Luca",    "Chiara", "Alessandro",
                                            "Sara",     "Matteo", "Valentina", "Andrea",  "Elena",  "Davide",
                                            "Federica", "Simone", "Martina",   "Lorenzo", "Ilaria", "Stefano"};
constexpr std::string_view kSurnames[] = {"Rossi",   "Russo",   "Ferrari", "Esposito", "Bianchi",  "Romano",
                                          "Colombo", "Ricci",   "Marino",  "Greco",    "Bruno",    "Gallo",
                                          "Conti",   "De Luca", "Mancini", "Costa",    "Giordano", "Rizzo"};
constexpr std::string_view kUnits[] = {"Amministrazione", "Vendite", "Produzione", "Logistica",
                                       "Risorse Umane",   "IT",      "Acquisti",   "Ricerca"};
constexpr std::string_view kCities[] = {"Milano", "Roma", "Torino", "Bologna", "Napoli", "Firenze"};
constexpr std::string_view kTemplates[] = {"User", "Machine", "WebServer", "EFS", "DomainController", "SubCA"};
// DER scaffolding shared by every certificate (algorithm identifiers, extension OIDs).
constexpr uint8_t kDerPrefix[] = {0x30, 0x82, 0x04, 0x8A, 0x30, 0x82, 0x03, 0x72, 0xA0, 0x03,
                                  0x02, 0x01, 0x02, 0x02, 0x13, 0x61, 0x00, 0x00, 0x00};
constexpr uint8_t kSignatureAlgorithm[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                           0xF7, 0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00};
constexpr uint8_t kKeyPrefix[] = {0x30, 0x82, 0x01, 0x22, 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48,
                                  0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01,
                                  0x0F, 0x00, 0x30, 0x82, 0x01, 0x0A, 0x02, 0x82, 0x01, 0x01, 0x00};
constexpr uint8_t kExtensions[] = {
    0xA3, 0x82, 0x01, 0x5B, 0x30, 0x82, 0x01, 0x57, 0x30, 0x1D, 0x06, 0x03, 0x55, 0x1D, 0x0E, 0x04, 0x16, 0x04,
    0x14, 0x30, 0x1F, 0x06, 0x03, 0x55, 0x1D, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x30, 0x0E, 0x06, 0x03,
    0x55, 0x1D, 0x0F, 0x01, 0x01, 0xFF, 0x04, 0x04, 0x03, 0x02, 0x05, 0xA0, 0x30, 0x29, 0x06, 0x03, 0x55, 0x1D,
    0x25, 0x04, 0x22, 0x30, 0x20, 0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x0A, 0x03, 0x04, 0x06,
    0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03,
    0x02, 0x30, 0x44, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0F, 0x04, 0x37, 0x30, 0x35,
    0x30, 0x0E, 0x06, 0x08, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x02, 0x02, 0x02, 0x00, 0x80, 0x30, 0x0E,
    0x06, 0x08, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x04, 0x02, 0x02, 0x00, 0x80, 0x30, 0x07, 0x06, 0x05,
    0x2B, 0x0E, 0x03, 0x02, 0x07, 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x07};
constexpr std::string_view kOrganization = ",O=Contoso Italia S.p.A.,C=IT";
constexpr std::string_view kCdp = "ldap:///CN=Contoso Issuing CA,CN=PKI01,CN=CDP,CN=Public Key Services,CN=Services";

class RowWriter {
 public:
  explicit RowWriter(std::span<uint8_t> slot) : slot_(slot) {}
  void bytes(const uint8_t* data, size_t size) {
    size = std::min(size, slot_.size() - used_);
    std::memcpy(slot_.data() + used_, data, size);
    used_ += size;
  }
  void ascii(std::string_view text) { bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()); }
  // ESE stores CA text columns as UTF-16LE.
  void utf16(std::string_view text) {
    for (char c : text) {
      if (used_ + 2 > slot_.size()) return;
      slot_[used_++] = static_cast<uint8_t>(c);
      slot_[used_++] = 0;
    }
  }
  void random(Rng& rng, size_t size) {
    while (size > 0 && used_ < slot_.size()) {
      uint64_t value = rng.next();
      const size_t take = std::min({size, size_t{8}, slot_.size() - used_});
      std::memcpy(slot_.data() + used_, &value, take);
      used_ += take;
      size -= take;
    }
  }
  void u32(uint32_t value) {
    uint8_t raw[4];
    for (int i = 0; i < 4; ++i) raw[i] = static_cast<uint8_t>(value >> (8 * i));
    bytes(raw, 4);
  }
  void u64(uint64_t value) {
    u32(static_cast<uint32_t>(value));
    u32(static_cast<uint32_t>(value >> 32));
  }
  size_t used() const { return used_; }

 private:
  std::span<uint8_t> slot_;
  size_t used_ = 0;
};

std::string_view digits(uint64_t value, char* buffer, int width) {
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return std::string_view(buffer, static_cast<size_t>(width));
}

std::string_view hex(uint64_t value, char* buffer, int width) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = kHex[value & 15];
    value >>= 4;
  }
  return std::string_view(buffer, static_cast<size_t>(width));
}

// One certificate row: the columns of the Request and Certificates tables a CA keeps per certificate.
void write_row(uint64_t seed, uint32_t page, uint32_t row, uint64_t version, std::span<uint8_t> slot) {
  Rng rng(mix64(seed ^ mix64((static_cast<uint64_t>(page) << 8 | row) ^ version << 40)));
  RowWriter out(slot.subspan(4));
  char buffer[32];
  const uint32_t request_id = page * kRowsPerPage + row;
  const std::string_view given = kGivenNames[rng.below(std::size(kGivenNames))];
  const std::string_view surname = kSurnames[rng.below(std::size(kSurnames))];
  const std::string_view unit = kUnits[rng.below(std::size(kUnits))];
  const std::string_view city = kCities[rng.below(std::size(kCities))];
  const std::string_view templ = kTemplates[rng.below(std::size(kTemplates))];
  const uint64_t issued = 133500000000000000ull + (static_cast<uint64_t>(request_id) * 37 + version) * 10000000ull;

  out.u32(request_id);
  out.u32(static_cast<uint32_t>(version == 0 ? 20 : 21));  // disposition: issued / revoked or renewed
  out.u64(issued);
  out.u64(issued + 365ull * 86400 * 10000000);
  out.utf16("CN=");
  out.utf16(given);
  out.utf16(" ");
  out.utf16(surname);
  out.utf16(",OU=");
  out.utf16(unit);
  out.utf16(",L=");
  out.utf16(city);
  out.utf16(kOrganization);
  out.utf16(given);
  out.utf16(".");
  out.utf16(surname);
  out.utf16("@contoso.it");
  out.utf16(templ);
  out.utf16("61");
  out.utf16(hex(request_id, buffer, 8));
  out.utf16(hex(rng.next(), buffer, 10));
  out.utf16(digits(request_id, buffer, 10));
  // Certificate blob: DER scaffolding, subject, key, extensions, signature.
  out.bytes(kDerPrefix, sizeof kDerPrefix);
  out.random(rng, 12);
  out.bytes(kSignatureAlgorithm, sizeof kSignatureAlgorithm);
  out.ascii("CN=");
  out.ascii(given);
  out.ascii(" ");
  out.ascii(surname);
  out.ascii(",OU=");
  out.ascii(unit);
  out.ascii(kOrganization);
  out.bytes(kKeyPrefix, sizeof kKeyPrefix);
  out.random(rng, 256);  // RSA-2048 modulus
  out.bytes(kExtensions, sizeof kExtensions);
  out.ascii(kCdp);
  out.random(rng, 40);  // subject and authority key identifiers
  out.bytes(kSignatureAlgorithm, sizeof kSignatureAlgorithm);
  out.random(rng, 256);                    // signature
  out.utf16(hex(rng.next(), buffer, 16));  // certificate hash column, as text
  out.utf16(hex(rng.next(), buffer, 16));
  const auto length = static_cast<uint32_t>(out.used());
  store_u32(slot, 0, length | static_cast<uint32_t>(kRowsPerPage) << 24);
}

}  // namespace

uint64_t mix64(uint64_t value) {
  value ^= value >> 30;
  value *= 0xBF58476D1CE4E5B9ull;
  value ^= value >> 27;
  value *= 0x94D049BB133111EBull;
  value ^= value >> 31;
  return value;
}

void fill_page(uint64_t seed, uint32_t page, uint64_t counter, std::span<uint8_t> out) {
  std::fill(out.begin(), out.begin() + kPageSize, uint8_t{0});
  store_u32(out, kPageNumberOffset, page);
  store_u64(out, kPageCounterOffset, counter);
  store_u32(out, 16, 0x100 + page % 5);  // object id of the table the page belongs to
  store_u32(out, 20, kRowsPerPage);
  // Update k (k >= 1, giving counter k + 1) rewrites row (k - 1) % kRowsPerPage.
  const uint64_t updates = counter == 0 ? 0 : counter - 1;
  for (uint32_t row = 0; row < kRowsPerPage; ++row) {
    const uint64_t version = updates / kRowsPerPage + (updates % kRowsPerPage > row ? 1 : 0);
    const size_t slot_offset = kPageHeaderBytes + row * kRowSlotBytes;
    write_row(seed, page, row, version, out.subspan(slot_offset, kRowSlotBytes));
    store_u32(out, kPageHeaderBytes + kRowsPerPage * kRowSlotBytes + 4 * row, static_cast<uint32_t>(slot_offset));
  }
  store_u32(out, 0, block_checksum(out.first(kPageSize)));
}

uint64_t digest_term(uint32_t page, uint64_t counter) {
  return mix64(mix64(page) ^ (counter * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull));
}

}  // namespace casim
