// mean_field_adam_step.hpp. Compiled with -ffp-contract=off and -fno-math-errno, as
// mean_field.cpp and optimizers.cpp, whose operations it repeats (CMakeLists.txt).
#include "mean_field_adam_step.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <functional>

#include "chunked_sums.hpp"
#include "elbo/vi/mean_field.hpp"
#include "graph/isa.hpp"
#include "softplus.hpp"
#include "softplus_kernel.hpp"

namespace elbo {

namespace {
constexpr int64_t kChunk = MeanField::kTermsChunk;
constexpr int64_t kTermsBlock = 64;  // softplus_blocks_f32's block
constexpr int64_t kPiece = 512;      // the noise and sigma of a piece stay in L1
// A chunk is whole pieces and whole blocks of the float terms, and its squares' four lanes
// start at lane 0 (chunked_sums.hpp), so every chunk sums as a one-chunk model would.
static_assert(kChunk % kPiece == 0 && kPiece % kTermsBlock == 0 && kChunk % 4 == 0);
// Beyond this bound on |gradient| the step takes the general path: its square and Adam's
// moments stay far below float's overflow (3.4e38). The gradient's terms before the factor
// w stay below kSafeTerms, and the constants below kSafeConstant, in float as well.
constexpr double kSafeGradient = 1e18;
constexpr double kSafeTerms = 1e30;
constexpr double kSafeConstant = 1e30;

// The largest |x[k]| as the bits of a float: for non-negative floats the integer order of
// the bits is the numbers' order, and inf and NaN lie above every finite value
// (kFloatInfBits and beyond). An integer maximum, so that the loop vectorises.
constexpr uint32_t kFloatInfBits = 0x7f800000u;
[[gnu::always_inline]] inline uint32_t max_abs_bits(const float* __restrict x, int64_t n) {
  uint32_t m = 0;
  for (int64_t k = 0; k < n; ++k) m = std::max(m, std::bit_cast<uint32_t>(x[k]) & 0x7fffffffu);
  return m;
}

// The loops below run in one of three copies, for the instruction set of isa::active(): the
// library's baseline (SSE2), AVX2 and AVX-512. Their operations are elementwise IEEE ones
// (no contraction into fused multiply-adds, CMakeLists.txt) and integer maxima, and the
// sums keep their four lanes, so every copy gives the same bits: only the vector width
// differs (docs/PERFORMANCE.md, "Wider vectors, short layers and no backup copy": the
// update is bound by memory all the same).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ELBO_FUSED_STEP_COPIES 1
#define ELBO_TARGET_AVX2 __attribute__((target("avx2")))
#define ELBO_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2")))
#endif

isa::Level fused_level() {
  static const isa::Level level = isa::active();
  return level;
}

// A piece's z32 = float(mu + sigma eps) from the float terms, the largest |1 / sigma| and
// |eps| as float bits, and eps's squares into lanes.
struct PieceMaxima {
  uint32_t inv_bits, eps_bits;
};
[[gnu::always_inline]] inline PieceMaxima piece_loop(const float* __restrict mu, const float* __restrict sigma,
                                                     const float* __restrict eps, const float* __restrict inv,
                                                     int64_t n, float* __restrict z32, detail::SquareLanes& lanes) {
  for (int64_t k = 0; k < n; ++k)
    z32[k] = static_cast<float>(static_cast<double>(mu[k]) + static_cast<double>(sigma[k]) * static_cast<double>(eps[k]));
  PieceMaxima m{max_abs_bits(inv, n), max_abs_bits(eps, n)};
  lanes.add(eps, n);
  return m;
}
PieceMaxima piece_baseline(const float* mu, const float* sigma, const float* eps, const float* inv, int64_t n,
                           float* z32, detail::SquareLanes& lanes) {
  return piece_loop(mu, sigma, eps, inv, n, z32, lanes);
}
uint32_t max_abs_bits_baseline(const float* x, int64_t n) { return max_abs_bits(x, n); }
#ifdef ELBO_FUSED_STEP_COPIES
ELBO_TARGET_AVX2 PieceMaxima piece_avx2(const float* mu, const float* sigma, const float* eps, const float* inv,
                                        int64_t n, float* z32, detail::SquareLanes& lanes) {
  return piece_loop(mu, sigma, eps, inv, n, z32, lanes);
}
ELBO_TARGET_AVX512 PieceMaxima piece_avx512(const float* mu, const float* sigma, const float* eps, const float* inv,
                                            int64_t n, float* z32, detail::SquareLanes& lanes) {
  return piece_loop(mu, sigma, eps, inv, n, z32, lanes);
}
ELBO_TARGET_AVX2 uint32_t max_abs_bits_avx2(const float* x, int64_t n) { return max_abs_bits(x, n); }
ELBO_TARGET_AVX512 uint32_t max_abs_bits_avx512(const float* x, int64_t n) { return max_abs_bits(x, n); }
#endif

// The copy of a loop for fused_level(): `name`_baseline, _avx2 or _avx512 (the baseline
// alone where the build has no others).
template <class F>
F* for_level(F* baseline, F* avx2, F* avx512) {
  switch (fused_level()) {
    case isa::Level::avx512: return avx512;
    case isa::Level::avx2: return avx2;
    case isa::Level::baseline: break;
  }
  return baseline;
}
#ifdef ELBO_FUSED_STEP_COPIES
#define ELBO_FUSED_COPY(F, name) for_level<F>(name##_baseline, name##_avx2, name##_avx512)
#else
#define ELBO_FUSED_COPY(F, name) (&name##_baseline)
#endif

using PieceLoop = PieceMaxima(const float*, const float*, const float*, const float*, int64_t, float*,
                              detail::SquareLanes&);
PieceMaxima piece(const float* mu, const float* sigma, const float* eps, const float* inv, int64_t n, float* z32,
                  detail::SquareLanes& lanes) {
  return ELBO_FUSED_COPY(PieceLoop, piece)(mu, sigma, eps, inv, n, z32, lanes);
}

using MaxLoop = uint32_t(const float*, int64_t);
uint32_t largest_abs_bits(const float* x, int64_t n) { return ELBO_FUSED_COPY(MaxLoop, max_abs_bits)(x, n); }
}  // namespace

MeanFieldAdamStep::MeanFieldAdamStep(int64_t d, ParallelFor chunks, ParallelFor elements, Background background)
    : d_(d),
      chunks_((d + kChunk - 1) / kChunk),
      body_(d - d % kTermsBlock),
      chunk_parallel_(std::move(chunks)),
      element_parallel_(std::move(elements)),
      eps_(static_cast<size_t>(d)),
      inv_sigma_(static_cast<size_t>(body_)),
      dsigma_(static_cast<size_t>(body_)),
      tail_inv_sigma_(static_cast<size_t>(d - body_)),
      tail_dsigma_(static_cast<size_t>(d - body_)),
      background_(std::move(background)) {
  for (auto* v : {&log_sigma_, &squares_, &max_inv_sigma_, &max_abs_eps_, &max_abs_g_})
    v->assign(static_cast<size_t>(std::max<int64_t>(chunks_, 1)), 0.0);
  ok_.assign(static_cast<size_t>(std::max<int64_t>(chunks_, 1)), 1);
  const size_t pieces = static_cast<size_t>((d + kPiece - 1) / kPiece);
  eps_ready_.assign(pieces, 0);
  if (background_.post) {
    next_eps_.resize(static_cast<size_t>(d));
    next_ready_.assign(pieces, 0);
  }
}

MeanFieldAdamStep::MeanFieldAdamStep(int64_t d, ParallelFor chunks, ParallelFor elements)
    : MeanFieldAdamStep(d, std::move(chunks), std::move(elements), Background{}) {}

MeanFieldAdamStep::~MeanFieldAdamStep() {
  if (next_posted_) background_.close();
}

// The draw's split of its chunks over the threads, as Inference makes it (Program::
// parallel_for: min(threads, chunks) parts, part k the chunks [chunks k / parts, chunks
// (k + 1) / parts)), in pieces: part k's first piece and the end of its pieces.
namespace {
constexpr int64_t kPiecesPerChunk = kChunk / kPiece;
struct PartPieces {
  int64_t parts, most;  // the parts, and the most pieces in one
  int64_t first(int64_t chunks, int64_t k) const { return chunks * k / parts * kPiecesPerChunk; }
};
PartPieces part_pieces(int64_t chunks, int threads) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, chunks));
  return {parts, (chunks + parts - 1) / parts * kPiecesPerChunk};
}
}  // namespace

