// The HTML form of `certvault status`: one page that needs nothing but itself (a CA often has no
// internet access): inline CSS, inline SVG, no script, no font or image from elsewhere.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "certvault/base/byte_count_text.h"
#include "certvault/base/utc_time.h"
#include "certvault/operations/repository_status.h"

namespace certvault {
namespace {

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_bytes(uint64_t bytes) { return byte_count_text(bytes); }

std::string verdict_class(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kWarning:
      return "warning";
    case Verdict::kCritical:
      return "critical";
    case Verdict::kUnknown:
      break;
  }
  return "unknown";
}

std::string snapshot_cell(const std::optional<SnapshotPoint>& point) {
  if (!point) return "<td>none</td>";
  return fmt::format("<td><code>{}</code> {} ({} ago), added {}</td>", escape_html(point->id.substr(0, 12)),
                     escape_html(format_utc(point->created_unix)), escape_html(format_age(point->age_seconds)),
                     html_bytes(point->added_bytes));
}

// Repository size (the pack bytes the kept snapshots added, cumulative: a line) and the bytes each
// snapshot added (bars), over time. At most the last 400 snapshots.
std::string growth_chart(const std::vector<SnapshotPoint>& all) {
  constexpr double kWidth = 720, kHeight = 240, kLeft = 70, kRight = 70, kTop = 20, kBottom = 40;
  const size_t first = all.size() > 400 ? all.size() - 400 : 0;
  const std::vector<SnapshotPoint> points(all.begin() + static_cast<std::ptrdiff_t>(first), all.end());
  std::string svg = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" aria-label=\"repository size and bytes added per snapshot\">\n",
      kWidth, kHeight);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#888\"/>\n", kLeft,
                     kTop, plot_w, plot_h);
  if (points.empty()) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no snapshots</text>\n</svg>\n",
                       kLeft + plot_w / 2, kTop + plot_h / 2);
    return svg;
  }
  const int64_t t0 = points.front().created_unix, t1 = points.back().created_unix;
  uint64_t max_size = 1, max_added = 1;
  for (const auto& p : points) {
    max_size = std::max(max_size, p.stored_after);
    max_added = std::max(max_added, p.added_bytes);
  }
  // Points stay 10 units inside the frame, so the first and last bars are drawn whole.
  const double inner_left = kLeft + 10, inner_w = plot_w - 20;
  auto x_of = [&](size_t index, int64_t t) {
    if (t1 > t0) return inner_left + inner_w * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
    return points.size() == 1
               ? inner_left + inner_w / 2
               : inner_left + inner_w * static_cast<double>(index) / static_cast<double>(points.size() - 1);
  };
  const double bar = std::clamp(inner_w / static_cast<double>(points.size()) * 0.6, 1.0, 12.0);
  for (size_t i = 0; i < points.size(); ++i) {
    const double h = plot_h * static_cast<double>(points[i].added_bytes) / static_cast<double>(max_added);
    svg += fmt::format(
        "<rect class=\"added\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#9ecae1\"><title>{} "
        "{}: added {}</title></rect>\n",
        x_of(i, points[i].created_unix) - bar / 2, kTop + plot_h - h, bar, std::max(h, 0.5),
        escape_html(points[i].id.substr(0, 12)), escape_html(format_utc(points[i].created_unix)),
        html_bytes(points[i].added_bytes));
  }
  std::string line;
  for (size_t i = 0; i < points.size(); ++i) {
    const double y =
        kTop + plot_h - plot_h * static_cast<double>(points[i].stored_after) / static_cast<double>(max_size);
    line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "" : " ", x_of(i, points[i].created_unix), y);
  }
  svg += fmt::format("<polyline class=\"size\" points=\"{}\" fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\"/>\n",
                     line);
  // Axes: size on the left, bytes added on the right, first and last time below.
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#08519c\">{}</text>\n", kLeft - 4, kTop + 10,
                     html_bytes(max_size));
  svg +=
      fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#08519c\">0</text>\n", kLeft - 4, kTop + plot_h);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#3182bd\">{}</text>\n", kLeft + plot_w + 4, kTop + 10,
                     html_bytes(max_added));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#3182bd\">0</text>\n", kLeft + plot_w + 4, kTop + plot_h);
  svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kLeft, kTop + plot_h + 16, escape_html(format_utc(t0)));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLeft + plot_w, kTop + plot_h + 16,
                     escape_html(format_utc(t1)));
  svg += fmt::format(
      "<text x=\"{}\" y=\"{}\"><tspan fill=\"#08519c\">&#9632; repository size (pack bytes added by kept "
      "snapshots)</tspan> <tspan fill=\"#3182bd\">&#9632; bytes added per snapshot</tspan></text>\n",
      kLeft, kTop + plot_h + 32);
  svg += "</svg>\n";
  return svg;
}

