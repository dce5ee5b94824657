// Finding and running gnuplot, argument checks and script text shared by every figure.
#include "elbo/plot/gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "plot/gnuplot_impl.hpp"

extern char** environ;

namespace elbo::plot {

namespace fs = std::filesystem;

namespace {

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string gnuplot_executable() {
  if (const char* configured = std::getenv("ELBO_GNUPLOT"); configured && *configured)
    return is_executable_file(configured) ? std::string(configured) : std::string();
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env && *path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    std::string candidate(dir.empty() ? std::string_view(".") : dir);
    candidate += "/gnuplot";
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) return {};
    path.remove_prefix(colon + 1);
  }
}

bool gnuplot_available() { return !gnuplot_executable().empty(); }

namespace detail {

namespace {

[[noreturn]] void throw_invalid(const char* where, const std::string& message) {
  throw InvalidArgument(std::string(where) + ": " + message);
}

// A directory made with mkdtemp, removed with everything in it when it goes.
class TempDir {
 public:
  TempDir() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "elbo-plot-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw Error("plot: cannot create a temporary directory in '" + base.string() +
                  "': " + std::strerror(errno));
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A uniquely named empty file beside `target` (same directory, so rename is atomic), removed
// unless commit() renamed it to `target`.
class TempOutput {
 public:
  explicit TempOutput(const fs::path& target) : target_(target) {
    // O_EXCL on a name of our own rather than mkstemp, so that the figure gets the usual
    // permissions (0666 less the umask) instead of mkstemp's 0600.
    static std::atomic<unsigned> counter{0};
    const fs::path dir = target.parent_path();
    for (int attempt = 0;; ++attempt) {
      std::string name = ".";
      name += target.filename().string();
      name += '.';
      name += std::to_string(::getpid());
      name += '-';
      name += std::to_string(counter++);
      name += ".tmp";
      path_ = (dir / name).string();
      const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      if (errno != EEXIST || attempt == 100)
        throw Error("plot: cannot create a temporary file beside '" + target.string() +
                    "': " + std::strerror(errno));
    }
  }
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;
  ~TempOutput() {
    if (!committed_) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::uintmax_t size() const {
    std::error_code ec;
    const auto n = fs::file_size(path_, ec);
    return ec ? 0 : n;
  }
  void commit() {
    // Flush the contents before the rename makes them visible under the final name.
    if (const int fd = ::open(path_.c_str(), O_RDONLY); fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
    if (std::rename(path_.c_str(), target_.c_str()) != 0)
      throw Error("plot: cannot rename '" + path_ + "' to '" + target_.string() +
                  "': " + std::strerror(errno));
    committed_ = true;
  }

 private:
  fs::path target_;
  std::string path_;
  bool committed_ = false;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trimmed_log(std::string log) {
  while (!log.empty() && std::isspace(static_cast<unsigned char>(log.back()))) log.pop_back();
  constexpr std::size_t keep = 4000;
  if (log.size() > keep) log = "..." + log.substr(log.size() - keep);
  return log.empty() ? std::string("(no message)") : log;
}

// Runs `exe -d script` with stdin from /dev/null and stdout and stderr into `log`; returns
// the wait status.
int run_gnuplot(const std::string& exe, const std::string& script, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string arg0 = exe, arg1 = "-d", arg2 = script;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  pid_t pid = 0;
  const int spawn_error = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0)
    throw GnuplotMissing("plot: cannot run gnuplot '" + exe + "': " + std::strerror(spawn_error));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(std::string("plot: waiting for gnuplot: ") + std::strerror(errno));
  }
  return status;
}

}  // namespace

void check_stem(const char* where, const std::string& stem) {
  if (stem.empty()) throw_invalid(where, "argument 'stem' is empty, but must name the figure");
  for (const char c : stem)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw_invalid(where, "argument 'stem' contains a control character, which gnuplot cannot "
                           "take in a file name");
  if (stem.back() == '/')
    throw_invalid(where, "argument 'stem' is '" + stem + "', but must not end in '/'");
  const fs::path dir = fs::path(stem).parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::is_directory(dir, ec))
    throw_invalid(where, "argument 'stem' is '" + stem + "', but its directory '" +
                             dir.string() + "' does not exist");
}

void check_size(const char* where, int width, int height) {
  if (width < 100 || width > 10000)
    throw_invalid(where, "option 'width' is " + std::to_string(width) +
                             ", but must be in [100, 10000] pixels");
  if (height < 100 || height > 10000)
    throw_invalid(where, "option 'height' is " + std::to_string(height) +
                             ", but must be in [100, 10000] pixels");
}

void check_point_size(const char* where, double point_size) {
  if (!(point_size > 0 && point_size <= 20))
    throw_invalid(where, "option 'point_size' is " + number_text(point_size) +
                             ", but must be in (0, 20]");
}

void check_not_empty(const char* where, const char* name, std::size_t size) {
  if (size == 0) throw_invalid(where, std::string("argument '") + name + "' is empty");
}

void check_same_length(const char* where, const char* name, std::size_t size,
                       const char* reference_name, std::size_t reference_size) {
  if (size != reference_size)
    throw_invalid(where, std::string("argument '") + name + "' has " + std::to_string(size) +
                             " elements, but '" + reference_name + "' has " +
                             std::to_string(reference_size));
}

void check_finite(const char* where, std::string_view name, std::span<const double> values) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw_invalid(where, "argument '" + std::string(name) + "' is " + number_text(values[i]) +
                               " at index " + std::to_string(i) + ", but must be finite");
}