// One piece of the next step's noise, as draw() makes it. Chunk c is piece c / parts of
// part c % parts of the draw's split, so that whatever share is done ahead lightens every
// thread's part of the next draw alike.
void MeanFieldAdamStep::draw_ahead(void* self, int chunk) {
  auto& s = *static_cast<MeanFieldAdamStep*>(self);
  const PartPieces split = part_pieces(s.chunks_, s.background_.threads);
  const int64_t pieces = static_cast<int64_t>(s.next_ready_.size()), k = chunk % split.parts;
  const int64_t p = split.first(s.chunks_, k) + chunk / split.parts;
  if (p >= std::min(pieces, split.first(s.chunks_, k + 1))) return;
  const int64_t i = p * kPiece, n = std::min(kPiece, s.d_ - i);
  s.next_rng_.normal(s.next_eps_.data() + i, n, s.next_stream_, s.next_t_, i);
  s.next_ready_[static_cast<size_t>(p)] = 1;
}

bool MeanFieldAdamStep::draw(std::span<const float> params, const Philox& rng, uint64_t stream, uint64_t t,
                             float* z32, double* logq) {
  const float* mu = params.data();
  const float* rho32 = params.data() + d_;
  std::fill(eps_ready_.begin(), eps_ready_.end(), uint8_t{0});
  pieces_drawn_ahead_ = 0;
  if (next_posted_) {  // the pieces drawn ahead, if they are this draw's noise
    background_.close();
    next_posted_ = false;
    if (next_rng_.seed() == rng.seed() && next_stream_ == stream && next_t_ == t) {
      eps_.swap(next_eps_);
      eps_ready_.swap(next_ready_);
      for (uint8_t r : eps_ready_) pieces_drawn_ahead_ += r;
    }
  }
  auto run = [&](int64_t c0, int64_t c1) {
    alignas(64) float sigma[kPiece];
    double tail_rho[kTermsBlock], tail_sigma[kTermsBlock];  // the last d % 64: rho widened, exactly
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t chunk_end = std::min(d_, (c + 1) * kChunk);
      double log_sigma = 0, max_inv = 0;
      float max_eps = 0;
      detail::SquareLanes lanes;
      bool ok = true;
      for (int64_t i = c * kChunk; i < chunk_end && ok; i += kPiece) {
        const int64_t j = std::min(i + kPiece, chunk_end), body_end = std::min(j, body_);
        float* eps = eps_.data() + i;
        if (!eps_ready_[static_cast<size_t>(i / kPiece)]) rng.normal(eps, j - i, stream, t, i);
        if (body_end > i) {
          ok = detail::softplus_blocks_f32(rho32 + i, body_end - i,
                                           {sigma, inv_sigma_.data() + i, dsigma_.data() + i}, log_sigma);
          if (!ok) break;
          // (The float terms of a block in range are finite: |rho| <= 87.)
          const PieceMaxima m = piece(mu + i, sigma, eps, inv_sigma_.data() + i, body_end - i, z32 + i, lanes);
          max_inv = std::max(max_inv, static_cast<double>(std::bit_cast<float>(m.inv_bits)));
          max_eps = std::max(max_eps, std::bit_cast<float>(m.eps_bits));
        }
        if (j > body_) {  // the last d % 64: softplus_terms's double path, as MeanField's
          const int64_t n = j - body_;
          // |rho| <= 87 as in the blocks: beyond it 1 / sigma can overflow a float.
          for (int64_t k = 0; k < n; ++k) {
            tail_rho[k] = static_cast<double>(rho32[body_ + k]);
            ok = ok && std::abs(tail_rho[k]) <= 87.0;
          }
          if (!ok) break;
          log_sigma = log_sigma + detail::softplus_terms(detail::Precision::single, tail_rho, n,
                                                         {tail_sigma, tail_inv_sigma_.data(), tail_dsigma_.data()});
          for (int64_t k = 0; k < n; ++k) {
            ok = ok && std::isfinite(tail_inv_sigma_[k]) && std::isfinite(tail_dsigma_[k]);
            max_inv = std::max(max_inv, tail_inv_sigma_[k]);
            z32[body_ + k] = static_cast<float>(static_cast<double>(mu[body_ + k]) +
                                                tail_sigma[k] * static_cast<double>(eps[body_ + k - i]));
          }
        }
        const int64_t tail = std::max(i, body_end);  // the noise of the last d % 64, if here
        if (j > tail) {
          max_eps = std::max(max_eps, std::bit_cast<float>(largest_abs_bits(eps + (tail - i), j - tail)));
          lanes.add(eps + (tail - i), j - tail);
        }
      }
      ok_[c] = ok;
      log_sigma_[c] = log_sigma;
      squares_[c] = lanes.total();
      max_inv_sigma_[c] = max_inv;
      max_abs_eps_[c] = max_eps;
    }
  };
  chunk_parallel_(chunks_, std::ref(run));
  if (background_.post && t < UINT64_MAX) {  // the next step's noise, while this one runs
    std::fill(next_ready_.begin(), next_ready_.end(), uint8_t{0});
    next_rng_ = rng;
    next_stream_ = stream;
    next_t_ = t + 1;
    const PartPieces split = part_pieces(chunks_, background_.threads);
    background_.post(static_cast<int>(split.parts * split.most), &MeanFieldAdamStep::draw_ahead, this);
    next_posted_ = true;
  }
  for (int64_t c = 0; c < chunks_; ++c)
    if (!ok_[c]) return false;
  const double squares = detail::sum_of_chunks(squares_.data(), chunks_);
  const double log_sigma = detail::sum_of_chunks(log_sigma_.data(), chunks_);
  *logq = -0.5 * squares - log_sigma - static_cast<double>(d_) * detail::kHalfLog2Pi;
  return true;
}