std::string series_table(const SeriesStatus& series) {
  std::string html;
  html += fmt::format("<section class=\"series\">\n<h2>{} <span class=\"badge {}\">{}</span></h2>\n",
                      escape_html(series.source), verdict_class(series.verdict), verdict_name(series.verdict));
  html += "<table>\n";
  if (series.ca) {
    html +=
        fmt::format("<tr><th>CA</th><td>{} on {}</td></tr>\n", escape_html(series.ca_name), escape_html(series.server));
  }
  html += fmt::format("<tr><th>Snapshots</th><td>{}, {} added in total</td></tr>\n", series.snapshots,
                      html_bytes(series.added_bytes_total));
  // fmt rather than `"..." + std::string&&`: GCC 12 -O3 warns falsely on that form (development.md).
  html += fmt::format("<tr><th>Newest</th>{}</tr>\n", snapshot_cell(series.latest));
  if (series.ca) {
    html += fmt::format("<tr><th>Last full</th>{}</tr>\n", snapshot_cell(series.last_full));
    html += fmt::format("<tr><th>Last incremental</th>{}</tr>\n", snapshot_cell(series.last_incremental));
  }
  if (series.chain.applicable) {
    html +=
        fmt::format("<tr><th>Chain</th><td class=\"{}\">{}: {}</td></tr>\n", series.chain.intact ? "ok" : "critical",
                    series.chain.intact ? "intact" : "broken", escape_html(series.chain.detail));
  }
  if (series.last_verification) {
    const auto& v = *series.last_verification;
    html += fmt::format("<tr><th>Last verification</th><td class=\"{}\"><code>{}</code> {} at {}{}</td></tr>\n",
                        v.ok() ? "ok" : "critical", escape_html(v.command), v.ok() ? "passed" : "FAILED",
                        escape_html(format_utc(v.time_us / 1000000)),
                        v.error.empty() ? "" : fmt::format(": {}", escape_html(v.error)));
  } else {
    html += "<tr><th>Last verification</th><td>none recorded</td></tr>\n";
  }
  if (series.open_truncation_failures.empty()) {
    if (series.ca) html += "<tr><th>Log truncation</th><td>no open failure</td></tr>\n";
  } else {
    for (const auto& t : series.open_truncation_failures) {
      html +=
          fmt::format("<tr><th>Log truncation</th><td class=\"warning\">{} after <code>{}</code> at {}: {}</td></tr>\n",
                      escape_html(t.outcome), escape_html(t.snapshot_id.substr(0, 12)),
                      escape_html(format_utc(t.time_unix)), escape_html(t.message));
    }
  }
  if (!series.ca_key.empty()) {
    html += fmt::format("<tr><th>CA private key</th><td class=\"warning\">{}</td></tr>\n", escape_html(series.ca_key));
  }
  if (!series.recent.empty()) {
    std::vector<uint64_t> added;
    for (const auto& p : series.recent) added.push_back(p.added_bytes);
    std::sort(added.begin(), added.end());
    html += fmt::format("<tr><th>Added per snapshot</th><td>last {}: median {}, largest {}, smallest {}</td></tr>\n",
                        series.recent.size(), html_bytes(added[added.size() / 2]), html_bytes(added.back()),
                        html_bytes(added.front()));
  }
  for (const auto& reason : series.reasons) {
    html += fmt::format("<tr><th>Why {}</th><td>{}</td></tr>\n", verdict_name(series.verdict), escape_html(reason));
  }
  html += "</table>\n</section>\n";
  return html;
}

}  // namespace

std::string render_status_html(const RepositoryStatus& status, const std::string& repository_name) {
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  html += fmt::format("<title>certvault status: {} ({})</title>\n", verdict_name(status.verdict),
                      escape_html(repository_name));
  html += R"(<style>
body { font-family: sans-serif; color: #111; background: #fff; margin: 1.5em; max-width: 60em; }
h1 { font-size: 1.4em; margin: 0 0 .3em 0; }
h2 { font-size: 1.15em; margin: 1.2em 0 .4em 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border: 1px solid #bbb; padding: .25em .5em; font-size: .9em; }
th { width: 11em; background: #f0f0f0; font-weight: 600; }
code { font-size: .95em; }
.badge { font-size: .8em; padding: .1em .5em; border-radius: .3em; color: #fff; }
.badge.ok, .verdict.ok { background: #2e7d32; }
.badge.warning, .verdict.warning { background: #ef6c00; }
.badge.critical, .verdict.critical { background: #c62828; }
.badge.unknown, .verdict.unknown { background: #555; }
td.ok { color: #1b5e20; }
td.warning { color: #e65100; }
td.critical { color: #b71c1c; font-weight: 600; }
.verdict { color: #fff; padding: .5em .8em; border-radius: .3em; margin: .5em 0 1em 0; }
.chart { max-width: 100%; height: auto; font-size: 11px; font-family: sans-serif; }
.meta { color: #444; font-size: .9em; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .verdict, .badge, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.series, .chart { break-inside: avoid; page-break-inside: avoid; }
  .chart { width: 100%; }
}
</style>
</head>
<body>
)";
  html += fmt::format(
      "<h1>certvault status</h1>\n<p class=\"meta\">Repository <code>{}</code>, as of {}: {} snapshots, "
      "{} in {} packs, catalog {}. Warning after {}, critical after {} without a snapshot.</p>\n",
      escape_html(repository_name), escape_html(format_utc(status.now_unix)), status.snapshots,
      html_bytes(status.pack_bytes), status.packs, html_bytes(status.catalog_bytes), escape_html(status.warn_age),
      escape_html(status.crit_age));
  html += fmt::format("<p class=\"verdict {}\" id=\"verdict\"><strong>{}</strong> &mdash; {}</p>\n",
                      verdict_class(status.verdict), verdict_name(status.verdict), escape_html(status.summary));
  for (const auto& series : status.series) html += series_table(series);
  html += "<h2>Repository growth</h2>\n";
  html += growth_chart(status.growth);
  for (const auto& problem : status.problems) {
    html += fmt::format("<p class=\"meta\">problem: {}</p>\n", escape_html(problem));
  }
  html += "</body>\n</html>\n";
  return html;
}

}  // namespace certvault
