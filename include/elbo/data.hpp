#pragma once
// The data layer: data sets, preprocessing and file formats.
#include "elbo/data/atomic_file.hpp"
#include "elbo/data/csv.hpp"
#include "elbo/data/csv_batch_reader.hpp"
#include "elbo/data/dataset.hpp"
#include "elbo/data/make_moons.hpp"
#include "elbo/data/npy.hpp"
#include "elbo/data/npy_batch_reader.hpp"
#include "elbo/data/random_permutation.hpp"
#include "elbo/data/standardizer.hpp"
#include "elbo/data/table.hpp"
#include "elbo/data/train_test_split.hpp"
