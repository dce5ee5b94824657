#pragma once
// Shared by the bnn layer's tests.
#include <string>

#include <gtest/gtest.h>

/// The statement throws `exception` whose message contains `substring`.
#define EXPECT_THROW_MSG(statement, exception, substring)                         \
  do {                                                                            \
    try {                                                                         \
      statement;                                                                  \
      ADD_FAILURE() << "expected " #exception " from " #statement;               \
    } catch (const exception& e) {                                                \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)         \
          << "message: " << e.what() << "\nexpected to contain: " << (substring); \
    }                                                                             \
  } while (0)
