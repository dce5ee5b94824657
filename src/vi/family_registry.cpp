#include "elbo/vi/family_registry.hpp"

#include <charconv>
#include <limits>

#include "elbo/graph/error.hpp"
#include "elbo/vi/empirical.hpp"
#include "elbo/vi/flow_formula.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/kronecker_normal.hpp"
#include "elbo/vi/low_rank.hpp"
#include "elbo/vi/mean_field.hpp"
#include "elbo/vi/mixture.hpp"
#include "elbo/vi/normalizing_flow.hpp"

namespace elbo {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// a * b + c, or -1 when it overflows or an operand is negative.
int64_t checked(int64_t a, int64_t b, int64_t c = 0) {
  if (a < 0 || b < 0 || c < 0) return -1;
  if (b != 0 && a > (kMax - c) / b) return -1;
  return a * b + c;
}

int64_t parse_rank(const std::string& option) {
  int64_t k = -1;
  auto [p, ec] = std::from_chars(option.data(), option.data() + option.size(), k);
  if (option.empty() || ec != std::errc() || p != option.data() + option.size()) return -1;
  return k;
}

// "K:KIND", a mixture's option: its member count (>= 1) and member kind; false when malformed
// or when the member is itself a mixture.
bool parse_mixture(const std::string& option, int64_t* k, std::string* member) {
  const size_t colon = option.find(':');
  if (colon == std::string::npos) return false;
  *k = parse_rank(option.substr(0, colon));
  *member = option.substr(colon + 1);
  return *k >= 1 && member->rfind("mixture", 0) != 0;
}

struct Family {
  const char* name;
  bool has_option;  // kind is "name:option"
  int64_t (*param_count)(const std::string& option, int64_t dim);
  std::unique_ptr<Approximation> (*make)(const std::string& option, std::span<const double> mu);
};

const Family kFamilies[] = {
    {"meanfield", false, [](const std::string&, int64_t d) { return checked(d, 2); },
     [](const std::string&, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       return std::make_unique<MeanField>(mu);
     }},
    {"fullrank", false,
     [](const std::string&, int64_t d) {
       return d > 3'000'000'000 ? int64_t{-1} : d + d * (d + 1) / 2;  // below 2^63 up to there
     },
     [](const std::string&, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       return std::make_unique<FullRank>(mu);
     }},
    {"lowrank", true,
     [](const std::string& option, int64_t d) {
       const int64_t k = parse_rank(option);
       return k < 1 || k > d || k > kMax - 2 ? int64_t{-1} : checked(d, k + 2);  // mu, rho, W
     },
     [](const std::string& option, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       const int64_t k = parse_rank(option);
       if (k < 1) throw InvalidArgument("approximation kind 'lowrank:" + option + "': the rank must be a whole number >= 1");
       return std::make_unique<LowRank>(mu, k);
     }},
    {"flow", true,
     [](const std::string& option, int64_t d) {
       if (d < 1) return int64_t{-1};  // a flow needs coordinates
       std::vector<FlowLayer> layers;
       try {
         layers = parse_flow_formula(option);
       } catch (const InvalidArgument&) {
         return int64_t{-1};
       }
       int64_t n = 0;
       for (FlowLayer l : layers) {
         // iaf: 4 D^2 + 4 D (two D x D hidden layers and two D x D heads, with biases)
         const int64_t per = l == FlowLayer::planar   ? checked(d, 2, 1)
                             : l == FlowLayer::radial ? checked(d, 1, 2)
                             : l == FlowLayer::iaf    ? (d > 1'000'000'000 ? -1 : checked(d, 4 * d + 4))
                                                      : d;
         if (per < 0 || n > kMax - per) return int64_t{-1};
         n += per;
       }
       return n;
     },
     [](const std::string& option, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       return std::make_unique<NormalizingFlow>(mu, option);
     }},
    {"mixture", true,
     [](const std::string& option, int64_t d) {
       int64_t k = 0;
       std::string member;
       if (!parse_mixture(option, &k, &member)) return int64_t{-1};
       const int64_t per = family_param_count(member, d);
       return per < 0 ? int64_t{-1} : checked(per, k);
     },
     [](const std::string& option, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       int64_t k = 0;
       std::string member;
       if (!parse_mixture(option, &k, &member))
         throw InvalidArgument("approximation kind 'mixture:" + option + "': expected mixture:K:KIND with K >= 1 and a "
                               "member kind that is not a mixture");
       std::vector<std::unique_ptr<Approximation>> members;
       for (int64_t i = 0; i < k; ++i) members.push_back(make_family(member, mu));
       return std::make_unique<Mixture>(std::move(members));
     }},
    {"empirical", true,
     [](const std::string& option, int64_t d) {
       const int64_t n = parse_rank(option);
       return n < 2 || d < 1 ? int64_t{-1} : checked(d, n);
     },
     [](const std::string& option, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       const int64_t n = parse_rank(option);
       if (n < 2)
         throw InvalidArgument("approximation kind 'empirical:" + option + "': the particle count must be a whole "
                               "number >= 2");
       return std::make_unique<Empirical>(mu, n, 0.0, 0);  // the particles are set afterwards
     }},
    {"kron", true,
     [](const std::string& option, int64_t d) {
       try {
         return KroneckerNormal::param_count(KroneckerNormal::parse_blocks(option), d);
       } catch (const InvalidArgument&) {
         return int64_t{-1};
       }
     },
     [](const std::string& option, std::span<const double> mu) -> std::unique_ptr<Approximation> {
       return std::make_unique<KroneckerNormal>(mu, KroneckerNormal::parse_blocks(option));
     }},
};

// The entry for kind and the option after its ':'; null when none matches.
const Family* find(const std::string& kind, std::string* option) {
  const size_t colon = kind.find(':');
  const std::string name = kind.substr(0, colon);
  for (const Family& f : kFamilies) {
    if (name != f.name) continue;
    if (f.has_option != (colon != std::string::npos)) return nullptr;
    *option = colon == std::string::npos ? std::string() : kind.substr(colon + 1);
    return &f;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const Family& f : kFamilies) names.emplace_back(f.name);
  return names;
}

bool is_family_kind(const std::string& kind) {
  std::string option;
  const Family* f = find(kind, &option);
  if (!f || !f->has_option) return f != nullptr;
  if (std::string(f->name) == "lowrank") return parse_rank(option) >= 1;
  if (std::string(f->name) == "empirical") return parse_rank(option) >= 2;
  if (std::string(f->name) == "kron") return family_param_count(kind, std::numeric_limits<int64_t>::max() / 16) >= 0;
  if (std::string(f->name) == "mixture") {
    int64_t k = 0;
    std::string member;
    return parse_mixture(option, &k, &member) && is_family_kind(member);
  }
  try {
    parse_flow_formula(option);
  } catch (const InvalidArgument&) {
    return false;
  }
  return true;
}

int64_t family_param_count(const std::string& kind, int64_t dim) {
  std::string option;
  const Family* f = find(kind, &option);
  if (!f || dim < 0) return -1;
  return f->param_count(option, dim);
}

std::unique_ptr<Approximation> make_family(const std::string& kind, std::span<const double> mu) {
  std::string option;
  const Family* f = find(kind, &option);
  if (!f)
    throw InvalidArgument("unknown approximation kind '" + kind +
                          "' (expected meanfield, fullrank, lowrank:RANK, flow:FORMULA, mixture:K:KIND, empirical:PARTICLES or kron:BLOCKS)");
  return f->make(option, mu);
}

}  // namespace elbo
