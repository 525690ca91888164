#pragma once
// What a client may ask the daemon to change: Watch and Unwatch. The D-Bus
// Manager object calls this interface (after its own root check); the daemon
// implements it. No sdbus types here: errors are domain values that the bus
// layer maps to D-Bus error names.
//
// Threading: bus thread only. A completion runs exactly once, on the bus
// thread, either during watch() or later (once the namespace's object exists).
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace nswatch {

struct ControlError {
    enum class Kind { InvalidArgs, NoSuchNamespace, Failed };
    Kind kind = Kind::Failed;
    std::string message;
};

struct WatchResult {
    std::string name;
    std::string object_path;
};

using WatchCompletion = std::function<void(const std::variant<WatchResult, ControlError>&)>;

class NamespaceControl {
public:
    virtual ~NamespaceControl() = default;
    virtual void watch(const std::string& path, WatchCompletion done) = 0;
    [[nodiscard]] virtual std::optional<ControlError> unwatch(const std::string& name) = 0;
};

} // namespace nswatch
