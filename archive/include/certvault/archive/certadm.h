// The Certadm binding in one include: library loading, errors and HRESULT
// meanings, text and name lists, and the backup/restore wrappers.
// docs/certadm-binding.md describes how it works.
#pragma once

#include "certvault/archive/certadm_error.h"
#include "certvault/archive/certadm_library.h"
#include "certvault/archive/certadm_server.h"
#include "certvault/archive/certadm_strings.h"
