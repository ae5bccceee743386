// Issue 19: `status --html` writes one self-contained page; headless Chromium (Debian's
// `chromium`) loads it, and its screenshot is decoded (libpng) and checked: not blank, the verdict
// box and the chart drawn in their colours; the DOM Chromium built holds the series table; the page
// prints to A4. Skips (with a warning) only when Chromium is not installed; CI installs it.
#include <png.h>

#include <cstdlib>
#include <regex>

#include "status_fixture.h"

using namespace status_test;

namespace {

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    const auto result = run(std::string("command -v ") + name);
    if (result.exit_code == 0 && !result.output.empty()) return result.output.substr(0, result.output.find('\n'));
  }
  return "";
}

struct Pixels {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

Pixels decode_png(const std::filesystem::path& file) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, file.c_str()) != 0);
  image.format = PNG_FORMAT_RGB;
  Pixels pixels;
  pixels.width = image.width;
  pixels.height = image.height;
  pixels.rgb.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, pixels.rgb.data(), 0, nullptr) != 0);
  return pixels;
}

// Pixels within `tolerance` of a colour on every channel.
size_t count_near(const Pixels& pixels, int r, int g, int b, int tolerance) {
  size_t count = 0;
  for (size_t i = 0; i + 2 < pixels.rgb.size(); i += 3) {
    if (std::abs(pixels.rgb[i] - r) <= tolerance && std::abs(pixels.rgb[i + 1] - g) <= tolerance &&
        std::abs(pixels.rgb[i + 2] - b) <= tolerance) {
      ++count;
    }
  }
  return count;
}

}  // namespace

TEST_CASE("status --html: a self-contained page that headless Chromium renders, with the table and the chart") {
  StatusFixture f;
  f.backup("full");
  f.backup("incremental");
  f.backup("incremental");
  f.ok("verify --chain-only latest");
  const auto page = f.path("report.html");
  const auto status = f.status(0, "--html " + quoted(page.string()));
  CHECK(status.at("verdict") == "OK");

  const auto bytes = read_bytes(page);
  const std::string html(bytes.begin(), bytes.end());
  // Self-contained: no script, no stylesheet, image or font from elsewhere.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(std::regex_search(html, std::regex("(src|href)=")) == false);
  CHECK(html.find("@page { size: A4") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("<polyline class=\"size\"") != std::string::npos);

  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    WARN("chromium is not installed: the browser half of this test is skipped (scripts/install-deps.sh installs it)");
    return;
  }
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
      "--user-data-dir=" +
      quoted(f.path("chromium-profile").string()) + " ";
  const std::string url = quoted("file://" + page.string());

  // The DOM Chromium built: the series table and the verdict are there.
  const auto dom = run(quoted(chromium) + flags + "--dump-dom " + url + " 2>/dev/null");
  INFO(dom.output.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.output.find("<table>") != std::string::npos);
  CHECK(dom.output.find("Last verification") != std::string::npos);
  CHECK(dom.output.find("id=\"verdict\"") != std::string::npos);
  CHECK(dom.output.find(f.server()) != std::string::npos);

  // The screenshot: not blank; the green verdict box and the chart's bars and line drawn.
  const auto shot = f.path("shot.png");
  const auto screenshot =
      run(quoted(chromium) + flags + "--window-size=1000,1600 --screenshot=" + quoted(shot.string()) + " " + url);
  INFO(screenshot.output);
  REQUIRE(screenshot.exit_code == 0);
  REQUIRE(std::filesystem::exists(shot));
  const auto pixels = decode_png(shot);
  CHECK(pixels.width == 1000);
  CHECK(pixels.height == 1600);
  const size_t total = size_t{pixels.width} * pixels.height;
  const size_t white = count_near(pixels, 255, 255, 255, 8);
  INFO("non-white pixels: " << total - white << " of " << total);
  CHECK(total - white > total / 50);                       // text, table borders, chart
  CHECK(count_near(pixels, 0x2e, 0x7d, 0x32, 12) > 2000);  // the OK verdict box
  CHECK(count_near(pixels, 0x9e, 0xca, 0xe1, 12) > 50);    // bars: bytes added per snapshot
  CHECK(count_near(pixels, 0x08, 0x51, 0x9c, 24) > 50);    // the repository size line and labels

  // Printed: A4 pages (595 x 842 points).
  const auto pdf_file = f.path("report.pdf");
  const auto pdf =
      run(quoted(chromium) + flags + "--no-pdf-header-footer --print-to-pdf=" + quoted(pdf_file.string()) + " " + url);
  INFO(pdf.output);
  REQUIRE(pdf.exit_code == 0);
  const auto pdf_bytes = read_bytes(pdf_file);
  const std::string pdf_text(pdf_bytes.begin(), pdf_bytes.end());
  CHECK(pdf_text.rfind("%PDF-", 0) == 0);
  CHECK(std::regex_search(pdf_text, std::regex("/MediaBox \\[0 0 59[45](\\.[0-9]+)? 84[12](\\.[0-9]+)?\\]")));
}

TEST_CASE("status --html: the page escapes what the repository holds and shows a CRITICAL verdict") {
  StatusFixture f;
  write_bytes(f.path("files/a.bin"), random_bytes(50000, 2));
  f.ok("backup --folder " + quoted(f.path("files").string()) + " --source '<b>&\"x\"</b>'");
  const auto page = f.path("report.html");
  f.status(11, "--now 2100-01-01 --html " + quoted(page.string()));
  const auto bytes = read_bytes(page);
  const std::string html(bytes.begin(), bytes.end());
  CHECK(html.find("<b>&") == std::string::npos);
  CHECK(html.find("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("class=\"verdict critical\"") != std::string::npos);
}
