#pragma once
// Reading a required field of a JSON object stored in a model file, with a FormatError
// that names the file and what the JSON describes.
#include <nlohmann/json.hpp>

#include <string>

#include "elbo/graph/error.hpp"

namespace elbo::cli {

/// "<source>: <what> is invalid: <detail>".
[[noreturn]] inline void invalid_json(const std::string& source, const std::string& what, const std::string& detail) {
  throw FormatError(source + ": " + what + " is invalid: " + detail);
}

/// j[key] as T; `what` names the document in messages ("the checkpoint").
template <class T>
T json_field(const nlohmann::json& j, const char* key, const std::string& source, const std::string& what) {
  if (!j.contains(key)) invalid_json(source, what, std::string("field '") + key + "' is missing");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    invalid_json(source, what, std::string("field '") + key + "' has the wrong type");
  }
}

}  // namespace elbo::cli
