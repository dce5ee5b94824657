#pragma once
// EXPECT_THROW_MSG: a test asserts the message, not only the exception type.
#include <string>

#include <gtest/gtest.h>

/// `statement` throws `exception` whose what() contains `substring`.
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
