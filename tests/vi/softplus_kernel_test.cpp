// The mean-field family's vectorised softplus terms (src/vi/softplus_kernel.hpp): every
// instruction-set level gives the same bits, and the terms agree with softplus.hpp's libm
// forms: in double within 1e-15 relative (about 4 ulp), in single precision within 4e-7
// relative (a few float ulp: rho itself is rounded to float, 6e-8, and sigma's relative
// change is at most |rho| sigmoid(rho) / softplus(rho) <= 1 + |rho| times that, hence the
// bound is taken relative to 1 + |rho| for the float case). The sum of log sigma within
// 1e-12 (double) and 1e-6 (single) of libm's, relative to the number of terms.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "elbo/graph.hpp"
#include "graph/isa.hpp"
#include "vi/softplus.hpp"
#include "vi/softplus_kernel.hpp"

namespace elbo {
namespace {

struct Terms {
  std::vector<double> sigma, inv_sigma, dsigma;
  double log_sum = 0;
};

Terms run(isa::Level level, detail::Precision p, const std::vector<double>& rho) {
  Terms t;
  t.sigma.resize(rho.size());
  t.inv_sigma.resize(rho.size());
  t.dsigma.resize(rho.size());
  t.log_sum = detail::softplus_terms(level, p, rho.data(), static_cast<int64_t>(rho.size()),
                                     {t.sigma.data(), t.inv_sigma.data(), t.dsigma.data()});
  return t;
}

// rho over [-30, 30] (sigma from 1e-13 to 30), a block with values beyond the vector range
// (libm path), and a length that leaves a tail shorter than a block.
std::vector<double> test_rho() {
  std::vector<double> rho(100'000 + 37);
  Philox(4).uniform(rho.data(), static_cast<int64_t>(rho.size()), 0, 0);
  for (double& r : rho) r = -30 + 60 * r;
  rho[640] = -740;  // sigma = e^-740, a subnormal number
  rho[641] = 800;
  rho[642] = -100;  // beyond float's exp range: the single path takes libm for its block
  return rho;
}

TEST(softplus_kernel, every_level_gives_the_same_bits) {
  const auto rho = test_rho();
  for (auto p : {detail::Precision::double_, detail::Precision::single}) {
    const Terms base = run(isa::Level::baseline, p, rho);
    if (!isa::available(isa::Level::avx2)) GTEST_SKIP() << "no AVX2 here";
    const Terms avx = run(isa::Level::avx2, p, rho);
    EXPECT_EQ(std::bit_cast<uint64_t>(base.log_sum), std::bit_cast<uint64_t>(avx.log_sum));
    for (size_t i = 0; i < rho.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint64_t>(base.sigma[i]), std::bit_cast<uint64_t>(avx.sigma[i])) << i;
      ASSERT_EQ(std::bit_cast<uint64_t>(base.inv_sigma[i]), std::bit_cast<uint64_t>(avx.inv_sigma[i])) << i;
      ASSERT_EQ(std::bit_cast<uint64_t>(base.dsigma[i]), std::bit_cast<uint64_t>(avx.dsigma[i])) << i;
    }
  }
}

TEST(softplus_kernel, float_blocks_give_the_single_terms_bits_at_every_level) {
  // softplus_blocks_f32, the fused mean-field step's terms: whole blocks of 64 with rho in
  // the vector range. Every level (AVX-512 on sixteen lanes) gives softplus_terms(single)'s
  // values and the same sum of log sigma.
  std::vector<double> rho(64 * 300);
  Philox(5).uniform(rho.data(), static_cast<int64_t>(rho.size()), 0, 0);
  for (double& r : rho) r = -30 + 60 * r;
  const Terms ref = run(isa::Level::baseline, detail::Precision::single, rho);
  for (isa::Level level : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (!isa::available(level)) continue;
    const size_t n = rho.size();
    std::vector<float> sigma(n), inv(n), ds(n);
    double log_sum = 0;
    ASSERT_TRUE(detail::softplus_blocks_f32(level, rho.data(), static_cast<int64_t>(n),
                                            {sigma.data(), inv.data(), ds.data()}, log_sum));
    EXPECT_EQ(std::bit_cast<uint64_t>(log_sum), std::bit_cast<uint64_t>(ref.log_sum)) << isa::name(level);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<uint64_t>(static_cast<double>(sigma[i])), std::bit_cast<uint64_t>(ref.sigma[i]))
          << isa::name(level) << " " << i;
      ASSERT_EQ(std::bit_cast<uint64_t>(static_cast<double>(inv[i])), std::bit_cast<uint64_t>(ref.inv_sigma[i]))
          << isa::name(level) << " " << i;
      ASSERT_EQ(std::bit_cast<uint64_t>(static_cast<double>(ds[i])), std::bit_cast<uint64_t>(ref.dsigma[i]))
          << isa::name(level) << " " << i;
    }
    // A block beyond the range stops it there.
    std::vector<double> far = rho;
    far[64 * 7 + 3] = 100;
    log_sum = 0;
    EXPECT_FALSE(detail::softplus_blocks_f32(level, far.data(), static_cast<int64_t>(n),
                                             {sigma.data(), inv.data(), ds.data()}, log_sum));
  }
}