bool MeanFieldAdamStep::gradient_is_finite(const float* g32, double w, double beta, double scale) {
  auto run = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk, e = std::min(d_, b + kChunk);
      const uint32_t m = largest_abs_bits(g32 + b, e - b);
      ok_[c] = m < kFloatInfBits;
      max_abs_g_[c] = std::bit_cast<float>(m);
    }
  };
  chunk_parallel_(chunks_, std::ref(run));
  double g = 0, inv = 0, eps = 0;
  for (int64_t c = 0; c < chunks_; ++c) {
    if (!ok_[c]) return false;
    g = std::max(g, max_abs_g_[c]);
    inv = std::max(inv, max_inv_sigma_[c]);
    eps = std::max(eps, max_abs_eps_[c]);
  }
  // Every term of the gradient's expressions (update()) is at most these in magnitude;
  // dsigma = sigmoid(rho) <= 1.
  const double a = std::abs(beta * (scale - 1.0)), e2 = eps * eps;
  const double terms_mu = g + a * eps * inv;
  const double terms_rho = g * eps + std::abs(beta) * (e2 + std::abs(scale) * (e2 + 1.0)) * inv;
  const bool constants = std::abs(w) < kSafeConstant && std::abs(beta) < kSafeConstant &&
                         std::abs(scale) < kSafeConstant && a < kSafeConstant;
  return constants && terms_mu < kSafeTerms && terms_rho < kSafeTerms && std::abs(w) * terms_mu < kSafeGradient &&
         std::abs(w) * terms_rho < kSafeGradient;
}

