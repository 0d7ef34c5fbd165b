// The one error currency of lib/: an Error carries a one-line message that already
// names the file and the entry; Expected<T> is a T or an Error. Library code never
// exits or throws for bad input; main() prints the message and picks the exit code.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace klp {

class Error {
public:
	explicit Error(std::string message) : message_(std::move(message)) {}
	const std::string &message() const { return message_; }

private:
	std::string message_;
};

template <typename... Args>
Error make_error(fmt::format_string<Args...> format, Args &&...args)
{
	return Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] Expected {
public:
	Expected(T value) : v_(std::move(value)) {}
	Expected(Error error) : v_(std::move(error)) {}

	explicit operator bool() const { return v_.index() == 0; }
	T &operator*() { return std::get<0>(v_); }
	const T &operator*() const { return std::get<0>(v_); }
	T *operator->() { return &std::get<0>(v_); }
	const T *operator->() const { return &std::get<0>(v_); }
	const Error &error() const { return std::get<1>(v_); }
	Error take_error() { return std::move(std::get<1>(v_)); }

private:
	std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
public:
	Expected() = default;
	Expected(Error error) : error_(std::move(error)) {}

	explicit operator bool() const { return !error_; }
	const Error &error() const { return *error_; }
	Error take_error() { return std::move(*error_); }

private:
	std::optional<Error> error_;
};

inline Expected<void> success() { return {}; }

} // namespace klp

// Propagate an error: KLP_TRY(expr) returns the error of an Expected<void>.
#define KLP_TRY(expr)                                                        \
	do {                                                                 \
		auto klp_try_result_ = (expr);                               \
		if (!klp_try_result_)                                        \
			return klp_try_result_.take_error();                 \
	} while (0)
