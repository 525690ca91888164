#include "netns/namespace_identity.hpp"

namespace nswatch {

std::string_view name_prefix(SourceKind source) noexcept
{
    switch (source) {
    case SourceKind::Default:
    case SourceKind::Named: return {};
    case SourceKind::Docker: return "docker";
    case SourceKind::Mount: return "mount";
    case SourceKind::Watch: return "watch";
    case SourceKind::Process: return "proc";
    }
    return {}; // a value outside the enum
}

} // namespace nswatch