namespace {
// x's exponent bits plus one in the exponent's lowest place: the top bit is set exactly
// when the exponent is all ones (x is inf or NaN). An integer sum without a comparison, so
// that the loop below vectorises (a bool from == kept it scalar).
inline uint32_t nonfinite_top_bit(float x) {
  constexpr uint32_t kExponent = 0x7f800000u;
  return (std::bit_cast<uint32_t>(x) & kExponent) + (uint32_t{1} << 23);
}

// The update's constants in float: the gradient's (a = beta (scale - 1)) and Adam's
// (c1 = 1 - b1 and c2 = 1 - b2 rounded once).
struct UpdateConstants {
  float w, beta, scale, a;
  float b1, b2, c1, c2, step, adam_eps;
};

// n parameters with sigma's terms inv and ds: MeanField::gradient's one-draw expressions,
// then Adam::update's (optimizers.cpp), in float arithmetic on the float state. Returns
// whether any new parameter is not finite. The arrays are function parameters marked
// __restrict (GCC kept the loop scalar with the same pointers as restrict locals) and the
// constants locals, so that the loop vectorises.
template <class Term>
[[gnu::always_inline]] inline uint32_t update_range(const UpdateConstants& c, int64_t n, const float* __restrict eps,
                                                   const float* __restrict g, const Term* __restrict inv,
                                                   const Term* __restrict ds, const float* __restrict mu,
                                                   const float* __restrict rho, float* __restrict m_mu,
                                                   float* __restrict m_rho, float* __restrict v_mu,
                                                   float* __restrict v_rho, float* __restrict next_mu,
                                                   float* __restrict next_rho) {
  const float w = c.w, beta = c.beta, scale = c.scale, a = c.a;
  const float b1 = c.b1, b2 = c.b2, c1 = c.c1, c2 = c.c2, step = c.step, adam_eps = c.adam_eps;
  uint32_t bad = 0;
  for (int64_t k = 0; k < n; ++k) {
    const float x = eps[k], gz = g[k];
    const float is = static_cast<float>(inv[k]), dsk = static_cast<float>(ds[k]);
    const float gmu = w * (-gz + a * x * is);
    const float grho = w * (-gz * x + beta * (-x * x + scale * (x * x - 1.0f)) * is) * dsk;
    const float mm = b1 * m_mu[k] + c1 * gmu;
    const float vm = b2 * v_mu[k] + c2 * gmu * gmu;
    const float new_mu = mu[k] - step * mm / (std::sqrt(vm) + adam_eps);
    const float mr = b1 * m_rho[k] + c1 * grho;
    const float vr = b2 * v_rho[k] + c2 * grho * grho;
    const float new_rho = rho[k] - step * mr / (std::sqrt(vr) + adam_eps);
    m_mu[k] = mm;
    v_mu[k] = vm;
    next_mu[k] = new_mu;
    m_rho[k] = mr;
    v_rho[k] = vr;
    next_rho[k] = new_rho;
    bad |= nonfinite_top_bit(new_mu) | nonfinite_top_bit(new_rho);
  }
  return bad >> 31;
}

// update_range's copies (see piece_loop's), for sigma's terms in float and in double.
#define ELBO_UPDATE_COPY(ATTRIBUTES, NAME, TERM)                                                                    \
  ATTRIBUTES uint32_t NAME(const UpdateConstants& c, int64_t n, const float* __restrict eps,                         \
                           const float* __restrict g, const TERM* __restrict inv, const TERM* __restrict ds,        \
                           const float* __restrict mu, const float* __restrict rho, float* __restrict m_mu,         \
                           float* __restrict m_rho, float* __restrict v_mu, float* __restrict v_rho,                \
                           float* __restrict next_mu, float* __restrict next_rho) {                                 \
    return update_range(c, n, eps, g, inv, ds, mu, rho, m_mu, m_rho, v_mu, v_rho, next_mu, next_rho);              \
  }
ELBO_UPDATE_COPY(, update_baseline, float)
ELBO_UPDATE_COPY(, update_baseline, double)
#ifdef ELBO_FUSED_STEP_COPIES
ELBO_UPDATE_COPY(ELBO_TARGET_AVX2, update_avx2, float)
ELBO_UPDATE_COPY(ELBO_TARGET_AVX2, update_avx2, double)
ELBO_UPDATE_COPY(ELBO_TARGET_AVX512, update_avx512, float)
ELBO_UPDATE_COPY(ELBO_TARGET_AVX512, update_avx512, double)
#endif
#undef ELBO_UPDATE_COPY

template <class Term>
uint32_t update_copy(const UpdateConstants& c, int64_t n, const float* eps, const float* g, const Term* inv,
                     const Term* ds, const float* mu, const float* rho, float* m_mu, float* m_rho, float* v_mu,
                     float* v_rho, float* next_mu, float* next_rho) {
  using UpdateLoop = uint32_t(const UpdateConstants&, int64_t, const float*, const float*, const Term*, const Term*,
                              const float*, const float*, float*, float*, float*, float*, float*, float*);
  return ELBO_FUSED_COPY(UpdateLoop, update)(c, n, eps, g, inv, ds, mu, rho, m_mu, m_rho, v_mu, v_rho, next_mu,
                                             next_rho);
}
#undef ELBO_FUSED_COPY
}  // namespace