std::vector<int> class_indices(const char* where, const char* name,
                               std::span<const double> label) {
  std::vector<int> classes(label.size());
  for (std::size_t i = 0; i < label.size(); ++i) {
    const double v = label[i];
    if (!(v >= 0 && v < 256 && v == std::floor(v)))
      throw_invalid(where, std::string("argument '") + name + "' is " + number_text(v) +
                               " at index " + std::to_string(i) +
                               ", but must be a class index 0, 1, ..., 255");
    classes[i] = static_cast<int>(v);
  }
  return classes;
}

std::string gnuplot_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'')
      out += "''";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += ' ';
    else
      out += c;
  }
  out += '\'';
  return out;
}

void append_number(std::string& out, double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

std::string number_text(double value) {
  std::string s;
  append_number(s, value);
  return s;
}

std::string_view class_color(int k) {
  static constexpr std::string_view colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                "#bcbd22", "#17becf"};
  return colors[static_cast<std::size_t>(k) % std::size(colors)];
}

void append_labels(std::string& commands, const std::string& title, const std::string& xlabel,
                   const std::string& ylabel) {
  if (!title.empty()) commands += "set title " + gnuplot_quoted(title) + "\n";
  if (!xlabel.empty()) commands += "set xlabel " + gnuplot_quoted(xlabel) + "\n";
  if (!ylabel.empty()) commands += "set ylabel " + gnuplot_quoted(ylabel) + "\n";
}

ClassPoints class_points(std::span<const double> x0, std::span<const double> x1,
                         const std::vector<int>& classes,
                         const std::vector<std::string>& class_names, double point_size,
                         bool z_column, bool outline) {
  int n_classes = 0;
  for (const int c : classes) n_classes = std::max(n_classes, c + 1);
  ClassPoints out;
  for (int k = 0; k < n_classes; ++k) {
    std::string block;
    for (std::size_t i = 0; i < classes.size(); ++i) {
      if (classes[i] != k) continue;
      append_number(block, x0[i]);
      block += ' ';
      append_number(block, x1[i]);
      block += '\n';
    }
    if (block.empty()) continue;
    const std::string name = "$c" + std::to_string(k);
    out.data += name + " << EOD\n" + block + "EOD\n";
    const std::string title = static_cast<std::size_t>(k) < class_names.size()
                                  ? class_names[static_cast<std::size_t>(k)]
                                  : "Class " + std::to_string(k);
    const std::string using_columns = z_column ? " using 1:2:(0)" : " using 1:2";
    if (outline) {
      std::string under = name + using_columns + " with points pt 7 ps ";
      append_number(under, point_size * 1.4);
      under += " lc rgb 'white' notitle";
      out.clauses.push_back(std::move(under));
    }
    std::string clause = name + using_columns + " with points pt 7 ps ";
    append_number(clause, point_size);
    clause += " lc rgb '" + std::string(class_color(k)) + "' title " + gnuplot_quoted(title);
    out.clauses.push_back(std::move(clause));
  }
  return out;
}

void render(const char* where, const std::string& stem, int width, int height,
            const std::string& data, const std::string& commands,
            const std::vector<DataFile>& files) {
  const std::string exe = gnuplot_executable();
  if (exe.empty())
    throw GnuplotMissing(std::string(where) +
                         ": gnuplot not found on PATH (install the Debian package gnuplot-nox, "
                         "or set ELBO_GNUPLOT to its path)");
  TempDir dir;
  TempOutput png(fs::path(stem + ".png"));
  TempOutput svg(fs::path(stem + ".svg"));

  for (const DataFile& file : files) {
    std::ofstream out(dir.path() / file.name, std::ios::binary);
    out.write(file.bytes.data(), static_cast<std::streamsize>(file.bytes.size()));
    if (!out.flush())
      throw Error(std::string(where) + ": cannot write '" + (dir.path() / file.name).string() +
                  "'");
  }
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  std::string script = "data_dir = " + gnuplot_quoted(dir.path().string() + "/") + "\n" + data;
  for (const bool is_svg : {false, true}) {
    script += "reset\nset encoding utf8\n";
    if (is_svg) {
      script += "set terminal svg size " + size +
                " dynamic noenhanced font 'Sans,11' background rgb 'white'\n";
    } else {
      // libgd's png terminal where gnuplot was built without cairo.
      script += "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "  set terminal pngcairo size " + size + " noenhanced font 'Sans,11'\n"
                "} else {\n"
                "  set terminal png truecolor size " + size + " noenhanced\n"
                "}\n";
    }
    script += "set output " + gnuplot_quoted(is_svg ? svg.path() : png.path()) + "\n";
    script += std::string("is_svg = ") + (is_svg ? "1" : "0") + "\n";
    script += commands;
    script += "\nunset output\n";
  }
  const fs::path script_path = dir.path() / "figure.gp";
  {
    std::ofstream out(script_path, std::ios::binary);
    out << script;
    if (!out.flush())
      throw Error(std::string(where) + ": cannot write the gnuplot script '" +
                  script_path.string() + "'");
  }
  const fs::path log_path = dir.path() / "gnuplot.log";
  const int status = run_gnuplot(exe, script_path.string(), log_path.string());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status)
                                ? "exit status " + std::to_string(WEXITSTATUS(status))
                                : "signal " + std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    throw Error(std::string(where) + ": gnuplot '" + exe + "' failed drawing '" + stem + "' (" +
                how + "): " + trimmed_log(read_text(log_path)));
  }
  for (const TempOutput* out : {&png, &svg})
    if (out->size() == 0)
      throw Error(std::string(where) + ": gnuplot '" + exe + "' wrote nothing for '" + stem +
                  (out == &png ? ".png" : ".svg") + "': " + trimmed_log(read_text(log_path)));
  png.commit();
  svg.commit();
}

}  // namespace detail
}  // namespace elbo::plot
