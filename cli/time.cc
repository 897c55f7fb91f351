#include "cli/time.h"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace inmost::cli {
namespace {

constexpr char kMonthNames[12][10] = {"January",   "February", "March",    "April",
                                      "May",       "June",     "July",     "August",
                                      "September", "October",  "November", "December"};

// A left-to-right reader over the text being parsed.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  // Consumes `c` (or `alt`) when it is next.
  bool Take(char c, char alt = '\0') {
    if (done() || (text_[pos_] != c && (alt == '\0' || text_[pos_] != alt))) return false;
    ++pos_;
    return true;
  }
  // Consumes exactly `digits` decimal digits into *value.
  bool Number(size_t digits, int* value) {
    if (text_.size() - pos_ < digits) return false;
    int number = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      number = number * 10 + (c - '0');
    }
    pos_ += digits;
    *value = number;
    return true;
  }
  // Consumes one or more digits of a decimal fraction; *millis gets its first three.
  bool Fraction(int* millis) {
    size_t start = pos_;
    int value = 0;
    for (; !done() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_) {
      if (pos_ - start < 3) value = value * 10 + (text_[pos_] - '0');
    }
    size_t n = pos_ - start;
    if (n == 0) return false;
    for (; n < 3; ++n) value *= 10;
    *millis = value;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

struct Date {
  int year = 0, month = 0, day = 0;
};

// Reads YYYY-MM-DD.
bool ReadDate(Cursor& cursor, Date* date) {
  return cursor.Number(4, &date->year) && cursor.Take('-') && cursor.Number(2, &date->month) &&
         cursor.Take('-') && cursor.Number(2, &date->day);
}

std::chrono::year_month_day ToYmd(const Date& date) {
  return std::chrono::year_month_day{std::chrono::year{date.year},
                                     std::chrono::month{static_cast<unsigned>(date.month)},
                                     std::chrono::day{static_cast<unsigned>(date.day)}};
}

// Ok when `date` exists, else why not.
Status ValidateDate(const Date& date, std::string_view text) {
  if (date.month < 1 || date.month > 12) {
    return InvalidArgument("'" + std::string(text) + "' has no month " +
                           std::to_string(date.month) + ": months are 01 to 12");
  }
  if (!ToYmd(date).ok()) {
    auto last = std::chrono::year_month_day_last{
        std::chrono::year{date.year},
        std::chrono::month_day_last{std::chrono::month{static_cast<unsigned>(date.month)}}};
    return InvalidArgument("'" + std::string(text) + "' is not a date: " +
                           kMonthNames[date.month - 1] + ' ' + std::to_string(date.year) + " has " +
                           std::to_string(static_cast<unsigned>(last.day())) + " days");
  }
  return Status::Ok();
}

}  // namespace

Result<int64_t> ParseTimeUnixMs(std::string_view text) {
  const Status bad = InvalidArgument(
      "invalid time '" + std::string(text) +
      "': use local time such as \"2027-02-14 09:00\" or 2027-02-14T09:00, or ISO 8601 "
      "with an offset such as 2027-02-14T09:00:00+01:00 or 2027-02-14T08:00:00Z");
  Cursor cursor(text);
  Date date;
  if (!ReadDate(cursor, &date)) return bad;
  int hour = 0, minute = 0, second = 0, millis = 0;
  std::optional<int> offset_minutes;  // Unset: local time.
  if (!cursor.done()) {
    if (!cursor.Take(' ') && !cursor.Take('T', 't')) return bad;
    if (!cursor.Number(2, &hour) || !cursor.Take(':') || !cursor.Number(2, &minute)) return bad;
    if (cursor.Take(':')) {
      if (!cursor.Number(2, &second)) return bad;
      if (cursor.Take('.', ',') && !cursor.Fraction(&millis)) return bad;
    }
    if (cursor.Take('Z', 'z')) {
      offset_minutes = 0;
    } else if (bool plus = cursor.Take('+'); plus || cursor.Take('-')) {
      int offset_hours = 0, offset_mins = 0;
      if (!cursor.Number(2, &offset_hours)) return bad;
      if (cursor.Take(':')) {
        if (!cursor.Number(2, &offset_mins)) return bad;
      } else if (!cursor.done() && !cursor.Number(2, &offset_mins)) {
        return bad;
      }
      if (offset_hours > 23 || offset_mins > 59) {
        return InvalidArgument("invalid time '" + std::string(text) +
                               "': the offset must be at most 23:59");
      }
      offset_minutes = (plus ? 1 : -1) * (offset_hours * 60 + offset_mins);
    }
    if (!cursor.done()) return bad;
  }
  if (Status valid = ValidateDate(date, text); !valid.ok()) return valid;
  if (hour > 23 || minute > 59 || second > 59) {
    return InvalidArgument("invalid time '" + std::string(text) +
                           "': hours go to 23, minutes and seconds to 59");
  }

  if (offset_minutes) {
    int64_t days = std::chrono::sys_days(ToYmd(date)).time_since_epoch().count();
    int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - *offset_minutes * 60;
    return seconds * 1000 + millis;
  }
  std::tm local{};
  local.tm_year = date.year - 1900;
  local.tm_mon = date.month - 1;
  local.tm_mday = date.day;
  local.tm_hour = hour;
  local.tm_min = minute;
  local.tm_sec = second;
  local.tm_isdst = -1;  // Whatever is in force on that day.
  errno = 0;
  std::time_t seconds = std::mktime(&local);
  if (seconds == static_cast<std::time_t>(-1) && errno != 0) {
    return InvalidArgument("'" + std::string(text) + "' cannot be represented as local time");
  }
  // mktime moves a time in a DST gap to a time that exists: refuse instead of guessing.
  if (local.tm_year != date.year - 1900 || local.tm_mon != date.month - 1 ||
      local.tm_mday != date.day || local.tm_hour != hour || local.tm_min != minute) {
    return InvalidArgument("'" + std::string(text) +
                           "' does not exist in the local time zone (the clocks skip it "
                           "that day): pick another time or give an offset");
  }
  return static_cast<int64_t>(seconds) * 1000 + millis;
}

Status CheckDate(std::string_view text) {
  Cursor cursor(text);
  Date date;
  if (!ReadDate(cursor, &date) || !cursor.done()) {
    return InvalidArgument("invalid date '" + std::string(text) +
                           "': write it as YYYY-MM-DD, such as 2027-02-14");
  }
  return ValidateDate(date, text);
}

}  // namespace inmost::cli