bool MeanFieldAdamStep::takes(const Optimizer::AdamSingleStep& adam) {
  for (double c : {adam.a, adam.b1, adam.b2, adam.eps})
    if (!(std::abs(c) < kSafeConstant)) return false;
  return true;
}

bool MeanFieldAdamStep::update(std::span<const float> params, const float* g32, double w, double beta, double scale,
                               const Optimizer::AdamSingleStep& adam, float* next) {
  const int64_t d = d_, body = body_;
  auto f = [](double x) { return static_cast<float>(x); };
  const UpdateConstants c{f(w),       f(beta),      f(scale),    f(beta * (scale - 1.0)), f(adam.b1),
                          f(adam.b2), f(1 - adam.b1), f(1 - adam.b2), f(adam.a),            f(adam.eps)};
  const float* mu = params.data();
  const float* rho = params.data() + d;
  std::atomic<bool> finite{true};
  auto range = [&](int64_t b, int64_t e, const auto* inv, const auto* ds) {
    return update_copy(c, e - b, eps_.data() + b, g32 + b, inv, ds, mu + b, rho + b, adam.m + b, adam.m + d + b,
                       adam.v + b, adam.v + d + b, next + b, next + d + b);
  };
  auto run = [&](int64_t b, int64_t e) {
    const int64_t body_end = std::min(e, body), tail_begin = std::max(b, body);
    uint32_t bad = 0;
    if (body_end > b) bad |= range(b, body_end, inv_sigma_.data() + b, dsigma_.data() + b);
    if (e > tail_begin)
      bad |= range(tail_begin, e, tail_inv_sigma_.data() + (tail_begin - body), tail_dsigma_.data() + (tail_begin - body));
    if (bad) finite = false;
  };
  element_parallel_(d, std::ref(run));
  return finite;
}

}  // namespace elbo
