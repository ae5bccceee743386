// parse_xml: expat's callbacks build the element tree.
#include "xml_document.h"

#include <expat.h>
#include <fmt/format.h>

#include <climits>

namespace certvault::s3 {
namespace {

// S3's documents nest three or four elements deep. The tree is freed recursively (each element
// owns its children), so a hostile or broken endpoint's body of "<a><a><a>..." (up to the client's
// 64 MiB a document: millions of levels) would overflow the stack: deeper nesting is refused while
// parsing, before the tree grows.
constexpr size_t kMaxDepth = 64;

struct Builder {
  XML_Parser parser = nullptr;
  std::unique_ptr<XmlElement> root;
  std::vector<XmlElement*> open;  // the path from the root to the element being read
  bool too_deep = false;
};

std::string local_name(const XML_Char* name) {
  std::string_view text(name);
  const auto colon = text.rfind(':');
  return std::string(colon == std::string_view::npos ? text : text.substr(colon + 1));
}

void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto& builder = *static_cast<Builder*>(data);
  if (builder.open.size() >= kMaxDepth) {
    builder.too_deep = true;
    XML_StopParser(builder.parser, XML_FALSE);
    return;
  }
  auto element = std::make_unique<XmlElement>();
  element->name = local_name(name);
  XmlElement* raw = element.get();
  if (builder.open.empty()) {
    builder.root = std::move(element);
  } else {
    builder.open.back()->children.push_back(std::move(element));
  }
  builder.open.push_back(raw);
}

void XMLCALL on_end(void* data, const XML_Char* /*name*/) {
  auto& builder = *static_cast<Builder*>(data);
  // Expat may still report the end of an empty element (<a/>) whose start stopped the parser:
  // that element was never opened.
  if (builder.too_deep) return;
  builder.open.pop_back();
}

void XMLCALL on_text(void* data, const XML_Char* text, int length) {
  auto& builder = *static_cast<Builder*>(data);
  if (!builder.open.empty()) builder.open.back()->text.append(text, static_cast<size_t>(length));
}

}  // namespace

const XmlElement* XmlElement::child(std::string_view child_name) const {
  for (const auto& element : children) {
    if (element->name == child_name) return element.get();
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view child_name) const {
  std::vector<const XmlElement*> found;
  for (const auto& element : children) {
    if (element->name == child_name) found.push_back(element.get());
  }
  return found;
}

std::optional<std::string> XmlElement::child_text(std::string_view child_name) const {
  const auto* element = child(child_name);
  if (element == nullptr) return std::nullopt;
  return element->text;
}

std::unique_ptr<XmlElement> parse_xml(std::string_view body, std::string& problem) {
  // CompleteMultipartUpload may send spaces before the document to keep a slow request alive;
  // nothing may precede an XML declaration, so they go.
  while (!body.empty() &&
         (body.front() == ' ' || body.front() == '\n' || body.front() == '\r' || body.front() == '\t')) {
    body.remove_prefix(1);
  }
  if (body.size() > INT_MAX) {
    problem = "the document is larger than expat reads in one call";
    return nullptr;
  }
  // No namespace processing: S3 declares one default namespace, and local names are what matter.
  XML_Parser parser = XML_ParserCreate(nullptr);
  if (parser == nullptr) {
    problem = "expat could not allocate a parser";
    return nullptr;
  }
  Builder builder;
  builder.parser = parser;
  XML_SetUserData(parser, &builder);
  XML_SetElementHandler(parser, on_start, on_end);
  XML_SetCharacterDataHandler(parser, on_text);
  const auto status = XML_Parse(parser, body.data(), static_cast<int>(body.size()), XML_TRUE);
  if (builder.too_deep) {
    problem = fmt::format("elements nest deeper than {} levels at line {}, column {}", kMaxDepth,
                          XML_GetCurrentLineNumber(parser), XML_GetCurrentColumnNumber(parser));
    XML_ParserFree(parser);
    return nullptr;
  }
  if (status != XML_STATUS_OK) {
    problem = fmt::format("{} at line {}, column {}", XML_ErrorString(XML_GetErrorCode(parser)),
                          XML_GetCurrentLineNumber(parser), XML_GetCurrentColumnNumber(parser));
    XML_ParserFree(parser);
    return nullptr;
  }
  XML_ParserFree(parser);
  if (!builder.root) problem = "the document has no element";
  return std::move(builder.root);
}

}  // namespace certvault::s3
