// A small element tree read with expat: S3's responses are small documents of nested elements
// with text, which is all this keeps (no attributes, no mixed content).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certvault::s3 {

struct XmlElement {
  std::string name;  // local name: a namespace prefix ("s3:Key") is dropped
  std::string text;  // the element's own character data, entities and CDATA resolved
  std::vector<std::unique_ptr<XmlElement>> children;

  const XmlElement* child(std::string_view child_name) const;  // the first one so named
  std::vector<const XmlElement*> children_named(std::string_view child_name) const;
  std::optional<std::string> child_text(std::string_view child_name) const;
};

// The root element, or nothing when `body` is not well-formed XML or nests elements deeper than
// 64 levels; `problem` then says why (expat's message, line and column).
std::unique_ptr<XmlElement> parse_xml(std::string_view body, std::string& problem);

}  // namespace certvault::s3
