#pragma once
#include <string>

namespace nswatch {

// Installs the default spdlog logger: the journal (with priorities) when
// stderr is the journal stream systemd gave us (JOURNAL_STREAM), else stderr.
void setup_logging(const std::string& level);

// Whether JOURNAL_STREAM names the file our stderr is (systemd's own test).
bool stderr_is_journal();

} // namespace nswatch