TEST(softplus_kernel, float_blocks_take_rho_in_float_with_the_same_bits) {
  // A float32 fit's rho is float (MeanField::single_params): the float overload gives the
  // bits of the double one on the same values widened, at every level, and stops at the
  // same block beyond the range.
  std::vector<float> rho32(64 * 300);
  Philox(6).uniform(rho32.data(), static_cast<int64_t>(rho32.size()), 0, 0);
  for (float& r : rho32) r = -30 + 60 * r;
  const std::vector<double> rho(rho32.begin(), rho32.end());
  const size_t n = rho.size();
  for (isa::Level level : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (!isa::available(level)) continue;
    std::vector<float> s64(n), inv64(n), ds64(n), s32(n), inv32(n), ds32(n);
    double sum64 = 0, sum32 = 0;
    ASSERT_TRUE(detail::softplus_blocks_f32(level, rho.data(), static_cast<int64_t>(n),
                                            {s64.data(), inv64.data(), ds64.data()}, sum64));
    ASSERT_TRUE(detail::softplus_blocks_f32(level, rho32.data(), static_cast<int64_t>(n),
                                            {s32.data(), inv32.data(), ds32.data()}, sum32));
    EXPECT_EQ(std::bit_cast<uint64_t>(sum64), std::bit_cast<uint64_t>(sum32)) << isa::name(level);
    EXPECT_EQ(s64, s32) << isa::name(level);
    EXPECT_EQ(inv64, inv32) << isa::name(level);
    EXPECT_EQ(ds64, ds32) << isa::name(level);
    std::vector<float> far = rho32;
    far[64 * 7 + 3] = 100;
    EXPECT_FALSE(detail::softplus_blocks_f32(level, far.data(), static_cast<int64_t>(n),
                                             {s32.data(), inv32.data(), ds32.data()}, sum32));
  }
}

TEST(softplus_kernel, float_blocks_take_rho_up_to_87_in_size_and_stop_beyond) {
  // The range test at its edges, at every level (it is done on the floats' bits): |rho| = 87
  // is in the vector range, the float after 87, inf and NaN are not; -0 is.
  const std::vector<float> inside = {87.0f, -87.0f, -0.0f, 0.0f};
  const std::vector<float> outside = {std::nextafter(87.0f, 100.0f), -std::nextafter(87.0f, 100.0f),
                                      std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                                      std::numeric_limits<float>::quiet_NaN()};
  for (isa::Level level : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (!isa::available(level)) continue;
    for (bool in_range : {true, false})
      for (float value : in_range ? inside : outside)
        for (int lane : {0, 17, 63}) {  // the first and the last lane of a block, and one inside
          std::vector<float> rho(64 * 3, -3.0f), s(rho.size()), inv(rho.size()), ds(rho.size());
          rho[64 + static_cast<size_t>(lane)] = value;
          double log_sum = 0;
          EXPECT_EQ(detail::softplus_blocks_f32(level, rho.data(), static_cast<int64_t>(rho.size()),
                                                {s.data(), inv.data(), ds.data()}, log_sum),
                    in_range)
              << isa::name(level) << " rho " << value << " at lane " << lane;
        }
  }
}

TEST(softplus_kernel, terms_agree_with_libm) {
  const auto rho = test_rho();
  for (auto p : {detail::Precision::double_, detail::Precision::single}) {
    const bool single = p == detail::Precision::single;
    const Terms t = run(isa::active(), p, rho);
    double worst_s = 0, worst_inv = 0, worst_ds = 0, log_sum = 0;
    for (size_t i = 0; i < rho.size(); ++i) {
      const auto [s, ds] = detail::softplus_and_sigmoid(rho[i]);
      log_sum += std::log(s);
      const double scale = single ? 1 + std::fabs(rho[i]) : 1.0;
      worst_s = std::max(worst_s, std::fabs(t.sigma[i] - s) / s / scale);
      worst_inv = std::max(worst_inv, std::fabs(t.inv_sigma[i] - 1 / s) * s / scale);
      worst_ds = std::max(worst_ds, std::fabs(t.dsigma[i] - ds) / ds / scale);
    }
    const double tol = single ? 4e-7 : 1e-15;
    EXPECT_LE(worst_s, tol) << (single ? "single" : "double");
    EXPECT_LE(worst_inv, tol) << (single ? "single" : "double");
    EXPECT_LE(worst_ds, tol) << (single ? "single" : "double");
    EXPECT_NEAR(t.log_sum, log_sum, (single ? 1e-6 : 1e-12) * static_cast<double>(rho.size()));
  }
}

}  // namespace
}  // namespace elbo
